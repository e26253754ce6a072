"""Who may audit, and the events they may read (scoped like every other query).

Auditors and administrators read the events of the regions in
permissions.selectors.regions_visible_to(user). Events without a region (logins,
certificates, the role sync of central roles) are read by national auditors and
administrators only. Every page of the audit app starts from events_visible_to().
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import BigIntegerField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from agreements.models import Agency, Programme, Region, Version
from audit.actions import AuditAction
from audit.models import AuditEvent
from permissions.memo import remembered
from permissions.models import RoleAssignment
from permissions.roles import RoleKind
from permissions.selectors import regions_visible_to, visible_region_ids

# The timeline counts its events exactly up to this many; beyond, it says "more than" (a count of a
# national log would cost a scan of every row on every page).
COUNT_LIMIT = 1000


def can_audit(user) -> bool:
    """Auditors (any scope) and administrators (asked once per request: permissions.memo)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return remembered(user, "auditing.can_audit",
                      lambda: RoleAssignment.objects.active().filter(user=user, role=RoleKind.AUDITOR).exists())


def reads_unscoped_events(user) -> bool:
    """National auditors and administrators: they also read the events that belong to no region."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return remembered(user, "auditing.reads_unscoped_events", lambda: RoleAssignment.objects.active().filter(
        user=user, role__in=[RoleKind.AUDITOR, RoleKind.ADMINISTRATOR], agency__region__isnull=True
    ).exists())


def events_visible_to(user):
    """Every event the user may read; nothing else ever reaches an audit page or export."""
    if not can_audit(user):
        return AuditEvent.objects.none()
    ids = visible_region_ids(user)  # None: every region (no list of a thousand ids in every query)
    unscoped = reads_unscoped_events(user)
    if ids is None:
        return AuditEvent.objects.all() if unscoped else AuditEvent.objects.filter(region__isnull=False)
    scope = Q(region__in=sorted(ids))
    if unscoped:
        scope |= Q(region__isnull=True)
    return AuditEvent.objects.filter(scope)


def with_relations(events):
    """What a row shows, loaded with the row (no query per event)."""
    return events.select_related("actor__official", "region")


def regions_for_audit(user):
    return regions_visible_to(user) if can_audit(user) else Region.objects.none()


def agencies_for_audit(user):
    """Agencies of the auditor's regions, and the central agencies (they act in every region)."""
    return (
        Agency.objects.filter(Q(region__in=regions_for_audit(user)) | Q(region__isnull=True))
        .select_related("region")
        .order_by("region__name", "kind")
    )


def programmes_for_audit(user):
    return Programme.objects.filter(region__in=regions_for_audit(user)).select_related("region")


def processes_for_audit(user):
    from workflows.models import StageProcess

    return StageProcess.objects.filter(programme__region__in=regions_for_audit(user)).select_related(
        "programme__region", "document", "final_pdf"
    )


def programme_for_audit(user, programme_pk: int) -> Programme:
    """Raises Programme.DoesNotExist outside the user's regions."""
    return programmes_for_audit(user).get(pk=programme_pk)


def region_for_audit(user, slug: str) -> Region:
    return regions_for_audit(user).get(slug=slug)


def process_for_audit(user, process_pk: int):
    """Raises StageProcess.DoesNotExist outside the user's regions."""
    return processes_for_audit(user).get(pk=process_pk)


def official_for_audit(user, username: str):
    """The official if they belong to the auditor's scope; raises DoesNotExist otherwise.

    In scope: for national auditors everyone; for others, officials with a role (now or
    before) in an agency of the auditor's regions or in a central agency (central
    agencies act in every region), or with any event the auditor may read.
    """
    users = get_user_model().objects.select_related("official")
    if not can_audit(user):
        return users.none().get(username=username)
    if reads_unscoped_events(user):
        return users.get(username=username)
    in_scope = RoleAssignment.objects.filter(user=OuterRef("pk")).filter(
        Q(agency__region__in=regions_for_audit(user)) | Q(agency__region__isnull=True)
    )
    acted = events_visible_to(user).filter(actor=OuterRef("pk"))
    return users.filter(Exists(in_scope) | Exists(acted)).get(username=username)


