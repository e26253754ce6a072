"""Who may see what: every query a view shows starts from these."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from guardian.models import GroupObjectPermission, UserObjectPermission

from agreements.models import Region

from .backends import object_permissions
from .memo import remembered
from .models import Delegation, DelegationKind, RoleAssignment
from .roles import VIEW_CASES_PERMISSION, RoleKind, StepRole
from .steps import STEP_ROLES

# Like Django's own permission cache (User._perm_cache), computed once per user object, that is
# once per request: a page asks several times (middleware, viewset, selectors), and guardian's
# query costs ~5 ms to build each time.
VISIBLE_REGIONS_CACHE = "_sepakat_visible_region_ids"
ALL_REGIONS = frozenset({-1})  # the cached answer "every region" (compared by identity)


def visible_region_ids(user) -> frozenset[int] | None:
    """The ids of the regions whose cases the user may read; None for every region (central roles, which hold
    the permission for all regions: no list of a thousand ids in every query)."""
    if not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return None
    ids = getattr(user, VISIBLE_REGIONS_CACHE, None)
    if ids is None:
        if user.has_perm(f"agreements.{VIEW_CASES_PERMISSION}"):  # global: Django's own per-user cache
            ids = ALL_REGIONS
        else:
            # The user's object permissions, as the permission backend read them for this request.
            region_type = ContentType.objects.get_for_model(Region).pk
            ids = frozenset(int(object_pk) for content_type, object_pk, codename in object_permissions(user)
                            if content_type == region_type and codename == VIEW_CASES_PERMISSION)
        setattr(user, VISIBLE_REGIONS_CACHE, ids)
    return None if ids is ALL_REGIONS else ids


def region_scope(user, region_field: str, *, every: str | None = None) -> Q:
    """A filter on `region_field` (a path to a Region foreign key) keeping the user's regions only. For a user
    of every region it only asks that the path leads to a region; `every` names a shorter path whose existence
    already says so (a case: its programme and its region are required), sparing the query its joins."""
    ids = visible_region_ids(user)
    if ids is None:
        return Q(**{f"{every or region_field}__isnull": False})
    return Q(**{f"{region_field}__in": sorted(ids)})


def regions_visible_to(user):
    """Regions whose cases the user may read (central roles: every region)."""
    ids = visible_region_ids(user)
    return Region.objects.all() if ids is None else Region.objects.filter(pk__in=sorted(ids))


@dataclass(frozen=True)
class ActingBasis:
    """Why a user may act at a step: their own assignment, or a delegation of someone else's."""

    assignment: RoleAssignment
    delegation: Delegation | None = None

    def identity(self, user) -> tuple[str, str]:
        """(name, post) as documents show the actor: a.n. and Plt. name both people."""
        official = getattr(user, "official", None)
        name = official.full_name if official else user.get_username()
        post = official.post if official else ""
        if self.delegation is None:
            return name, f"Plt. {post}" if self.assignment.acting else post
        principal = getattr(self.assignment.user, "official", None)
        principal_name = principal.full_name if principal else self.assignment.user.get_username()
        principal_post = principal.post if principal else ""
        if self.delegation.kind == DelegationKind.ACTING:
            return name, f"Plt. {principal_post} (menggantikan {principal_name})"
        return name, f"{post}, a.n. {principal_post} ({principal_name})"

    def capacity(self, user) -> str:
        """The line a signature block prints above the post when the signer is not its holder:
        "a.n. <holder's post>, <signer's post>" or "Plt. <post>"; empty for the holder."""
        official = getattr(user, "official", None)
        post = official.post if official else ""
        if self.delegation is None:
            return f"Plt. {post}" if self.assignment.acting else ""
        principal = getattr(self.assignment.user, "official", None)
        principal_post = principal.post if principal else ""
        if self.delegation.kind == DelegationKind.ACTING:
            return f"Plt. {principal_post}"
        return f"a.n. {principal_post}, {post}"


def _step_assignments(step_role: StepRole, region):
    scope = Q(agency__region__isnull=True) if step_role.is_central else Q(agency__region=region)
    return RoleAssignment.objects.active().filter(
        scope, role=step_role.role_kind, agency__kind=step_role.agency_kind
    ).select_related("agency", "user__official")


def acting_basis(user, step_role: StepRole, region) -> ActingBasis | None:
    """From the assignments and delegations in force today (not from cached permissions); asked once per
    request (permissions.memo)."""
    if not user.is_authenticated:
        return None
    key = ("acting_basis", step_role.agency_kind, step_role.role_kind, getattr(region, "pk", region))
    return remembered(user, key, lambda: _acting_basis(user, step_role, region))


