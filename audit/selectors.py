"""Who may audit, and the events they may read (scoped like every other query)."""

from permissions.models import RoleAssignment
from permissions.roles import RoleKind


def can_audit(user) -> bool:
    """Auditors (any scope) and administrators."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return RoleAssignment.objects.active().filter(user=user, role=RoleKind.AUDITOR).exists()
