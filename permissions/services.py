"""Deriving django-guardian permissions from role assignments; recording delegations that end by themselves."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from guardian.models import UserObjectPermission

from agreements.models import Region
from audit.actions import AuditAction
from audit.models import AuditEvent
from audit.services import chain_lock, event_record

from .memo import forget
from .models import Delegation, Official, RoleAssignment
from .roles import ACTING_ROLE_KINDS, VIEW_CASES_PERMISSION, act_codename, region_permissions
from .selectors import VISIBLE_REGIONS_CACHE

REGION_CODENAMES = frozenset(codename for codename, _ in region_permissions())


@dataclass
class SyncReport:
    granted: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.granted or self.revoked)


def _wanted_permissions(user) -> tuple[set[str], set[tuple[str, int]]]:
    """(global codenames, {(codename, region_id)}) that the user's active roles give."""
    wanted_global: set[str] = set()
    wanted_object: set[tuple[str, int]] = set()
    own = RoleAssignment.objects.active().filter(user=user).select_related("agency")
    delegated = [d.assignment for d in Delegation.objects.active().filter(delegate=user)
                 .select_related("assignment__agency")]
    for assignment in [*own, *delegated]:
        codenames = {VIEW_CASES_PERMISSION}
        if assignment.role in ACTING_ROLE_KINDS:
            codenames.add(act_codename(assignment.agency.kind, assignment.role))
        if assignment.agency.region_id is None:
            wanted_global |= codenames
        else:
            wanted_object |= {(codename, assignment.agency.region_id) for codename in codenames}
    return wanted_global, wanted_object


@transaction.atomic
def role_sync_user(*, user) -> SyncReport:
    """Make the user's guardian and global permissions match their active roles."""
    region_type = ContentType.objects.get_for_model(Region)
    permissions = {
        p.codename: p
        for p in Permission.objects.filter(content_type=region_type, codename__in=REGION_CODENAMES)
    }
    wanted_global, wanted_object = _wanted_permissions(user)
    report = SyncReport()

    current_global = set(user.user_permissions.filter(content_type=region_type).values_list("codename", flat=True))
    for codename in sorted(wanted_global - current_global):
        user.user_permissions.add(permissions[codename])
        report.granted.append(f"{user.username}: {codename} (semua daerah)")
    for codename in sorted(current_global - wanted_global):
        user.user_permissions.remove(permissions[codename])
        report.revoked.append(f"{user.username}: {codename} (semua daerah)")

    current_rows = UserObjectPermission.objects.filter(user=user, content_type=region_type).select_related(
        "permission"
    )
    current_object = {(row.permission.codename, int(row.object_pk)): row for row in current_rows}
    for codename, region_id in sorted(wanted_object - current_object.keys()):
        UserObjectPermission.objects.create(
            user=user, permission=permissions[codename], content_type=region_type, object_pk=str(region_id)
        )
        report.granted.append(f"{user.username}: {codename} (daerah #{region_id})")
    for key in sorted(current_object.keys() - wanted_object):
        current_object[key].delete()
        report.revoked.append(f"{user.username}: {key[0]} (daerah #{key[1]})")

    _forget_cached_permissions(user)
    return report


def role_sync_all() -> SyncReport:
    report = SyncReport()
    for user in get_user_model().objects.order_by("pk"):
        user_report = role_sync_user(user=user)
        report.granted += user_report.granted
        report.revoked += user_report.revoked
    return report


@transaction.atomic
def roles_sync() -> SyncReport:
    """Every user's permissions from what is in force today, recorded when anything changed (daily: Celery
    beat or manage.py sync_roles)."""
    report = role_sync_all()
    if report.changed:
        event_record(
            actor=None, action=AuditAction.ROLE_SYNCED,
            details={"granted": len(report.granted), "revoked": len(report.revoked),
                     "granted_permissions": report.granted, "revoked_permissions": report.revoked},
        )
    return report


def _forget_cached_permissions(user) -> None:
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_viewflow_per_object_perm_cache",
                 VISIBLE_REGIONS_CACHE):
        if hasattr(user, attr):
            delattr(user, attr)
    forget(user)


@transaction.atomic
def official_upsert(*, username: str, full_name: str, post: str, nip: str, password: str | None):
    """Create or update a user with their official profile."""
    user, created = get_user_model().objects.get_or_create(username=username)
    name_parts = full_name.split(" ", 1)
    user.first_name = name_parts[0][:150]
    user.last_name = (name_parts[1] if len(name_parts) > 1 else "")[:150]
    if created and password:
        user.set_password(password)
    user.save()
    Official.objects.update_or_create(user=user, defaults={"full_name": full_name, "post": post, "nip": nip})
    return user, created


# A delegation that ended by itself (its valid_until passed) is recorded once, the day after its last day, and
# its delegate is told (notices). Looking back a week catches the days a stopped scheduler missed.
EXPIRY_LOOKBACK_DAYS = 7
EXPIRY_BATCH = 500


def _ended_by_hand(delegation: Delegation) -> bool:
    """permissions.delegation.delegation_end moves valid_until to the day before it ends the delegation, and
    records ROLE_DELEGATION_ENDED that day (its delegate is told then): such a delegation did not expire."""
    day_after = delegation.valid_until + datetime.timedelta(days=1)
    start = timezone.make_aware(datetime.datetime.combine(day_after, datetime.time.min))
    ended = AuditEvent.objects.filter(action=AuditAction.ROLE_DELEGATION_ENDED,
                                      details__delegate=delegation.delegate.get_username(),
                                      created__gte=start, created__lt=start + datetime.timedelta(days=1))
    return any(details.get("delegation", delegation.pk) == delegation.pk
               for details in ended.values_list("details", flat=True))


def delegations_expired_record(*, today: datetime.date | None = None, batch: int = EXPIRY_BATCH) -> int:
    """ROLE_DELEGATION_EXPIRED once for each delegation whose last day has just passed; returns how many.

    Each in its own transaction, under the audit chain's lock: the check for an earlier event and the new one
    are serialised with every other writer, so two sweeps at once record it once.
    """
    today = today or timezone.localdate()
    ended = (Delegation.objects.filter(valid_until__lt=today,
                                       valid_until__gte=today - datetime.timedelta(days=EXPIRY_LOOKBACK_DAYS))
             .select_related("delegate", "assignment__user", "assignment__agency__region").order_by("pk"))
    count, last = 0, 0
    while delegations := list(ended.filter(pk__gt=last)[:batch]):
        last = delegations[-1].pk
        recorded = set(AuditEvent.objects.filter(action=AuditAction.ROLE_DELEGATION_EXPIRED,
                                                 details__delegation__in=[d.pk for d in delegations])
                       .values_list("details__delegation", flat=True))
        for delegation in delegations:
            if delegation.pk not in recorded and not _ended_by_hand(delegation) and _expiry_record(delegation):
                count += 1
    return count


def _expiry_record(delegation: Delegation) -> bool:
    with transaction.atomic():
        chain_lock()
        if AuditEvent.objects.filter(action=AuditAction.ROLE_DELEGATION_EXPIRED,
                                     details__delegation=delegation.pk).exists():
            return False  # recorded by another sweep meanwhile
        assignment = delegation.assignment
        event_record(actor=None, action=AuditAction.ROLE_DELEGATION_EXPIRED, region=assignment.agency.region,
                     details={"delegation": delegation.pk, "delegator": assignment.user.get_username(),
                              "delegate": delegation.delegate.get_username(), "role": assignment.role,
                              "agency": assignment.agency.name, "kind": delegation.kind,
                              "valid_until": str(delegation.valid_until)})
        return True
