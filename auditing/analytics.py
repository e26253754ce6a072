"""Process analytics for auditors: time per stage and step, open and overdue tasks, returns.

Every function takes the regions to report on (already scoped to what the user
may see, and narrowed by the page's filter: a list, or a queryset for a national
scope) and an optional stage. Each runs a fixed number of queries, aggregated by
the database (GROUP BY, medians and percentiles with percentile_cont), never a
query per row, and returns its rows ranked (the longest, slowest, most overdue,
most returned first), at most `limit` of them.

The tables (`tables`) are what both the page and the CSV export show, cell for
cell, in the same order: the page the first TABLE_ROWS rows, the CSV every row.
The charts (`charts`) are inline SVG built here, every label escaped.
"""

import datetime
import functools
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import (
    Aggregate,
    Avg,
    Case,
    CharField,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from agreements.models import RETURNING, Decision, DecisionKind, Region
from permissions.roles import AgencyKind
from permissions.steps import STEPS
from workflows import deadlines, workdays
from workflows.models import STAGE_ORDER, Outcome, Stage, StageProcess

# Tenggat (workflows.deadlines): each open task's due date is the one stored when it was created, on its
# region's working-day calendar (Monday to Friday without national holidays, cuti bersama and regional
# holidays); a task from before Tenggat were stored gets one computed the same way. A task is late once
# the day is past its due date. Each step's working days are the administrators' (StepDeadline).
OPEN_STATUSES = deadlines.OPEN_STATUSES
HOUR = 3600.0
DAY = 86400.0


def is_overdue(due: datetime.date, today: datetime.date) -> bool:
    """Late: still open after the last working day it may stay open."""
    return today > due


def _computed_dues(missing: list[tuple[int, str, str, datetime.datetime]], table: dict, today: datetime.date) \
        -> list[datetime.date]:
    """Due dates of tasks without a stored Tenggat, on their regions' calendars (one query for all)."""
    if not missing:
        return []
    start = min(timezone.localdate(created) for *_key, created in missing) - datetime.timedelta(days=1)
    end = max(today, *(timezone.localdate(created) for *_key, created in missing)) \
        + datetime.timedelta(days=workdays.HORIZON_DAYS)
    calendars = workdays.calendars_for({region_id for region_id, *_rest in missing}, start, end)
    return [
        deadlines.due_date(created, table.get((stage, name), (deadlines.DEFAULT_DEADLINE_DAYS,))[0], region_id,
                           calendars[region_id])
        for region_id, stage, name, created in missing
    ]


# Steps, in flow order ---------------------------------------------------------


@dataclass(frozen=True)
class StepInfo:
    stage: str
    name: str
    title: str
    agency_kind: str
    agency: str
    order: tuple[int, int]

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)


def step_info(stage: str, name: str, fallback_title: str = "") -> StepInfo:
    """Title and agency of a flow step, from the step table (no query)."""
    steps = STEPS.get(stage, {})
    spec = steps.get(name)
    title = str(spec.title) if spec else (fallback_title or name)
    agency_kind = spec.role.agency_kind.value if spec else ""
    agency = str(AgencyKind(agency_kind).label) if agency_kind else ""
    stage_index = STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)
    step_index = list(steps).index(name) if name in steps else len(steps)
    return StepInfo(stage, name, title, agency_kind, agency, (stage_index, step_index))


def _node_step(node) -> tuple[str, str] | None:
    """(stage, step name) of a task's flow node, or None for a node that is not a stage step."""
    if node is None or getattr(node, "step_role", None) is None:
        return None
    stage = getattr(node.flow_class, "stage", "")
    return (stage, node.name) if stage else None


# Numbers, in SQL -----------------------------------------------------------------

# The page shows each table's first rows (its ranking is in each section); the CSV has every row.
TABLE_ROWS = 25
CHART_BARS = 20  # a chart per region shows the regions with the most


class Seconds(Func):
    """Seconds from the second expression to the first (a float), on PostgreSQL and SQLite."""

    arg_joiner = " - "
    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)"
    output_field = FloatField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)",
                              arg_joiner=") - julianday(", **extra_context)


class Tenths(Func):
    """A number rounded to one decimal, times ten (the precision the tables show): ranks equal-looking rows alike."""

    template = "ROUND((%(expressions)s) * 10)"
    output_field = FloatField()