def programme_events(events, programme):
    """The programme's events: its region's events about its cases or its documents' versions."""
    from workflows.models import StageProcess

    about = Q(process_id__in=StageProcess.objects.filter(programme=programme).values("pk")) | Q(
        version_id__in=Version.objects.filter(document__programme=programme).values("pk")
    )
    about |= Q(programme_id=programme.pk)
    return events.filter(about, region=programme.region_id)


def process_events(events, process):
    """The case's events: about the case, or about a version of its document."""
    about = Q(process_id=process.pk)
    if process.document_id:
        about |= Q(version_id__in=Version.objects.filter(document_id=process.document_id).values("pk"))
    return events.filter(about, region=process.programme.region_id)


# The recorded actions of a small set of events (a case, a programme) are read from the events themselves.
ACTIONS_SAMPLE = 2000


def distinct_actions(events, scope=None) -> list[str]:
    """The actions recorded among these events, in code order, whatever the size of the log.

    A set of at most ACTIONS_SAMPLE events (a case's, a programme's, a small region's): its own actions,
    from one query that reads at most ACTIONS_SAMPLE + 1 rows. A larger set: the actions recorded in the
    whole `scope` (the events the user may read; default: these events), asked for each action of
    AuditAction whether one such event exists (one index entry per action, audit_event_action_seq): a
    DISTINCT would read every row of a national log, and asking the probes of a narrow subject (one
    official among two million events) would walk an action's whole index for each action they never took.
    An action listed that the subject lacks finds no event: the list may be longer, never shorter.
    """
    sample = events.order_by().values("action")[: ACTIONS_SAMPLE + 1]
    sample_sql, sample_params = sample.query.sql_with_params()
    with connections[events.db].cursor() as cursor:
        cursor.execute(f"SELECT s.action, COUNT(*) FROM ({sample_sql}) s GROUP BY s.action",  # noqa: S608
                       sample_params)
        found = cursor.fetchall()
    if sum(n for _code, n in found) <= ACTIONS_SAMPLE:
        return sorted(code for code, _n in found)
    events = scope if scope is not None else events
    codes = sorted(AuditAction.values)
    probe = events.filter(action=RawSQL("known.code", ())).order_by().values("pk")[:1]
    probe_sql, probe_params = probe.query.sql_with_params()
    known = " UNION ALL ".join(["SELECT %s AS code"] * len(codes))
    sql = f"SELECT known.code FROM ({known}) known WHERE EXISTS ({probe_sql}) ORDER BY known.code"  # noqa: S608
    with connections[events.db].cursor() as cursor:
        cursor.execute(sql, [*codes, *probe_params])
        return [code for (code,) in cursor.fetchall()]


def created_from(events, day: datetime.date):
    """Events from the start of the day (WIB) on, as a range of sequence numbers.

    The log is appended in time order (audit.services.chain_lock, then created = now): the events from a
    moment on are those from the first event at or after it. That first event is one probe of the index
    on (created, id), run by the database inside the query (a scalar subquery), so every other filter keeps
    its own index on (…, id). `created` is still compared, so a row is never shown outside the range; an
    event written while the server's clock had gone back (created before an older event's) may fall
    outside the sequence range of its day.
    """
    start = day_start(day)
    first = AuditEvent.objects.filter(created__gte=start).order_by("created", "pk").values("pk")[:1]
    return events.filter(pk__gte=Subquery(first), created__gte=start)


def created_until(events, day: datetime.date):
    """Events up to the end of the day (WIB): before the first event of the next day (none: no bound)."""
    end = day_start(day + datetime.timedelta(days=1))
    first = AuditEvent.objects.filter(created__gte=end).order_by("created", "pk").values("pk")[:1]
    last = Coalesce(Subquery(first), Value(2**62, output_field=BigIntegerField()), output_field=BigIntegerField())
    return events.filter(pk__lt=last, created__lt=end)


def actor_by_username(username: str):
    """The user id of a user name (one indexed lookup), None for a user name that does not exist."""
    return get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of the day in the site's time zone (WIB): a date filter on `created` that an index can use."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class EventPage:
    """One page of a timeline, found by its position in the log (keyset pagination on the sequence number).

    `newer` and `older` are the cursors of the neighbouring pages (None at either end): the newer page
    holds the events after `newer`, the older page those before `older`. `count` is exact up to
    COUNT_LIMIT; `count_capped` says there are more.
    """

    events: list
    newer: int | None
    older: int | None
    count: int
    count_capped: bool
    oldest_first: bool
    at_start: bool


