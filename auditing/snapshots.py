"""Analytics snapshots: the report computed off the request path, stored, and read by the page.

The report's GROUP BY and percentile work over every task of a national scope takes seconds; a page cannot
do it per request. Celery beat (`auditing.tasks.analytics_refresh`, every REFRESH_MINUTES) computes the
common views: the national report (every stage filter), each region's report on its own (what a regional
auditor sees, all regions in one pass: analytics.reports_per_region), and any other scope and filter read
in the last READ_DAYS days. A scope and filter that has no snapshot yet, or one older than REFRESH_MINUTES,
is computed on demand by a Celery task, at most once at a time (the row's `computing_since` is the lock);
meanwhile the page shows the previous snapshot, if any, and says that a new one is being computed.

A snapshot is keyed by the exact regions it reports on (snapshot_key): it holds those regions' figures
only. A regional auditor's page therefore reads a snapshot of their own regions, never a shared national
one. What is stored is numbers and codes (region ids, stage and step names); labels are translated and
region names read when the page is shown. The CSVs are not snapshots: they stream the live queries.
"""

import datetime
import hashlib
import json
import logging
import time

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from agreements.models import Region
from permissions.roles import AgencyKind
from sepakat.queueing import send_after_commit
from workflows.models import STAGE_ORDER

from . import analytics
from .models import AnalyticsSnapshot

logger = logging.getLogger(__name__)

REFRESH_MINUTES = 15  # beat's period (sepakat.settings.CELERY_BEAT_SCHEDULE["analytics-refresh"])
LOCK_MINUTES = 30  # a computation running longer than this is taken as lost (its worker died): may run again
READ_DAYS = 1  # scopes read in this many days are refreshed by beat too
FORMAT = 1  # the stored data's layout: a snapshot of another layout is computed again


def snapshot_key(region_ids, stage: str | None) -> str:
    """The exact scope and filter: every region (None) or these region ids, and the stage (or none)."""
    scope = "all" if region_ids is None else ",".join(str(pk) for pk in sorted(set(region_ids)))
    return hashlib.sha256(f"v{FORMAT}|{scope}|{stage or ''}".encode()).hexdigest()


# Stored data: numbers and codes only ---------------------------------------------------------


def _when(moment):
    return moment.isoformat() if moment else None


def dump(data: analytics.Report) -> dict:
    """The report as JSON: region ids, stage and step codes, numbers."""
    return {
        "format": FORMAT,
        "now": _when(data.now),
        "stages": {
            "rows": [[r.region.pk, r.stage, r.process_id, r.outcome, _when(r.created), _when(r.finished), r.days]
                     for r in data.stages.rows],
            "summary": [[s.stage, s.count, s.open, s.median_days, s.mean_days] for s in data.stages.summary],
            "more": data.stages.more,
        },
        "steps": {
            "rows": [[r.region.pk, r.step.stage, r.step.name, r.count, r.median_hours, r.p90_hours]
                     for r in data.steps.rows],
            "by_agency": [[a.agency_kind, a.count, a.median_hours, a.p90_hours] for a in data.steps.by_agency],
            "more": data.steps.more,
        },
        "open": {
            "rows": [[r.region.pk, r.step.stage, r.step.name, r.deadline_days, r.open, r.overdue, r.oldest_days]
                     for r in data.open.rows],
            "per_region": [[r.region.pk, r.open, r.overdue] for r in data.open.per_region],
            "total_open": data.open.total_open, "total_overdue": data.open.total_overdue,
            "more": data.open.more, "more_regions": data.open.more_regions,
        },
        "returns": {
            "rows": [[r.region.pk, r.step.stage, r.step.name, r.returns, r.rejections] for r in data.returns.rows],
            "per_step": [[s.step.stage, s.step.name, s.returns, s.rejections] for s in data.returns.per_step],
            "more": data.returns.more,
        },
    }