def percentile(values: Sequence[float], fraction: float) -> float:
    """The interpolated percentile (PostgreSQL's percentile_cont, statistics.quantiles' "inclusive")."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


class _SqlitePercentile:
    """percentile_cont for SQLite (the embedded default), registered on its connection when first used."""

    def __init__(self):
        self.values, self.fraction = [], 0.5

    def step(self, value, fraction):
        if value is not None:
            self.values.append(value)
        self.fraction = fraction

    def finalize(self):
        return percentile(self.values, self.fraction) if self.values else None


class Percentile(Aggregate):
    """The interpolated percentile of a group, computed by the database (median: fraction 0.5)."""

    function = "percentile_cont"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        connection.ensure_connection()
        connection.connection.create_aggregate("sepakat_percentile", 2, _SqlitePercentile)
        return super().as_sql(compiler, connection, template="sepakat_percentile(%(expressions)s, %(fraction)s)",
                              **extra_context)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def p90(values: Sequence[float]) -> float:
    """The 90th percentile (interpolated between the data points)."""
    return percentile(values, 0.9)


def _r(value: float | None, digits: int = 1) -> float:
    return round(float(value or 0.0), digits)


def _in_regions(field: str, regions) -> Q:
    """`field` (a path to a Region) within these regions: a list (their ids), a queryset (as a subquery), or
    every region (an unfiltered queryset: only that the path leads to a region, no join with the regions
    table, whose plan the database may otherwise misjudge for every task of a national scope)."""
    if isinstance(regions, QuerySet):
        if not regions.query.where:
            return Q(**{f"{field}__isnull": False})
        return Q(**{f"{field}__in": regions.values("pk")})
    return Q(**{f"{field}__in": [region.pk for region in regions]})


def _regions_of(regions, ids: Iterable[int]) -> dict[int, Region]:
    """The regions of these ids (from the list given, else one query for those rows only)."""
    ids = set(ids)
    if not isinstance(regions, QuerySet):
        return {region.pk: region for region in regions if region.pk in ids}
    return Region.objects.in_bulk(ids) if ids else {}


# The steps of the flows as the database stores them (Task.flow_task), in flow order.
@functools.cache
def _step_refs() -> dict[str, tuple[str, str]]:
    """flow_task reference -> (stage, step name), for the human steps of every stage, in flow order."""
    from viewflow.workflow.fields import get_task_ref

    from workflows.flows import FLOWS

    refs = {}
    for stage in STAGE_ORDER:
        flow_class = FLOWS.get(stage)
        if flow_class is None:
            continue
        nodes = {node.name: node for node in flow_class.instance.nodes() if _node_step(node) is not None}
        for name in sorted(nodes, key=lambda n: step_info(stage, n).order):
            refs[get_task_ref(nodes[name])] = (stage, name)
    return refs


def _flow_order(field: str = "flow_task") -> Case:
    """The step's place in flow order, for ORDER BY."""
    return Case(*(When(**{field: ref}, then=Value(index)) for index, ref in enumerate(_step_refs())),
                default=Value(len(_step_refs())), output_field=IntegerField())


def _step_order(stage_field: str, step_field: str) -> Case:
    """The place in flow order of a (stage, step name) pair, for ORDER BY (decisions name their step)."""
    whens = [When(**{stage_field: stage, step_field: name}, then=Value(index))
             for index, (stage, name) in enumerate(_step_refs().values())]
    return Case(*whens, default=Value(len(whens)), output_field=IntegerField())


def _agency_kind_of_step(field: str = "flow_task") -> Case:
    whens = [When(**{field: ref}, then=Value(step_info(stage, name).agency_kind))
             for ref, (stage, name) in _step_refs().items()]
    return Case(*whens, default=Value(""), output_field=CharField())


def _limited(queryset, limit: int | None) -> tuple[list, bool]:
    """The rows (one more than the limit asked, to tell whether there are more) and whether there are more."""
    if limit is None:
        return list(queryset), False
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


# 1. Time per stage --------------------------------------------------------------


@dataclass(frozen=True)
class StageRow:
    region: Region
    stage: str
    process_id: int
    outcome: str
    created: datetime.datetime
    finished: datetime.datetime | None
    days: float


@dataclass(frozen=True)
class StageSummary:
    stage: str
    count: int
    open: int
    median_days: float
    mean_days: float


@dataclass
class StageDurations:
    rows: list[StageRow] = field(default_factory=list)  # the longest first
    summary: list[StageSummary] = field(default_factory=list)
    more: bool = False  # rows beyond the limit asked for


