"""Officials and their role assignments in the admin.

Every save and delete of an assignment, here or in an inline, goes through
permissions.assignments: validated, synced into permissions at once, audited.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from agreements.admin import AGENCY_IN_USE
from agreements.models import Agency
from agreements.regions import agency_delete, agency_save
from agreements.revocation import revoke_if_no_longer_eligible
from audit.actions import AuditAction
from audit.services import event_record

from .assignments import assignment_delete, assignment_end, assignment_save
from .delegation import delegation_create
from .models import Delegation, Official, RoleAssignment, in_force
from .services import role_sync_user

User = get_user_model()


@admin.register(Official)
class OfficialAdmin(admin.ModelAdmin):
    list_display = ("full_name", "post", "nip", "user")
    search_fields = ("full_name", "nip", "user__username")
    autocomplete_fields = ("user",)


class ValidityFilter(admin.SimpleListFilter):
    title = _("masa berlaku")
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [("active", _("Aktif")), ("ended", _("Berakhir")), ("upcoming", _("Akan datang"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "active":
            return queryset.active(today)
        if self.value() == "ended":
            return queryset.filter(valid_until__lt=today)
        if self.value() == "upcoming":
            return queryset.filter(valid_from__gt=today)
        return queryset


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = (
        "official_name", "username", "role", "agency", "region", "valid_from", "valid_until", "acting", "active",
    )
    list_display_links = ("official_name", "username")
    # A region is searched for by name, not picked from a sidebar of every region (1,200 links at national scale).
    list_filter = (ValidityFilter, "agency__kind", "role", "acting")
    search_fields = ("user__username", "user__official__full_name", "user__official__nip", "agency__name",
                     "agency__region__name")
    autocomplete_fields = ("user", "agency")
    list_select_related = ("user__official", "agency__region")
    actions = ["end_assignments"]

    @admin.display(description=_("nama pejabat"), ordering="user__official__full_name")
    def official_name(self, obj):
        official = getattr(obj.user, "official", None)
        return official.full_name if official else "—"

    @admin.display(description=_("nama pengguna"), ordering="user__username")
    def username(self, obj):
        return obj.user.get_username()

    @admin.display(description=_("daerah"), ordering="agency__region__name")
    def region(self, obj):
        return obj.agency.region or _("Pusat")

    def get_queryset(self, request):
        in_force_today = ExpressionWrapper(in_force(timezone.localdate()), output_field=BooleanField())
        return super().get_queryset(request).annotate(in_force_today=in_force_today)

    @admin.display(description=_("aktif"), boolean=True)
    def active(self, obj):
        return obj.in_force_today

    def save_model(self, request, obj, form, change):
        assignment_save(assignment=obj, actor=request.user)

    def delete_model(self, request, obj):
        assignment_delete(assignment=obj, actor=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for assignment in queryset.select_related("user", "agency__region"):
            assignment_delete(assignment=assignment, actor=request.user)

    @admin.action(description=_("Akhiri penugasan"), permissions=["change"])
    def end_assignments(self, request, queryset):
        ended = skipped = 0
        for assignment in queryset.select_related("user", "agency__region"):
            try:
                if assignment_end(assignment=assignment, actor=request.user):
                    ended += 1
                else:
                    skipped += 1
            except ValidationError as error:
                self.message_user(request, f"{assignment}: {' '.join(error.messages)}", messages.ERROR)
        if ended:
            self.message_user(
                request,
                ngettext("%(count)d penugasan diakhiri.", "%(count)d penugasan diakhiri.", ended) % {"count": ended},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext("%(count)d penugasan sudah berakhir sebelumnya.",
                         "%(count)d penugasan sudah berakhir sebelumnya.", skipped) % {"count": skipped},
                messages.WARNING,
            )


class AssignmentFormsetMixin:
    """For admins with a RoleAssignment inline: inline saves and deletes go through the services."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not RoleAssignment:
            return super().save_formset(request, form, formset, change)
        with transaction.atomic():
            assignments = formset.save(commit=False)
            for assignment in formset.deleted_objects:
                assignment_delete(assignment=assignment, actor=request.user)
            for assignment in assignments:
                assignment_save(assignment=assignment, actor=request.user)
            formset.save_m2m()


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    show_change_link = True


class UserRoleAssignmentInline(RoleAssignmentInline):
    """Under an official: which roles they hold, where."""

    fk_name = "user"
    fields = ("agency", "role", "valid_from", "valid_until", "acting", "is_head", "note")
    autocomplete_fields = ("agency",)


class AgencyRoleAssignmentInline(RoleAssignmentInline):
    """Under an agency: who holds its roles."""

    fk_name = "agency"
    fields = ("user", "role", "valid_from", "valid_until", "acting", "is_head", "note")
    autocomplete_fields = ("user",)


class OfficialInline(admin.StackedInline):
    model = Official
    can_delete = False
    min_num = 0
    max_num = 1
    verbose_name_plural = _("pejabat")


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AssignmentFormsetMixin, BaseUserAdmin):
    """django.contrib.auth's user admin, with the official profile and the role assignments."""

    inlines = [OfficialInline, UserRoleAssignmentInline]
    list_display = ("username", "official_name", "official_post", "email", "is_active", "is_staff")
    list_select_related = ("official",)
    search_fields = ("username", "first_name", "last_name", "email", "official__full_name", "official__nip")

    def get_inlines(self, request, obj):
        # The add page only creates the account; profile and roles follow on the change page.
        return self.inlines if obj is not None else []

    @admin.display(description=_("nama pejabat"), ordering="official__full_name")
    def official_name(self, obj):
        official = getattr(obj, "official", None)
        return official.full_name if official else "—"

    @admin.display(description=_("jabatan"), ordering="official__post")
    def official_post(self, obj):
        official = getattr(obj, "official", None)
        return official.post if official else "—"

    def save_related(self, request, form, formsets, change):
        """Groups and direct permissions, recorded with old and new (the account's own fields and the
        official profile are recorded by permissions.audit_receivers, whichever page saves them)."""
        user = form.instance
        before = _memberships(user) if change else {"groups": [], "user_permissions": []}
        form.save_m2m()
        after = _memberships(user)
        changes = (("groups", AuditAction.USER_GROUPS_CHANGED),
                   ("user_permissions", AuditAction.USER_PERMISSIONS_CHANGED))
        for field, action in changes:
            if before[field] != after[field]:
                event_record(actor=request.user, action=action,
                             details={"user": user.get_username(), "user_id": user.pk,
                                      "old": before[field], "new": after[field]})
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