def _region_ids_in(stored: dict) -> set[int]:
    ids = set()
    for section, key in (("stages", "rows"), ("steps", "rows"), ("open", "rows"), ("open", "per_region"),
                         ("returns", "rows")):
        ids.update(row[0] for row in stored[section][key])
    return ids


def load(stored: dict, regions, stage: str | None) -> analytics.Report:
    """The report back from its JSON, with the regions as they are now (one query for the rows' regions)."""
    ids = _region_ids_in(stored)
    by_id = Region.objects.in_bulk(ids) if ids else {}
    info = analytics.step_info

    def rows_of(section: str, key: str = "rows"):  # a row of a region that no longer exists is left out
        return [row for row in stored[section][key] if row[0] in by_id]

    st, sp, op, rt = stored["stages"], stored["steps"], stored["open"], stored["returns"]
    return analytics.Report(
        regions=regions, stage=stage, now=parse_datetime(stored["now"]),
        stages=analytics.StageDurations(
            [analytics.StageRow(by_id[r[0]], r[1], r[2], r[3], parse_datetime(r[4]),
                                parse_datetime(r[5]) if r[5] else None, r[6]) for r in rows_of("stages")],
            [analytics.StageSummary(*s) for s in st["summary"]], st["more"]),
        steps=analytics.StepDurations(
            [analytics.StepRow(by_id[r[0]], info(r[1], r[2]), r[3], r[4], r[5]) for r in rows_of("steps")],
            [analytics.AgencyRow(a[0], str(AgencyKind(a[0]).label), a[1], a[2], a[3]) for a in sp["by_agency"]],
            sp["more"]),
        open=analytics.OpenTasks(
            [analytics.OpenRow(by_id[r[0]], info(r[1], r[2]), r[3], r[4], r[5], r[6]) for r in rows_of("open")],
            [analytics.RegionOpen(by_id[r[0]], r[1], r[2]) for r in rows_of("open", "per_region")],
            op["total_open"], op["total_overdue"], op["more"], op["more_regions"]),
        returns=analytics.Returns(
            [analytics.ReturnRow(by_id[r[0]], info(r[1], r[2]), r[3], r[4]) for r in rows_of("returns")],
            [analytics.StepReturns(info(s[0], s[1]), s[2], s[3]) for s in rt["per_step"]], rt["more"]),
    )


# Reading, and asking for a computation ----------------------------------------------------------


class Shown:
    """What the page shows: the last snapshot's report (or None yet), when it was computed, and whether a
    newer one is being computed."""

    def __init__(self, report, computed_at, computing: bool):
        self.report, self.computed_at, self.computing = report, computed_at, computing
        self.refresh_minutes = REFRESH_MINUTES


def _stale(snapshot: AnalyticsSnapshot, now) -> bool:
    return (snapshot.data is None or snapshot.data.get("format") != FORMAT or snapshot.computed_at is None
            or snapshot.computed_at < now - datetime.timedelta(minutes=REFRESH_MINUTES))


def _locked(snapshot: AnalyticsSnapshot, now) -> bool:
    return snapshot.computing_since is not None and \
        snapshot.computing_since >= now - datetime.timedelta(minutes=LOCK_MINUTES)


def _take_lock(key: str, now) -> bool:
    """Mark the snapshot as being computed, unless it already is (one UPDATE: only one request wins)."""
    free = Q(computing_since__isnull=True) | Q(computing_since__lt=now - datetime.timedelta(minutes=LOCK_MINUTES))
    return AnalyticsSnapshot.objects.filter(free, key=key).update(computing_since=now) == 1


def _release_lock(key: str) -> None:
    AnalyticsSnapshot.objects.filter(key=key).update(computing_since=None)