def stage_durations(regions, stage: str | None = None, now=None, *, limit: int | None = None) -> StageDurations:
    """Days from opening to closing (or to now while open) of each stage case, the longest first.

    Two queries (the cases, the summary per stage, both computed by the database), a third for the rows'
    regions when `regions` is a queryset.
    """
    now = now or timezone.now()
    cases = StageProcess.objects.filter(_in_regions("programme__region", regions))
    if stage:
        cases = cases.filter(stage=stage)
    seconds = Seconds(Coalesce("finished", Value(now, output_field=DateTimeField())), "created")
    found, more = _limited(
        cases.annotate(seconds=seconds).order_by("-seconds", "pk").values_list(
            "pk", "programme__region_id", "stage", "outcome", "created", "finished", "seconds"),
        limit,
    )
    by_id = _regions_of(regions, (row[1] for row in found))
    rows = [StageRow(by_id[region_id], stage_value, pk, outcome, created, finished, _r(secs / DAY))
            for pk, region_id, stage_value, outcome, created, finished, secs in found]
    per_stage = {
        row["stage"]: row for row in cases.order_by().values("stage").annotate(
            count=Count("pk"), open=Count("pk", filter=Q(outcome=Outcome.OPEN)), mean=Avg(seconds),
            median=Percentile(seconds, 0.5),
        )
    }
    summary = [
        StageSummary(stage_value, row["count"], row["open"], _r(row["median"] / DAY), _r(row["mean"] / DAY))
        for stage_value in STAGE_ORDER if (row := per_stage.get(stage_value))
    ]
    return StageDurations(rows, summary, more)


# 2. Time per step -----------------------------------------------------------------


@dataclass(frozen=True)
class StepRow:
    region: Region | None  # None: all the regions reported on together
    step: StepInfo
    count: int
    median_hours: float
    p90_hours: float

    @property
    def median_days(self) -> float:
        return _r(self.median_hours / 24, 2)


@dataclass(frozen=True)
class AgencyRow:
    agency_kind: str
    agency: str
    count: int
    median_hours: float
    p90_hours: float


@dataclass
class StepDurations:
    rows: list[StepRow] = field(default_factory=list)  # per region and step, the slowest first
    by_agency: list[AgencyRow] = field(default_factory=list)  # per agency kind, all regions together
    more: bool = False


TASK_REGION = "process__stageprocess__programme__region"


def _human_tasks(regions, stage: str | None):
    """The human step tasks of these regions; of one stage: the steps of that stage's flow (each stage has its
    own flow), so the planner reads the stage from the task's own column, not through the case's."""
    refs = [ref for ref, (step_stage, _name) in _step_refs().items() if not stage or step_stage == stage]
    return Task.objects.filter(_in_regions(TASK_REGION, regions), flow_task_type="HUMAN", flow_task__in=refs)


def step_durations(regions, stage: str | None = None, *, limit: int | None = None) -> StepDurations:
    """Hours from creation to completion of finished human tasks, per region and step: the slowest median
    first (then region, then flow order). Two queries, computed by the database; a third for the regions
    of the rows when `regions` is a queryset."""
    tasks = _human_tasks(regions, stage).filter(status=STATUS.DONE, finished__isnull=False)
    hours = Seconds("finished", "created") / Value(HOUR)
    found, more = _limited(
        tasks.values(f"{TASK_REGION}_id", "flow_task").annotate(
            count=Count("pk"), median=Percentile(hours, 0.5), p90=Percentile(hours, 0.9),
        ).order_by(Tenths("median").desc(), f"{TASK_REGION}__kind", f"{TASK_REGION}__name", _flow_order()),
        limit,
    )
    by_id = _regions_of(regions, (row[f"{TASK_REGION}_id"] for row in found))
    refs = _step_refs()
    rows = [
        StepRow(by_id[row[f"{TASK_REGION}_id"]], step_info(*refs[_ref(row["flow_task"])]), row["count"],
                _r(row["median"]), _r(row["p90"]))
        for row in found
    ]
    per_agency = {
        row["kind"]: row for row in tasks.order_by().values(kind=_agency_kind_of_step()).annotate(
            count=Count("pk"), median=Percentile(hours, 0.5), p90=Percentile(hours, 0.9))
    }
    by_agency = [
        AgencyRow(kind, str(AgencyKind(kind).label), row["count"], _r(row["median"]), _r(row["p90"]))
        for kind in AgencyKind.values if (row := per_agency.get(kind))
    ]
    return StepDurations(rows, by_agency, more)


