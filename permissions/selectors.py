"""Who may see what: every query a view shows starts from these."""

from guardian.shortcuts import get_objects_for_user

from agreements.models import Region

from .models import RoleAssignment
from .roles import VIEW_CASES_PERMISSION, StepRole


def regions_visible_to(user):
    """Regions whose cases the user may read (central roles: every region)."""
    if not user.is_authenticated:
        return Region.objects.none()
    if user.is_superuser:
        return Region.objects.all()
    return get_objects_for_user(
        user, f"agreements.{VIEW_CASES_PERMISSION}", klass=Region, accept_global_perms=True
    )


def user_holds_step_role(user, step_role: StepRole, region) -> bool:
    """True when the user may act at a step of that region's case."""
    if not user.is_authenticated:
        return False
    return user.has_perm(step_role.permission) or user.has_perm(step_role.permission, region)


def active_assignment_for(user, step_role: StepRole, region):
    """The assignment under which the user acts at a step, for the approval sheet."""
    assignments = RoleAssignment.objects.active().filter(
        user=user, role=step_role.role_kind, agency__kind=step_role.agency_kind
    ).select_related("agency")
    regional = assignments.filter(agency__region=region).first()
    return regional or assignments.filter(agency__region__isnull=True).first()
