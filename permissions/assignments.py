"""Changing role assignments: each change validated, synced into permissions at once and audited.

The admin (and anything else that edits assignments) goes through these
services, so that nobody keeps or lacks access until the next sync_roles run.
An assignment's valid_until is the last day it is in force (inclusive).
"""

import datetime

from django.db import transaction
from django.utils import timezone

from agreements.revocation import revoke_if_no_longer_eligible
from audit.actions import AuditAction
from audit.services import event_record

from .models import RoleAssignment
from .services import SyncReport, role_sync_user


def assignment_snapshot(assignment: RoleAssignment) -> dict:
    """The audited values of an assignment, JSON-ready."""
    return {
        "user": assignment.user.get_username(),
        "agency": assignment.agency.name,
        "region": str(assignment.agency.region) if assignment.agency.region_id else None,
        "role": assignment.role,
        "valid_from": _iso(assignment.valid_from),
        "valid_until": _iso(assignment.valid_until),
        "acting": assignment.acting,
        "is_head": getattr(assignment, "is_head", False),
        "note": assignment.note,
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _affected_users(*assignments: RoleAssignment) -> dict:
    """Holders and delegates of the assignments: everyone whose permissions the change may move."""
    users = {}
    for assignment in assignments:
        if assignment is None:
            continue
        users[assignment.user_id] = assignment.user
        if assignment.pk:
            for delegation in assignment.delegations.select_related("delegate"):
                users[delegation.delegate_id] = delegation.delegate
    return users


def _sync(users) -> SyncReport:
    report = SyncReport()
    for user in users.values():
        user_report = role_sync_user(user=user)
        report.granted += user_report.granted
        report.revoked += user_report.revoked
    return report


def _permissions(report: SyncReport) -> dict:
    return {"granted": report.granted, "revoked": report.revoked}


@transaction.atomic
def assignment_save(*, assignment: RoleAssignment, actor) -> RoleAssignment:
    """Validate and save a new or changed assignment; sync the users it concerns at once."""
    previous = (
        RoleAssignment.objects.select_related("user", "agency__region").filter(pk=assignment.pk).first()
        if assignment.pk
        else None
    )
    assignment.full_clean()
    old = assignment_snapshot(previous) if previous else None
    users = _affected_users(previous)
    assignment.save()
    users.update(_affected_users(assignment))
    report = _sync(users)
    new = assignment_snapshot(assignment)
    region = assignment.agency.region
    if old is None:
        event_record(actor=actor, action=AuditAction.ROLE_ASSIGNED, region=region,
                     details={"assignment": assignment.pk, "new": new, "permissions": _permissions(report)})
    elif old != new:
        changed = [key for key in new if old[key] != new[key]]
        event_record(
            actor=actor, action=AuditAction.ROLE_CHANGED, region=region,
            details={
                "assignment": assignment.pk,
                "user": new["user"], "agency": new["agency"], "role": new["role"],
                "old": {key: old[key] for key in changed},
                "new": {key: new[key] for key in changed},
                "permissions": _permissions(report),
            },
        )
    return assignment


@transaction.atomic
def assignment_end(*, assignment: RoleAssignment, actor, on: datetime.date | None = None) -> bool:
    """End the assignment so that it is no longer in force from `on` (today by default).

    valid_until becomes the day before `on`, so ending "today" takes the access away
    at once. An assignment that would not yet have begun by then never takes effect
    and is removed instead. Returns False when it had already ended before `on`.
    """
    on = on or timezone.localdate()
    last_day = on - datetime.timedelta(days=1)
    if assignment.valid_until is not None and assignment.valid_until <= last_day:
        return False
    users = _affected_users(assignment)
    old = assignment_snapshot(assignment)
    region = assignment.agency.region
    details = {"assignment": assignment.pk, "user": old["user"], "agency": old["agency"], "role": old["role"]}
    if assignment.valid_from > last_day:
        assignment.delete()
        details.update(old=old, new=None, deleted=True)
    else:
        assignment.valid_until = last_day
        assignment.full_clean()
        assignment.save(update_fields=["valid_until"])
        details.update(old={"valid_until": old["valid_until"]}, new={"valid_until": _iso(last_day)})
    report = _sync(users)
    event_record(actor=actor, action=AuditAction.ROLE_ENDED, region=region,
                 details={**details, "permissions": _permissions(report)})
    revoke_if_no_longer_eligible(users, actor=actor)
    return True


@transaction.atomic
def assignment_delete(*, assignment: RoleAssignment, actor) -> None:
    """Delete the assignment (and the delegations of it); sync the users it concerned at once."""
    users = _affected_users(assignment)
    old = assignment_snapshot(assignment)
    pk, region = assignment.pk, assignment.agency.region
    assignment.delete()
    report = _sync(users)
    event_record(actor=actor, action=AuditAction.ROLE_REMOVED, region=region,
                 details={"assignment": pk, "old": old, "permissions": _permissions(report)})
    revoke_if_no_longer_eligible(users, actor=actor)