def _ref(flow_task) -> str:
    """The stored reference of a flow_task value (values() gives the node itself)."""
    from viewflow.workflow.fields import get_task_ref

    return flow_task if isinstance(flow_task, str) else get_task_ref(flow_task)


# 3. Open and overdue tasks ---------------------------------------------------------


@dataclass(frozen=True)
class OpenRow:
    region: Region
    step: StepInfo
    deadline_days: int
    open: int
    overdue: int
    oldest_days: float


@dataclass(frozen=True)
class RegionOpen:
    region: Region
    open: int
    overdue: int


@dataclass
class OpenTasks:
    rows: list[OpenRow] = field(default_factory=list)  # per region and step, the most overdue first
    per_region: list[RegionOpen] = field(default_factory=list)  # the regions with the most overdue first
    total_open: int = 0
    total_overdue: int = 0
    more: bool = False
    more_regions: bool = False


def open_tasks(regions, stage: str | None = None, now=None, *, limit: int | None = None,
               region_limit: int | None = None) -> OpenTasks:
    """Open human tasks per region and step, with how many are past their Tenggat, the most overdue first.

    Four queries, counted by the database (the rows, the regions' totals, the overall totals, the steps'
    working days); two more when some task has no stored Tenggat (those tasks, and the calendars of their
    regions at once), and one for the rows' regions when `regions` is a queryset.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    tasks = _human_tasks(regions, stage).filter(status__in=OPEN_STATUSES)
    counts = {"open": Count("pk"), "overdue": Count("pk", filter=Q(deadline__due__lt=today))}
    region_order = (f"{TASK_REGION}__kind", f"{TASK_REGION}__name")
    found, more = _limited(
        tasks.values(f"{TASK_REGION}_id", "flow_task").annotate(**counts, oldest=Min("created"))
        .order_by("-overdue", "-open", *region_order, _flow_order()),
        limit,
    )
    regional, more_regions = _limited(
        tasks.values(f"{TASK_REGION}_id").annotate(**counts).order_by("-overdue", "-open", *region_order),
        region_limit,
    )
    totals = tasks.aggregate(**counts, missing=Count("pk", filter=Q(deadline__isnull=True)))
    table = deadlines.step_deadlines()
    refs = _step_refs()
    late = _late_without_tenggat(tasks, table, today) if totals["missing"] else Counter()
    by_id = _regions_of(regions, {row[f"{TASK_REGION}_id"] for row in (*found, *regional)})
    rows = []
    for row in found:
        region_id, key = row[f"{TASK_REGION}_id"], refs[_ref(row["flow_task"])]
        rows.append(OpenRow(
            region=by_id[region_id],
            step=step_info(*key),
            deadline_days=table.get(key, (deadlines.DEFAULT_DEADLINE_DAYS,))[0],
            open=row["open"],
            overdue=row["overdue"] + late[(region_id, key)],
            oldest_days=_r((now - row["oldest"]).total_seconds() / DAY),
        ))
    per_region = [
        RegionOpen(by_id[row[f"{TASK_REGION}_id"]], row["open"],
                   row["overdue"] + late[row[f"{TASK_REGION}_id"]])
        for row in regional
    ]
    return OpenTasks(rows, per_region, totals["open"], totals["overdue"] + late["total"], more, more_regions)


def _late_without_tenggat(tasks, table: dict, today: datetime.date) -> Counter:
    """Late tasks among those without a stored Tenggat (from before Tenggat were stored), due on their
    regions' calendars: counted per (region, step), per region and in total."""
    refs = _step_refs()
    missing = [(region_id, *refs[_ref(node)], created) for node, region_id, created in
               tasks.filter(deadline__isnull=True).values_list("flow_task", f"{TASK_REGION}_id", "created")
               .order_by()]
    late = Counter()
    for (region_id, stage_value, name, _created), due in zip(missing, _computed_dues(missing, table, today),
                                                            strict=True):
        if is_overdue(due, today):
            late[(region_id, (stage_value, name))] += 1
            late[region_id] += 1
            late["total"] += 1
    return late


# 4. Returns and rejections per step --------------------------------------------------


