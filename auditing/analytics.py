"""Process analytics for auditors: time per stage and step, open and overdue tasks, returns.

Every function takes the regions to report on (already scoped to what the user
may see, and narrowed by the page's filter) and an optional stage. Each runs a
fixed number of queries: one values() query, aggregated in the database or in
one pass in Python (medians and percentiles), never a query per row.

The tables (`tables`) are what both the page and the CSV export show, cell for
cell; the charts (`charts`) are inline SVG built here, every label escaped.
"""

import datetime
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count
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


# Numbers ----------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def p90(values: Sequence[float]) -> float:
    """The 90th percentile (interpolated between the data points)."""
    if not values:
        return 0.0
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def _r(value: float, digits: int = 1) -> float:
    return round(float(value), digits)


def _ids(regions: Iterable[Region]) -> list[int]:
    return [region.pk for region in regions]


def _regions_by_id(regions: Iterable[Region]) -> dict[int, Region]:
    return {region.pk: region for region in regions}


def _region_order(regions: Iterable[Region]) -> dict[int, int]:
    return {region.pk: index for index, region in enumerate(regions)}


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
    rows: list[StageRow] = field(default_factory=list)
    summary: list[StageSummary] = field(default_factory=list)


def stage_durations(regions: Sequence[Region], stage: str | None = None, now=None) -> StageDurations:
    """Days from opening to closing (or to now while open) of each stage case. One query."""
    now = now or timezone.now()
    by_id = _regions_by_id(regions)
    order = _region_order(regions)
    cases = StageProcess.objects.filter(programme__region__in=_ids(regions))
    if stage:
        cases = cases.filter(stage=stage)
    rows = []
    for pk, region_id, stage_value, outcome, created, finished in cases.values_list(
        "pk", "programme__region_id", "stage", "outcome", "created", "finished"
    ).order_by():
        days = ((finished or now) - created).total_seconds() / DAY
        rows.append(StageRow(by_id[region_id], stage_value, pk, outcome, created, finished, _r(days)))
    rows.sort(key=lambda r: (order[r.region.pk], STAGE_ORDER.index(r.stage), r.created))
    per_stage = defaultdict(list)
    for row in rows:
        per_stage[row.stage].append(row)
    summary = [
        StageSummary(
            stage=stage_value,
            count=len(per_stage[stage_value]),
            open=sum(1 for r in per_stage[stage_value] if r.outcome == Outcome.OPEN),
            median_days=_r(median([r.days for r in per_stage[stage_value]])),
            mean_days=_r(mean([r.days for r in per_stage[stage_value]])),
        )
        for stage_value in STAGE_ORDER
        if per_stage[stage_value]
    ]
    return StageDurations(rows, summary)


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
    rows: list[StepRow] = field(default_factory=list)  # per region and step
    by_agency: list[AgencyRow] = field(default_factory=list)  # per agency kind, all regions together


def step_durations(regions: Sequence[Region], stage: str | None = None) -> StepDurations:
    """Hours from creation to completion of finished human tasks, per region and step. One query."""
    by_id = _regions_by_id(regions)
    order = _region_order(regions)
    tasks = Task.objects.filter(
        flow_task_type="HUMAN", status=STATUS.DONE, finished__isnull=False,
        process__stageprocess__programme__region__in=_ids(regions),
    )
    if stage:
        tasks = tasks.filter(process__stageprocess__stage=stage)
    per_step: dict[tuple[int, str, str], list[float]] = defaultdict(list)
    per_agency: dict[str, list[float]] = defaultdict(list)
    infos: dict[tuple[str, str], StepInfo] = {}
    for node, region_id, created, finished in tasks.values_list(
        "flow_task", "process__stageprocess__programme__region_id", "created", "finished"
    ).order_by():
        key = _node_step(node)
        if key is None:
            continue
        info = infos.get(key) or infos.setdefault(key, step_info(*key))
        hours = (finished - created).total_seconds() / HOUR
        per_step[(region_id, *key)].append(hours)
        per_agency[info.agency_kind].append(hours)
    rows = [
        StepRow(by_id[region_id], infos[(stage_value, name)], len(values), _r(median(values)), _r(p90(values)))
        for (region_id, stage_value, name), values in per_step.items()
    ]
    rows.sort(key=lambda r: (order[r.region.pk], r.step.order))
    agency_order = list(AgencyKind.values)
    by_agency = [
        AgencyRow(kind, str(AgencyKind(kind).label), len(values), _r(median(values)), _r(p90(values)))
        for kind, values in sorted(per_agency.items(), key=lambda item: agency_order.index(item[0]))
    ]
    return StepDurations(rows, by_agency)


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
    rows: list[OpenRow] = field(default_factory=list)
    per_region: list[RegionOpen] = field(default_factory=list)

    @property
    def total_open(self) -> int:
        return sum(r.open for r in self.rows)

    @property
    def total_overdue(self) -> int:
        return sum(r.overdue for r in self.rows)


