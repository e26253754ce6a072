"""Refused requests, counted per user, route and hour, with one chain event per such hour.

A refusal is a 403, or a 404 on a URL whose route names an object (a case, a task, a
document...): someone tried something they may not do, or looked for another region's
object. Thousands of them must not flood the hash chain, and none may go unseen: the
first refusal of a user on a route in an hour writes one AuditAction.ACCESS_REFUSED event; every
refusal raises that hour's counter (RefusalCount.count, an F() update, safe under
concurrency). Anonymous refusals write no event: they are counted per address, and once
ANONYMOUS_ADDRESSES_PER_HOUR addresses have been counted in an hour, the rest share one
row per route, so the table stays bounded whatever an outside visitor sends.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .actions import AuditAction
from .models import RefusalCount
from .services import event_record

ANONYMOUS_ADDRESSES_PER_HOUR = 200
PATH_LENGTH = RefusalCount._meta.get_field("first_path").max_length
ROUTE_LENGTH = RefusalCount._meta.get_field("route").max_length


def refusal_record(*, user, route: str, status: int, path: str, method: str = "GET", ip: str = "",
                   kwargs: dict | None = None) -> bool:
    """Count one refused request; True for the first of its user (or address), route and hour.

    The first one of an authenticated user also writes the AuditAction.ACCESS_REFUSED event.
    """
    now = _now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    route, path = route[:ROUTE_LENGTH], path[:PATH_LENGTH]
    anonymous = user is None or not user.is_authenticated
    if anonymous:
        user = None
        if not RefusalCount.objects.filter(user=None, hour=hour, ip=ip).exists() and (
            RefusalCount.objects.filter(user=None, hour=hour).values("ip").distinct().count()
            >= ANONYMOUS_ADDRESSES_PER_HOUR
        ):
            ip = ""  # the overflow row of this route and hour
    else:
        ip = ""
    key = {"user": user, "route": route, "hour": hour, "ip": ip}
    with transaction.atomic():
        if _bump(key, status=status, path=path, now=now):
            return False
        try:
            with transaction.atomic():
                RefusalCount.objects.create(**key, count=1, status=status, first_path=path,
                                                      last_path=path, first_seen=now, last_seen=now)
        except IntegrityError:  # a concurrent request counted the first one
            _bump(key, status=status, path=path, now=now)
            return False
        if not anonymous:
            event_record(actor=user, action=AuditAction.ACCESS_REFUSED,
                         details={"route": route, "status": status, "method": method, "path": path,
                                  "kwargs": {k: str(v) for k, v in (kwargs or {}).items()},
                                  "hour": hour.isoformat()})
        return True


def _now():
    return timezone.now()


def _bump(key: dict, *, status: int, path: str, now) -> bool:
    return bool(RefusalCount.objects.filter(**key).update(count=F("count") + 1, status=status, last_path=path,
                                                            last_seen=now))