@dataclass(frozen=True)
class ReturnRow:
    region: Region
    step: StepInfo
    returns: int
    rejections: int


@dataclass(frozen=True)
class StepReturns:
    step: StepInfo
    returns: int
    rejections: int


@dataclass
class Returns:
    rows: list[ReturnRow] = field(default_factory=list)  # per region and step, the most first
    per_step: list[StepReturns] = field(default_factory=list)  # all regions together, in flow order
    more: bool = False


DECISION_REGION = "process__stageprocess__programme__region"


def returns_per_step(regions, stage: str | None = None, *, limit: int | None = None) -> Returns:
    """Where drafts bounce: returns (and letters asking for changes) and rejections, per region and step,
    the most first. Two queries, counted in the database; a third for the rows' regions when `regions` is a
    queryset."""
    decisions = Decision.objects.filter(_in_regions(DECISION_REGION, regions),
                                        kind__in=[*RETURNING, DecisionKind.REJECTED])
    if stage:
        decisions = decisions.filter(process__stageprocess__stage=stage)
    counts = {"returns": Count("pk", filter=Q(kind__in=list(RETURNING))),
              "rejections": Count("pk", filter=Q(kind=DecisionKind.REJECTED))}
    stage_field = "process__stageprocess__stage"
    found, more = _limited(
        decisions.values(f"{DECISION_REGION}_id", stage_field, "step").annotate(**counts, total=Count("pk"))
        .order_by("-total", f"{DECISION_REGION}__kind", f"{DECISION_REGION}__name",
                  _step_order(stage_field, "step"), "step"),
        limit,
    )
    by_id = _regions_of(regions, (row[f"{DECISION_REGION}_id"] for row in found))
    rows = [ReturnRow(by_id[row[f"{DECISION_REGION}_id"]], step_info(row[stage_field], row["step"]),
                      row["returns"], row["rejections"]) for row in found]
    step_rows = [StepReturns(step_info(row[stage_field], row["step"]), row["returns"], row["rejections"])
                 for row in decisions.order_by().values(stage_field, "step").annotate(**counts)]
    step_rows.sort(key=lambda r: r.step.order)
    return Returns(rows, step_rows, more)


# The whole report -------------------------------------------------------------------


@dataclass
class Report:
    regions: list[Region]
    stage: str | None
    now: datetime.datetime
    stages: StageDurations
    steps: StepDurations
    open: OpenTasks
    returns: Returns


SECTIONS = {
    "stages": lambda regions, stage, now, limit: stage_durations(regions, stage, now, limit=limit),
    "steps": lambda regions, stage, now, limit: step_durations(regions, stage, limit=limit),
    "open": lambda regions, stage, now, limit: open_tasks(regions, stage, now, limit=limit,
                                                          region_limit=CHART_BARS if limit else None),
    "returns": lambda regions, stage, now, limit: returns_per_step(regions, stage, limit=limit),
}


def report(regions, stage: str | None = None, now=None, *, limit: int | None = None) -> Report:
    """All four sections for these regions (a list, or a queryset for a large scope), each table at most
    `limit` rows: a fixed number of queries, whatever the number of cases and tasks."""
    now = now or timezone.now()
    stage = stage or None
    return Report(regions=regions, stage=stage, now=now,
                  **{slug: build(regions, stage, now, limit) for slug, build in SECTIONS.items()})


# Every region at once (the snapshots of the regional auditors) ---------------------------