def open_tasks(regions: Sequence[Region], stage: str | None = None, now=None) -> OpenTasks:
    """Open human tasks per region and step, with how many are past their Tenggat. Two queries (the tasks
    with their stored Tenggat, the steps' working days), a third for the calendars when a task has none."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    by_id = _regions_by_id(regions)
    order = _region_order(regions)
    tasks = Task.objects.filter(
        flow_task_type="HUMAN", status__in=OPEN_STATUSES,
        process__stageprocess__programme__region__in=_ids(regions),
    )
    if stage:
        tasks = tasks.filter(process__stageprocess__stage=stage)
    table = deadlines.step_deadlines()
    groups: dict[tuple[int, str, str], list[tuple[datetime.datetime, datetime.date | None]]] = defaultdict(list)
    for node, region_id, created, due in tasks.values_list(
        "flow_task", "process__stageprocess__programme__region_id", "created", "deadline__due"
    ).order_by():
        key = _node_step(node)
        if key is not None:
            groups[(region_id, *key)].append((created, due))
    missing = [(region_id, stage_value, name, created) for (region_id, stage_value, name), items in groups.items()
               for created, due in items if due is None]
    computed = iter(_computed_dues(missing, table, today))
    rows = []
    for (region_id, stage_value, name), items in groups.items():
        dues = [due if due is not None else next(computed) for _created, due in items]
        rows.append(
            OpenRow(
                region=by_id[region_id],
                step=step_info(stage_value, name),
                deadline_days=table.get((stage_value, name), (deadlines.DEFAULT_DEADLINE_DAYS,))[0],
                open=len(items),
                overdue=sum(1 for due in dues if is_overdue(due, today)),
                oldest_days=_r((now - min(created for created, _due in items)).total_seconds() / DAY),
            )
        )
    rows.sort(key=lambda r: (order[r.region.pk], r.step.order))
    totals: dict[int, list[int]] = {}
    for row in rows:
        total = totals.setdefault(row.region.pk, [0, 0])
        total[0] += row.open
        total[1] += row.overdue
    per_region = [RegionOpen(by_id[pk], n_open, n_overdue) for pk, (n_open, n_overdue) in totals.items()]
    per_region.sort(key=lambda r: order[r.region.pk])
    return OpenTasks(rows, per_region)


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
    rows: list[ReturnRow] = field(default_factory=list)  # per region and step
    per_step: list[StepReturns] = field(default_factory=list)  # all regions together


def returns_per_step(regions: Sequence[Region], stage: str | None = None) -> Returns:
    """Where drafts bounce: returns (and letters asking for changes) and rejections, per region and step.

    One query, counted in the database.
    """
    by_id = _regions_by_id(regions)
    order = _region_order(regions)
    decisions = Decision.objects.filter(
        kind__in=[*RETURNING, DecisionKind.REJECTED],
        process__stageprocess__programme__region__in=_ids(regions),
    )
    if stage:
        decisions = decisions.filter(process__stageprocess__stage=stage)
    counts: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in (
        decisions.values("process__stageprocess__programme__region_id", "process__stageprocess__stage", "step", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        key = (row["process__stageprocess__programme__region_id"], row["process__stageprocess__stage"], row["step"])
        counts[key][0 if row["kind"] in RETURNING else 1] += row["n"]
    infos: dict[tuple[str, str], StepInfo] = {}
    rows = []
    per_step: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (region_id, stage_value, name), (n_returns, n_rejections) in counts.items():
        info = infos.get((stage_value, name)) or infos.setdefault((stage_value, name), step_info(stage_value, name))
        rows.append(ReturnRow(by_id[region_id], info, n_returns, n_rejections))
        per_step[(stage_value, name)][0] += n_returns
        per_step[(stage_value, name)][1] += n_rejections
    rows.sort(key=lambda r: (order[r.region.pk], r.step.order))
    step_rows = [StepReturns(infos[key], n_ret, n_rej) for key, (n_ret, n_rej) in per_step.items()]
    step_rows.sort(key=lambda r: r.step.order)
    return Returns(rows, step_rows)


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


def report(regions: Sequence[Region], stage: str | None = None, now=None) -> Report:
    """All four sections for these regions (five queries; six when an open task has no stored Tenggat)."""
    regions = list(regions)
    now = now or timezone.now()
    return Report(
        regions=regions,
        stage=stage or None,
        now=now,
        stages=stage_durations(regions, stage, now),
        steps=step_durations(regions, stage),
        open=open_tasks(regions, stage, now),
        returns=returns_per_step(regions, stage),
    )


# Tables: the page and the CSV show the same cells -------------------------------------


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: list[list]


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
    )


def tables(data: Report) -> dict[str, Table]:
    return {
        "stages": stages_table(data.stages),
        "steps": steps_table(data.steps),
        "open": open_table(data.open),
        "returns": returns_table(data.returns),
    }


def table(data: Report, slug: str) -> Table:
    return tables(data)[slug]


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