def _memberships(user) -> dict:
    return {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(
            f"{app}.{codename}" for app, codename in
            user.user_permissions.values_list("content_type__app_label", "codename")
        ),
    }


DELEGATION_FIELDS = ("assignment_id", "delegate_id", "kind", "valid_from", "valid_until", "reason")


def _delegation_values(values: dict) -> dict:
    """A delegation's recorded values: who delegates which role to whom, for when, and why."""
    assignment = RoleAssignment.objects.select_related("user", "agency").get(pk=values["assignment_id"])
    return {
        "delegator": assignment.user.get_username(), "role": assignment.role, "agency": assignment.agency.name,
        "delegate": User.objects.get(pk=values["delegate_id"]).get_username(), "kind": values["kind"],
        "valid_from": str(values["valid_from"]), "valid_until": str(values["valid_until"]),
        "reason": values["reason"],
    }


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """A group's permissions reach all its members: every change is recorded with old and new."""

    def save_related(self, request, form, formsets, change):
        group = form.instance
        before = _group_values(group) if change else {"name": "", "permissions": []}
        before["name"] = form.initial.get("name", "") if change else ""
        super().save_related(request, form, formsets, change)
        after = _group_values(group)
        if before != after:
            event_record(actor=request.user, action=AuditAction.GROUP_CHANGED,
                         details={"group": group.name, "group_id": group.pk, "old": before, "new": after})

    def delete_model(self, request, obj):
        old = _group_values(obj)
        pk = obj.pk
        super().delete_model(request, obj)
        event_record(actor=request.user, action=AuditAction.GROUP_CHANGED,
                     details={"group": old["name"], "group_id": pk, "old": old, "new": None})

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for group in queryset:
                self.delete_model(request, group)


def _group_values(group) -> dict:
    return {
        "name": group.name,
        "permissions": sorted(f"{app}.{codename}" for app, codename in
                              group.permissions.values_list("content_type__app_label", "codename")),
    }


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    """Administrators delegate for an official (the same rules, sync and audit as the officials' own page)."""

    list_display = ("assignment", "delegate", "kind", "valid_from", "valid_until", "reason")
    list_filter = ("kind", "assignment__agency__region", "assignment__role")
    search_fields = ("delegate__username", "assignment__user__username", "reason")
    autocomplete_fields = ("delegate",)
    raw_id_fields = ("assignment",)
    exclude = ("created_by",)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change:
            created = delegation_create(actor=request.user, assignment=obj.assignment, delegate=obj.delegate,
                                        kind=obj.kind, valid_from=obj.valid_from, valid_until=obj.valid_until,
                                        reason=obj.reason)
            obj.pk = created.pk
            return
        previous = Delegation.objects.filter(pk=obj.pk).values(*DELEGATION_FIELDS).first()
        obj.full_clean()
        obj.save()
        for user_id in {obj.delegate_id, previous["delegate_id"]} - {None}:
            role_sync_user(user=User.objects.get(pk=user_id))
        old = _delegation_values(previous)
        new = _delegation_values({field: getattr(obj, field) for field in DELEGATION_FIELDS})
        changed = [key for key in new if old[key] != new[key]]
        if changed:
            event_record(
                actor=request.user, action=AuditAction.ROLE_DELEGATION_CHANGED, region=obj.assignment.agency.region,
                details={"delegation": obj.pk, "delegator": new["delegator"], "delegate": new["delegate"],
                         "old": {key: old[key] for key in changed}, "new": {key: new[key] for key in changed}},
            )

    @transaction.atomic
    def delete_model(self, request, obj):
        old = _delegation_values({field: getattr(obj, field) for field in DELEGATION_FIELDS})
        region, delegate, pk = obj.assignment.agency.region, obj.delegate, obj.pk
        super().delete_model(request, obj)
        role_sync_user(user=delegate)
        event_record(actor=request.user, action=AuditAction.ROLE_DELEGATION_REMOVED, region=region,
                     details={"delegation": pk, "delegator": old["delegator"], "delegate": old["delegate"],
                              "old": old})
        revoke_if_no_longer_eligible([delegate], actor=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for delegation in queryset.select_related("delegate", "assignment__agency__region"):
            self.delete_model(request, delegation)


@admin.register(Agency)
class AgencyAdmin(AssignmentFormsetMixin, admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "region")
    list_select_related = ("region",)
    list_filter = ("kind",)  # a region by the search box (its name), not a sidebar of every region
    search_fields = ("name", "short_name", "region__name")
    inlines = [AgencyRoleAssignmentInline]

    def save_model(self, request, obj, form, change):
        agency_save(agency=obj, actor=request.user)

    def delete_model(self, request, obj):
        try:
            agency_delete(agency=obj, actor=request.user)
        except ProtectedError:
            messages.error(request, AGENCY_IN_USE % {"agency": obj})