def reports_per_region(stage: str | None = None, now=None, *, limit: int = TABLE_ROWS) -> dict[int, Report]:
    """The report of each region on its own, for every region at once, each table at most `limit` rows.

    The same numbers as report([region], stage, limit=limit) for each region (medians and percentiles are
    computed per region by the database, never combined), in about ten queries over the national tables
    instead of ten per region: the rows are grouped by region in SQL and handed out here.
    """
    now = now or timezone.now()
    stage = stage or None
    today = timezone.localdate(now)
    regions = Region.objects.in_bulk()
    empty = {pk: Report([region], stage, now, StageDurations(), StepDurations(), OpenTasks(), Returns())
             for pk, region in regions.items()}
    refs = _step_refs()

    # 1. Stages: each region's longest cases (a window per region), and its summary per stage.
    cases = StageProcess.objects.filter(programme__region__isnull=False)
    if stage:
        cases = cases.filter(stage=stage)
    seconds = Seconds(Coalesce("finished", Value(now, output_field=DateTimeField())), "created")
    ranked = cases.annotate(seconds=seconds).annotate(rank=Window(
        RowNumber(), partition_by=[F("programme__region_id")], order_by=[F("seconds").desc(), F("pk").asc()],
    )).filter(rank__lte=limit + 1).values_list(
        "pk", "programme__region_id", "stage", "outcome", "created", "finished", "seconds")
    stage_rows: dict[int, list] = {}
    for row in ranked:
        stage_rows.setdefault(row[1], []).append(row)
    for region_id, found in stage_rows.items():
        found.sort(key=lambda r: (-r[6], r[0]))
        empty[region_id].stages.more = len(found) > limit
        empty[region_id].stages.rows = [
            StageRow(regions[region_id], stage_value, pk, outcome, created, finished, _r(secs / DAY))
            for pk, _region, stage_value, outcome, created, finished, secs in found[:limit]]
    summaries: dict[int, dict] = {}
    for row in cases.order_by().values("programme__region_id", "stage").annotate(
            count=Count("pk"), open=Count("pk", filter=Q(outcome=Outcome.OPEN)), mean=Avg(seconds),
            median=Percentile(seconds, 0.5)):
        summaries.setdefault(row["programme__region_id"], {})[row["stage"]] = row
    for region_id, per_stage in summaries.items():
        empty[region_id].stages.summary = [
            StageSummary(stage_value, row["count"], row["open"], _r(row["median"] / DAY), _r(row["mean"] / DAY))
            for stage_value in STAGE_ORDER if (row := per_stage.get(stage_value))]

    # 2. Steps: per region and step, the slowest first; per region and agency kind.
    region_id_field = f"{TASK_REGION}_id"
    all_regions = Region.objects.all()
    done = _human_tasks(all_regions, stage).filter(status=STATUS.DONE, finished__isnull=False)
    hours = Seconds("finished", "created") / Value(HOUR)
    for row in done.values(region_id_field, "flow_task").annotate(
            count=Count("pk"), median=Percentile(hours, 0.5), p90=Percentile(hours, 0.9),
    ).order_by(region_id_field, Tenths("median").desc(), _flow_order()):
        steps = empty[row[region_id_field]].steps
        if len(steps.rows) >= limit:
            steps.more = True
            continue
        steps.rows.append(StepRow(regions[row[region_id_field]], step_info(*refs[_ref(row["flow_task"])]),
                                  row["count"], _r(row["median"]), _r(row["p90"])))
    agencies: dict[int, dict] = {}
    for row in done.order_by().values(region_id_field, kind=_agency_kind_of_step()).annotate(
            count=Count("pk"), median=Percentile(hours, 0.5), p90=Percentile(hours, 0.9)):
        agencies.setdefault(row[region_id_field], {})[row["kind"]] = row
    for region_id, per_agency in agencies.items():
        empty[region_id].steps.by_agency = [
            AgencyRow(kind, str(AgencyKind(kind).label), row["count"], _r(row["median"]), _r(row["p90"]))
            for kind in AgencyKind.values if (row := per_agency.get(kind))]

    # 3. Open tasks: per region and step, the most overdue first; each region's totals.
    open_ = _human_tasks(all_regions, stage).filter(status__in=OPEN_STATUSES)
    counts = {"open": Count("pk"), "overdue": Count("pk", filter=Q(deadline__due__lt=today))}
    totals = list(open_.values(region_id_field).annotate(
        **counts, missing=Count("pk", filter=Q(deadline__isnull=True))).order_by())
    table = deadlines.step_deadlines()
    late = _late_without_tenggat(open_, table, today) if any(row["missing"] for row in totals) else Counter()
    rows = open_.values(region_id_field, "flow_task").annotate(**counts, oldest=Min("created"))
    for row in rows.order_by(region_id_field, "-overdue", "-open", _flow_order()):
        region_id, key = row[region_id_field], refs[_ref(row["flow_task"])]
        tasks = empty[region_id].open
        if len(tasks.rows) >= limit:
            tasks.more = True
            continue
        tasks.rows.append(OpenRow(
            region=regions[region_id], step=step_info(*key),
            deadline_days=table.get(key, (deadlines.DEFAULT_DEADLINE_DAYS,))[0], open=row["open"],
            overdue=row["overdue"] + late[(region_id, key)],
            oldest_days=_r((now - row["oldest"]).total_seconds() / DAY),
        ))
    for row in totals:
        region_id = row[region_id_field]
        tasks = empty[region_id].open
        tasks.total_open, tasks.total_overdue = row["open"], row["overdue"] + late[region_id]
        tasks.per_region = [RegionOpen(regions[region_id], tasks.total_open, tasks.total_overdue)]

    # 4. Returns: per region and step, the most first (a region's steps together are its rows).
    decisions = Decision.objects.filter(kind__in=[*RETURNING, DecisionKind.REJECTED],
                                        **{f"{DECISION_REGION}__isnull": False})
    if stage:
        decisions = decisions.filter(process__stageprocess__stage=stage)
    stage_field = "process__stageprocess__stage"
    decision_region = f"{DECISION_REGION}_id"
    for row in decisions.values(decision_region, stage_field, "step").annotate(
            returns=Count("pk", filter=Q(kind__in=list(RETURNING))),
            rejections=Count("pk", filter=Q(kind=DecisionKind.REJECTED)), total=Count("pk"),
    ).order_by(decision_region, "-total", _step_order(stage_field, "step"), "step"):
        returned = empty[row[decision_region]].returns
        step = step_info(row[stage_field], row["step"])
        returned.per_step.append(StepReturns(step, row["returns"], row["rejections"]))
        if len(returned.rows) >= limit:
            returned.more = True
            continue
        returned.rows.append(ReturnRow(regions[row[decision_region]], step, row["returns"], row["rejections"]))
    for data in empty.values():
        data.returns.per_step.sort(key=lambda r: r.step.order)
    return empty