def snapshot_show(regions, stage: str | None, region_ids) -> Shown:
    """The stored report of exactly these regions (`region_ids`: their ids, None for every region; `regions`:
    the same regions, as the report shows them) and this stage; a computation queued (once) when there is
    none yet or it is older than REFRESH_MINUTES. Two queries when a fresh snapshot is there (the snapshot,
    the regions of its rows); never the computation itself, unless Celery runs eagerly (the embedded default
    and the tests, where the task runs when the request's transaction commits)."""
    from .tasks import analytics_compute

    now = timezone.now()
    ids = None if region_ids is None else sorted(set(region_ids))
    key = snapshot_key(ids, stage)
    snapshot = AnalyticsSnapshot.objects.filter(key=key).first()
    if snapshot is None:
        snapshot, _created = AnalyticsSnapshot.objects.get_or_create(
            key=key, defaults={"regions": ids, "stage": stage or ""})
    if snapshot.read_at is None or snapshot.read_at < now - datetime.timedelta(hours=1):
        AnalyticsSnapshot.objects.filter(pk=snapshot.pk).update(read_at=now)
    computing = _locked(snapshot, now)
    if _stale(snapshot, now) and not computing and _take_lock(key, now):
        computing = True
        # A broker that is down does not fail the page: the lock is released and the next reader (or beat) asks.
        send_after_commit(analytics_compute, key, on_failure=lambda: _release_lock(key))
        if analytics_compute.app.conf.task_always_eager:  # it has run: read what it stored
            snapshot.refresh_from_db()
            computing = _locked(snapshot, timezone.now())
    report = None
    if snapshot.data and snapshot.data.get("format") == FORMAT:
        report = load(snapshot.data, regions, stage)
    return Shown(report, snapshot.computed_at, computing)


# Computing ------------------------------------------------------------------------------------------


def _store(key: str, ids, stage: str | None, data: analytics.Report, started: float) -> None:
    AnalyticsSnapshot.objects.update_or_create(key=key, defaults={
        "regions": ids, "stage": stage or "", "data": json.loads(json.dumps(dump(data))),
        "computed_at": data.now, "duration_ms": round((time.monotonic() - started) * 1000),
        "computing_since": None,
    })


def snapshot_compute(*, key: str) -> bool:
    """Compute the snapshot of this key (its regions and stage as stored) and store it; releases the lock."""
    snapshot = AnalyticsSnapshot.objects.filter(key=key).first()
    if snapshot is None:
        return False
    started = time.monotonic()
    stage = snapshot.stage or None
    regions = Region.objects.all() if snapshot.regions is None else \
        list(Region.objects.filter(pk__in=snapshot.regions).order_by("kind", "name"))
    try:
        data = analytics.report(regions, stage, limit=analytics.TABLE_ROWS)
    except Exception:
        _release_lock(key)
        raise
    _store(key, snapshot.regions, stage, data, started)
    return True


def snapshots_refresh() -> dict[str, int]:
    """Beat's pass: the national report for each stage filter, every region's own report (in one pass per
    stage filter), and the other scopes read in the last READ_DAYS days. Returns how many of each."""
    now = timezone.now()
    counts = {"national": 0, "regions": 0, "read": 0}
    stages = [None, *STAGE_ORDER]
    for stage in stages:
        key = snapshot_key(None, stage)
        AnalyticsSnapshot.objects.get_or_create(key=key, defaults={"regions": None, "stage": stage or ""})
        if snapshot_compute(key=key):
            counts["national"] += 1
    for stage in stages:
        started = time.monotonic()
        for region_id, data in analytics.reports_per_region(stage, now).items():
            _store(snapshot_key([region_id], stage), [region_id], stage, data, started)
            counts["regions"] += 1
    done_recently = now - datetime.timedelta(minutes=1)
    for key in AnalyticsSnapshot.objects.filter(read_at__gte=now - datetime.timedelta(days=READ_DAYS)).filter(
            Q(computed_at__isnull=True) | Q(computed_at__lt=done_recently)).values_list("key", flat=True):
        if _take_lock(key, timezone.now()) and snapshot_compute(key=key):
            counts["read"] += 1
    logger.info("analytics snapshots refreshed: %s", counts)
    return counts
