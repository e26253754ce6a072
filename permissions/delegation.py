"""Delegating a role for a period (a.n. / Plt.), with the permissions it gives synced at once."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.revocation import revoke_if_no_longer_eligible
from audit.actions import AuditAction
from audit.services import event_record

from .models import Delegation, RoleAssignment
from .services import role_sync_user

NOT_YOUR_ROLE = _("Anda hanya dapat mendelegasikan peran Anda sendiri.")


def _may_manage(actor, assignment: RoleAssignment) -> bool:
    return actor.is_superuser or assignment.user_id == actor.pk


@transaction.atomic
def delegation_create(*, actor, assignment: RoleAssignment, delegate, kind: str, valid_from, valid_until,
                      reason: str = "") -> Delegation:
    if not _may_manage(actor, assignment):
        raise PermissionDenied(NOT_YOUR_ROLE)
    delegation = Delegation(assignment=assignment, delegate=delegate, kind=kind, valid_from=valid_from,
                            valid_until=valid_until, reason=reason.strip(), created_by=actor)
    delegation.full_clean()
    delegation.save()
    role_sync_user(user=delegate)
    event_record(
        actor=actor, action=AuditAction.ROLE_DELEGATED, region=assignment.agency.region,
        details={"delegator": assignment.user.get_username(), "delegate": delegate.get_username(),
                 "role": assignment.role, "agency": assignment.agency.name, "kind": kind,
                 "valid_from": str(valid_from), "valid_until": str(valid_until)},
    )
    return delegation


@transaction.atomic
def delegation_end(*, actor, delegation: Delegation) -> None:
    if not _may_manage(actor, delegation.assignment):
        raise PermissionDenied(NOT_YOUR_ROLE)
    today = timezone.localdate()
    old_until, pk = delegation.valid_until, delegation.pk
    # Never later than it was: ending a delegation that is already over must not bring it back to yesterday.
    delegation.valid_until = min(old_until, max(delegation.valid_from, today - datetime.timedelta(days=1)))
    if delegation.valid_from > today - datetime.timedelta(days=1):
        delegation.delete()
    else:
        delegation.save(update_fields=["valid_until"])
    role_sync_user(user=delegation.delegate)
    assignment = delegation.assignment
    event_record(actor=actor, action=AuditAction.ROLE_DELEGATION_ENDED, region=assignment.agency.region,
                 details={"delegation": pk, "delegate": delegation.delegate.get_username(),
                          "role": assignment.role, "agency": assignment.agency.name,
                          "old_valid_until": str(old_until)})
    revoke_if_no_longer_eligible([delegation.delegate], actor=actor)