# Tables: the page and the CSV show the same cells -------------------------------------


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: list[list]
    more: bool = False  # the page shows the first rows only: the CSV has them all


TABLE_SLUGS = ("stages", "steps", "open", "returns")


def _when(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def stages_table(data: StageDurations) -> Table:
    return Table(
        "stages",
        _("Waktu per tahap"),
        [_("Daerah"), _("Tahap"), _("Kasus"), _("Hasil"), _("Dibuka"), _("Ditutup"), _("Hari")],
        [
            [str(r.region), str(Stage(r.stage).label), r.process_id, str(Outcome(r.outcome).label),
             _when(r.created), _when(r.finished), r.days]
            for r in data.rows
        ],
        data.more,
    )


def steps_table(data: StepDurations) -> Table:
    return Table(
        "steps",
        _("Waktu per langkah"),
        [_("Daerah"), _("Tahap"), _("Langkah"), _("Instansi"), _("Tugas selesai"), _("Median (jam)"),
         _("P90 (jam)"), _("Median (hari)")],
        [
            [str(r.region), r.step.stage_label, r.step.title, r.step.agency, r.count, r.median_hours,
             r.p90_hours, r.median_days]
            for r in data.rows
        ],
        data.more,
    )


def open_table(data: OpenTasks) -> Table:
    return Table(
        "open",
        _("Tugas terbuka dan terlambat"),
        [_("Daerah"), _("Tahap"), _("Langkah"), _("Instansi"), _("Tenggat (hari kerja)"), _("Terbuka"),
         _("Terlambat"), _("Tertua (hari)")],
        [
            [str(r.region), r.step.stage_label, r.step.title, r.step.agency, r.deadline_days, r.open, r.overdue,
             r.oldest_days]
            for r in data.rows
        ],
        data.more,
    )


def returns_table(data: Returns) -> Table:
    return Table(
        "returns",
        _("Pengembalian dan penolakan per langkah"),
        [_("Daerah"), _("Tahap"), _("Langkah"), _("Instansi"), _("Dikembalikan"), _("Ditolak")],
        [
            [str(r.region), r.step.stage_label, r.step.title, r.step.agency, r.returns, r.rejections]
            for r in data.rows
        ],
        data.more,
    )


TABLE_BUILDERS = {"stages": stages_table, "steps": steps_table, "open": open_table, "returns": returns_table}


def tables(data: Report) -> dict[str, Table]:
    return {slug: TABLE_BUILDERS[slug](getattr(data, slug)) for slug in TABLE_SLUGS}


def table(data: Report, slug: str) -> Table:
    return TABLE_BUILDERS[slug](getattr(data, slug))


def full_table(regions, slug: str, stage: str | None = None, now=None) -> Table:
    """Every row of one table (the CSV): only that section is computed."""
    now = now or timezone.now()
    return TABLE_BUILDERS[slug](SECTIONS[slug](regions, stage or None, now, None))


# Charts: horizontal bars as inline SVG -------------------------------------------------

SERIES_COLOURS = ("#1565c0", "#c62828", "#2e7d32", "#f9a825")
CHART_WIDTH = 720
LABEL_WIDTH = 260
VALUE_WIDTH = 70
BAR_HEIGHT = 14
GROUP_GAP = 10
LEGEND_HEIGHT = 22
LABEL_CHARS = 42


def _number(value: float) -> str:
    decimals = 0 if float(value).is_integer() else 1
    return formats.number_format(value, decimal_pos=decimals)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(bars: Sequence[tuple[str, Sequence[float]]], series: Sequence[str], *, title: str,
              unit: str = "") -> SafeString:
    """A horizontal bar chart: one group of bars per label, one bar per series.

    Every text (title, labels, series names, unit) is escaped by format_html;
    numbers are formatted here. The result is safe to put in a page as is.
    """
    series = [str(s) for s in series]
    top = LEGEND_HEIGHT if len(series) > 1 else 6
    group_height = BAR_HEIGHT * len(series) + GROUP_GAP
    height = top + max(len(bars), 1) * group_height + 6
    plot_width = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max((float(v) for _label, values in bars for v in values), default=0.0) or 1.0
    parts = [format_html("<title>{}</title>", title)]
    if len(series) > 1:
        x = LABEL_WIDTH
        for index, name in enumerate(series):
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            parts.append(format_html(
                '<rect x="{}" y="4" width="10" height="10" fill="{}"/>'
                '<text x="{}" y="13" font-size="11">{}</text>',
                x, colour, x + 14, name,
            ))
            x += 24 + 7 * len(name)
    if not bars:
        parts.append(format_html('<text x="{}" y="{}" font-size="12" fill="#666">{}</text>',
                                 LABEL_WIDTH, top + 12, _("Belum ada data.")))
    for group, (label, values) in enumerate(bars):
        y = top + group * group_height
        label = str(label)
        parts.append(format_html(
            '<text x="{}" y="{}" font-size="12" text-anchor="end"><title>{}</title>{}</text>',
            LABEL_WIDTH - 8, y + BAR_HEIGHT * len(series) / 2 + 4, label, _short(label),
        ))
        for index, value in enumerate(values):
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            bar_y = y + index * BAR_HEIGHT
            width = round(plot_width * float(value) / largest, 1)
            text = f"{_number(value)} {unit}".strip()
            parts.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" font-size="11">{}</text>',
                LABEL_WIDTH, bar_y, width, BAR_HEIGHT - 2, colour, series[index], text,
                LABEL_WIDTH + width + 4, bar_y + BAR_HEIGHT - 3, text,
            ))
    body = format_html_join("", "{}", ((part,) for part in parts))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="sp-chart" role="img" aria-label="{}" '
        'width="{}" height="{}" viewBox="0 0 {} {}">{}</svg>',
        title, CHART_WIDTH, height, CHART_WIDTH, height, body,
    )