def event_page(events, *, before: int | None = None, after: int | None = None, oldest_first: bool = False,
               size: int) -> EventPage:
    """The `size` events just before `before` or just after `after` (else the first page), in the page's order.

    Four queries at most whatever the size of the log: the page (one more row tells whether the log goes
    on), whether there is anything on the other side of the cursor, and the bounded count.
    """
    events = events.order_by()
    plain = events.select_related(None)  # the counts and checks need no joins
    if before is not None:
        going_down, rows = True, list(events.filter(pk__lt=before).order_by("-pk")[: size + 1])
    elif after is not None:
        going_down, rows = False, list(events.filter(pk__gt=after).order_by("pk")[: size + 1])
    else:
        going_down = not oldest_first
        rows = list(events.order_by("-pk" if going_down else "pk")[: size + 1])
    further = len(rows) > size
    rows = rows[:size]
    pks = [event.pk for event in rows]
    if going_down:  # the cursor (if any) is above: is there anything at or after it?
        lowest, highest = (min(pks), max(pks)) if pks else (before, before - 1 if before is not None else None)
        has_older = further
        has_newer = before is not None and plain.filter(pk__gt=highest).exists()
    else:
        lowest, highest = (min(pks), max(pks)) if pks else (after + 1 if after is not None else None, after)
        has_newer = further
        has_older = after is not None and plain.filter(pk__lt=lowest).exists()
    rows.sort(key=lambda event: event.pk, reverse=not oldest_first)
    counted = plain[: COUNT_LIMIT + 1].count()
    return EventPage(
        events=rows,
        newer=highest if has_newer else None,
        older=lowest if has_older else None,
        count=min(counted, COUNT_LIMIT),
        count_capped=counted > COUNT_LIMIT,
        oldest_first=oldest_first,
        at_start=before is None and after is None,
    )


def event_context(events: list) -> None:
    """Attach to each event the cases, programmes and versions it concerns, in three queries at most.

    Sets event.case (StageProcess or None), event.programme (Programme or None), event.version_obj.
    """
    from workflows.models import StageProcess

    process_ids = {e.process_id for e in events if e.process_id}
    version_ids = {e.version_id for e in events if e.version_id}
    programme_ids = {getattr(e, "programme_id", None) for e in events} - {None}
    versions = {}
    if version_ids:
        versions = {
            v.pk: v for v in Version.objects.filter(pk__in=version_ids).select_related("document__programme__region")
        }
    document_ids = {v.document_id for v in versions.values()}
    cases = {}
    if process_ids or document_ids:
        found = StageProcess.objects.filter(Q(pk__in=process_ids) | Q(document_id__in=document_ids)).select_related(
            "programme__region"
        )
        cases = {c.pk: c for c in found}
    case_by_document = {c.document_id: c for c in cases.values() if c.document_id}
    programmes = {c.programme_id: c.programme for c in cases.values()}
    programmes.update({v.document.programme_id: v.document.programme for v in versions.values()})
    missing = programme_ids - set(programmes)
    if missing:
        programmes.update({p.pk: p for p in Programme.objects.filter(pk__in=missing).select_related("region")})
    for event in events:
        version = versions.get(event.version_id)
        case = cases.get(event.process_id) or (case_by_document.get(version.document_id) if version else None)
        programme_id = getattr(event, "programme_id", None) or (case.programme_id if case else None) or (
            version.document.programme_id if version else None
        )
        event.version_obj = version
        event.case = case
        event.programme_obj = programmes.get(programme_id)




def action_label(action: str) -> str:
    """The Indonesian label of an action code (the code itself when it has none)."""
    try:
        return str(AuditAction(action).label)
    except ValueError:  # an action this release no longer writes: show its code
        return action


def actions_labelled(text: str) -> list[str]:
    """Action codes whose label contains the text (so a search for 'ditandatangani' finds document.signed)."""
    needle = text.strip().lower()
    return [action.value for action in AuditAction if needle and needle in str(action.label).lower()]