def _acting_basis(user, step_role: StepRole, region) -> ActingBasis | None:
    own = _step_assignments(step_role, region).filter(user=user).first()
    if own:
        return ActingBasis(own)
    delegation = (
        Delegation.objects.active()
        .filter(delegate=user, assignment__in=_step_assignments(step_role, region))
        .select_related("assignment__agency", "assignment__user__official")
        .first()
    )
    return ActingBasis(delegation.assignment, delegation) if delegation else None


def user_holds_step_role(user, step_role: StepRole, region) -> bool:
    """True when the user may act at a step of that region's case, today."""
    return acting_basis(user, step_role, region) is not None


def holders_of(step_role: StepRole, region) -> list:
    """Everyone who may act at the step today: holders and their delegates."""
    assignments = list(_step_assignments(step_role, region))
    users = {a.user for a in assignments}
    users |= {d.delegate for d in Delegation.objects.active().filter(assignment__in=assignments)
              .select_related("delegate__official")}
    return sorted(users, key=lambda u: u.get_username())


def heads_of(step_role: StepRole, region) -> list:
    """The heads (is_head) of the agency that acts at this step for this region, in force today, and whoever
    holds a head's role by delegation now (a Plt. kepala while the head is away)."""
    scope = Q(agency__region__isnull=True) if step_role.is_central else Q(agency__region=region)
    assignments = list(RoleAssignment.objects.active().filter(scope, is_head=True, agency__kind=step_role.agency_kind)
                       .select_related("user__official"))
    users = {a.user for a in assignments}
    users |= {d.delegate for d in Delegation.objects.active().filter(assignment__in=assignments)
              .select_related("delegate__official")}
    return sorted(users, key=lambda u: u.get_username())


def is_head_for(user, step_role: StepRole, region) -> bool:
    """The head of the agency that acts at this step, for this region."""
    scope = Q(agency__region__isnull=True) if step_role.is_central else Q(agency__region=region)
    key = ("is_head_for", step_role.agency_kind, None if step_role.is_central else getattr(region, "pk", region))
    return remembered(user, key, lambda: RoleAssignment.objects.active().filter(
        scope, user=user, is_head=True, agency__kind=step_role.agency_kind).exists())


def may_hold_signing_certificate(user) -> bool:
    """An official who holds, or is delegated, a paraf or signer step role today (any region).

    The only people who sign documents; everyone else (auditors, drafters, reviewers,
    administrators without an official's profile) gets no signing certificate.
    """
    if not user.is_authenticated or not hasattr(user, "official"):
        return False
    signing = Q()
    for steps in STEP_ROLES.values():
        for step in steps.values():
            if step.role_kind in (RoleKind.PARAF, RoleKind.SIGNER):
                signing |= Q(role=step.role_kind, agency__kind=step.agency_kind)
    assignments = RoleAssignment.objects.active().filter(signing)
    return (
        assignments.filter(user=user).exists()
        or Delegation.objects.active().filter(delegate=user, assignment__in=assignments).exists()
    )


def agency_name_of(user) -> str:
    """The agency of the user's first active role assignment, as it is named now (for the audit log); asked
    once per request (a decision records two or three events)."""
    def ask():
        assignments = RoleAssignment.objects.active().filter(user=user).order_by("pk")
        return assignments.values_list("agency__name", flat=True).first() or ""

    return remembered(user, "agency_name", ask)


def users_seeing_region(user_ids, region) -> set[int]:
    """Which of these users may read the region's cases (regions_visible_to), asked of them all at once: those
    active with the permission for every region (their own or a group's, or superusers), and those holding it
    for this region."""
    ids = set(user_ids)
    if not ids:
        return set()
    region_pk = str(getattr(region, "pk", region))
    permission = Permission.objects.get(content_type=ContentType.objects.get_for_model(Region),
                                        codename=VIEW_CASES_PERMISSION)
    every_region = Q(is_superuser=True) | Q(user_permissions=permission) | Q(groups__permissions=permission)
    seeing = set(get_user_model().objects.filter(every_region, pk__in=ids, is_active=True)
                 .values_list("pk", flat=True))
    seeing |= set(UserObjectPermission.objects.filter(user_id__in=ids, permission=permission, object_pk=region_pk)
                  .values_list("user_id", flat=True))
    seeing |= set(GroupObjectPermission.objects.filter(group__user__in=ids, permission=permission,
                                                       object_pk=region_pk).values_list("group__user", flat=True))
    return seeing & ids


def delegable_assignments(user):
    """The user's own active roles that can be delegated (auditor and administrator cannot)."""
    return RoleAssignment.objects.active().filter(user=user).exclude(role__in=["auditor", "administrator"]) \
        .select_related("agency__region")