def _step_label(step: StepInfo, with_stage: bool) -> str:
    return f"{step.stage_label}: {step.title}" if with_stage else step.title


def charts(data: Report) -> dict[str, SafeString]:
    """One chart per section: what each shows is in its title."""
    with_stage = not data.stage
    return {
        "stages": bar_chart(
            [(str(Stage(s.stage).label), [s.median_days, s.mean_days]) for s in data.stages.summary],
            [_("Median"), _("Rata-rata")],
            title=_("Hari per tahap: median dan rata-rata"),
            unit=_("hari"),
        ),
        "steps": bar_chart(
            [(a.agency, [a.median_hours, a.p90_hours]) for a in data.steps.by_agency],
            [_("Median"), _("P90")],
            title=_("Jam per langkah menurut instansi: median dan P90"),
            unit=_("jam"),
        ),
        "open": bar_chart(
            [(str(r.region), [r.open, r.overdue]) for r in data.open.per_region],
            [_("Terbuka"), _("Terlambat")],
            title=_("Tugas terbuka dan terlambat per daerah"),
        ),
        "returns": bar_chart(
            [(_step_label(s.step, with_stage), [s.returns, s.rejections]) for s in data.returns.per_step],
            [_("Dikembalikan"), _("Ditolak")],
            title=_("Pengembalian dan penolakan per langkah"),
        ),
    }
