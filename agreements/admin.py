from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _

from .logos import MAX_LOGO_BYTES, checked_logo, logo_remove, logo_set
from .models import (
    Agency,
    Decision,
    Document,
    Logo,
    Programme,
    Promulgation,
    Region,
    RevokedCertificate,
    SigningCredential,
)
from .regions import agency_delete, agency_save, programme_save, region_add, region_save

AGENCY_IN_USE = _("%(agency)s tidak dapat dihapus karena masih dipakai (penugasan peran atau dokumen). "
                  "Akhiri penugasannya terlebih dahulu.")


class AgencyInline(admin.TabularInline):
    model = Agency
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("display_name", "kind", "province", "slug")
    list_filter = ("kind", "province")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("kind", "name")}
    inlines = [AgencyInline]

    def get_inlines(self, request, obj):
        # A new region gets its five regional agencies on save; they are edited afterwards.
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            region_save(region=obj, actor=request.user)
        else:
            region_add(region=obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Agency:
            return super().save_formset(request, form, formset, change)
        with transaction.atomic():
            agencies = formset.save(commit=False)
            for agency in formset.deleted_objects:
                try:
                    with transaction.atomic():
                        agency_delete(agency=agency, actor=request.user)
                except ProtectedError:
                    messages.error(request, AGENCY_IN_USE % {"agency": agency})
            for agency in agencies:
                agency_save(agency=agency, actor=request.user)
            formset.save_m2m()


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("region", "year", "created")

    def save_model(self, request, obj, form, change):
        programme_save(programme=obj, actor=request.user, created=not change)
    list_filter = ("year",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Documents and decisions are records: the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "created")
    list_filter = ("kind",)


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("step_title", "kind", "actor_name", "actor_agency", "created")
    list_filter = ("kind", "step")
    search_fields = ("actor_name", "note")


@admin.register(Promulgation)
class PromulgationAdmin(ReadOnlyAdmin):
    list_display = ("document", "region", "year", "number", "berita_daerah_number", "created")
    list_filter = ("year", "region")


class LogoForm(forms.ModelForm):
    upload = forms.FileField(label=_("Berkas logo"), help_text=_("PNG atau SVG, paling besar 256 KB dan 2000 piksel."))

    class Meta:
        model = Logo
        fields = ["region"]

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        content = upload.read(MAX_LOGO_BYTES + 1)  # never more than the limit in memory
        checked_logo(content)
        return content


@admin.register(Logo)
class LogoAdmin(admin.ModelAdmin):
    """The emblems of the documents' kop; every change goes through agreements.logos and is audited."""

    form = LogoForm
    list_display = ("__str__", "content_type", "sha256", "updated")
    readonly_fields = ("content_type", "sha256", "updated")

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "region") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        logo = logo_set(region=obj.region, content=form.cleaned_data["upload"], actor=request.user)
        obj.pk, obj.sha256, obj.content_type = logo.pk, logo.sha256, logo.content_type

    def delete_model(self, request, obj):
        logo_remove(logo=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for logo in queryset:
            logo_remove(logo=logo, actor=request.user)


@admin.register(SigningCredential)
class SigningCredentialAdmin(ReadOnlyAdmin):
    """Officials' certificates: seen, never edited; revoking one is the admin's only action (audited)."""

    list_display = ("user", "serial", "not_after", "revoked_at", "created")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "serial", "fingerprint_sha256")
    exclude = ("encrypted_key_pem",)
    actions = ["revoke_for_passphrase_reset"]

    @admin.action(description=_("Cabut sertifikat (atur ulang passphrase): pejabat mengatur passphrase baru "
                                "dan menerima sertifikat baru"))
    def revoke_for_passphrase_reset(self, request, queryset):
        from .revocation import REASON_PASSPHRASE_RESET, credential_revoke

        done = sum(1 for credential in queryset
                   if credential_revoke(credential=credential, actor=request.user, reason=REASON_PASSPHRASE_RESET))
        self.message_user(request, _("%(count)d sertifikat dicabut.") % {"count": done}, messages.SUCCESS)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RevokedCertificate)
class RevokedCertificateAdmin(ReadOnlyAdmin):
    list_display = ("serial", "user", "revoked_at", "reason")
    search_fields = ("serial", "user__username", "fingerprint_sha256")
