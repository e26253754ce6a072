"""Tenggat: each human task's due date, fixed when it is created, on the region's working-day calendar.

The working days of a step come from its StepDeadline row (administrators change them; a change applies to
tasks created after it), else from the step table (permissions/steps.py). Holidays that the `holidays`
library does not know are entered by administrators (Holiday). Every change of either goes through a
service here: validated, in one transaction, with one audit event.

The sweep (`deadlines_sweep`, hourly by Celery beat or by `manage.py schedule`) reminds a task's holders on
the working day before its Tenggat, then on every working day it is late, and tells the heads of the acting
agency once it is late by the step's escalation days. Each of these is recorded once per task (and day) under
the task's Tenggat row lock, so two sweeps at once record nothing twice; the notices are made from the events
(notices.services).
"""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from audit.actions import AuditAction
from audit.services import chain_lock, event_record
from permissions.selectors import heads_of
from permissions.services import delegations_expired_record
from permissions.steps import STEPS, step_spec

from .models import Holiday, HolidayKind, StageProcess, StepDeadline, TaskDeadline
from .workdays import HORIZON_DAYS, WorkingCalendar, calendar_around, calendars_for, national_holidays

logger = logging.getLogger(__name__)

DEFAULT_DEADLINE_DAYS = 5
DEFAULT_ESCALATE_AFTER_DAYS = 3
WORKING_DAYS_LIMITS = (1, 60)
ESCALATE_AFTER_LIMITS = (1, 30)
# A task is open until it is done or cancelled (human tasks go NEW, then ASSIGNED once claimed).
OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
SWEEP_BATCH = 200

WORKING_DAYS_OUT_OF_RANGE = _("Tenggat harus antara %(low)s dan %(high)s hari kerja.")
ESCALATE_AFTER_OUT_OF_RANGE = _("Eskalasi harus antara %(low)s dan %(high)s hari kerja setelah tenggat.")
APPLIES_TO_NEW_TASKS = _("Berlaku untuk tugas yang dibuat sejak perubahan ini; tugas yang sudah ada tetap "
                         "memakai tenggatnya.")
REGIONAL_NEEDS_REGION = _("Hari libur daerah harus menyebut daerahnya.")
NATIONWIDE_HAS_NO_REGION = _("Cuti bersama dan hari libur nasional berlaku di semua daerah: kosongkan daerahnya.")
ALREADY_NATIONAL = _("%(date)s sudah hari libur nasional atau cuti bersama dalam kalender Sepakat (%(name)s): "
                     "tidak perlu dimasukkan.")
ALREADY_ENTERED = _("Sudah ada hari libur pada %(date)s yang berlaku di sini: %(name)s.")


# Step deadlines ------------------------------------------------------------------------------------------


def step_table_deadlines() -> dict[tuple[str, str], tuple[int, int]]:
    """Every human step of the step table with its (working days, escalate after) of the table."""
    return {(stage, name): (spec.deadline_days, DEFAULT_ESCALATE_AFTER_DAYS)
            for stage, specs in STEPS.items() for name, spec in specs.items()}


def step_deadlines() -> dict[tuple[str, str], tuple[int, int]]:
    """(working days, escalate after) of every step: the administrators' rows over the step table. One query."""
    table = step_table_deadlines()
    table.update({(stage, step): (days, after) for stage, step, days, after in
                  StepDeadline.objects.values_list("stage", "step", "working_days", "escalate_after_days")})
    return table


def step_deadline(stage: str, step: str) -> tuple[int, int]:
    """(working days, overdue working days before escalation) of a step."""
    row = StepDeadline.objects.filter(stage=stage, step=step).values_list("working_days", "escalate_after_days") \
        .first()
    if row:
        return row
    spec = step_spec(stage, step)
    return (spec.deadline_days if spec else DEFAULT_DEADLINE_DAYS), DEFAULT_ESCALATE_AFTER_DAYS


def step_deadlines_ensure(*, model=StepDeadline, using: str = "default") -> int:
    """A StepDeadline row for every human step that has none, from the step table (after every migrate).
    Existing rows, the administrators' values, are never touched. Returns how many were made."""
    existing = set(model.objects.using(using).values_list("stage", "step"))
    missing = [model(stage=stage, step=step, working_days=days, escalate_after_days=after)
               for (stage, step), (days, after) in step_table_deadlines().items() if (stage, step) not in existing]
    model.objects.using(using).bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def _bounded(value, limits, message) -> str:
    low, high = limits
    if value is None or not low <= value <= high:
        return message % {"low": low, "high": high}
    return ""


@transaction.atomic
def step_deadline_change(*, step_deadline: StepDeadline, working_days: int, escalate_after_days: int,
                         actor) -> StepDeadline:
    """An administrator sets a step's Tenggat: for the tasks created from now on (each task keeps its own)."""
    errors = {field: message for field, message in (
        ("working_days", _bounded(working_days, WORKING_DAYS_LIMITS, WORKING_DAYS_OUT_OF_RANGE)),
        ("escalate_after_days", _bounded(escalate_after_days, ESCALATE_AFTER_LIMITS, ESCALATE_AFTER_OUT_OF_RANGE)),
    ) if message}
    if errors:
        raise ValidationError(errors)
    chain_lock()
    row = StepDeadline.objects.select_for_update().get(pk=step_deadline.pk)
    old = {"working_days": row.working_days, "escalate_after_days": row.escalate_after_days}
    new = {"working_days": working_days, "escalate_after_days": escalate_after_days}
    changed = [key for key in new if old[key] != new[key]]
    if not changed:
        return row
    row.working_days, row.escalate_after_days = working_days, escalate_after_days
    row.save(update_fields=["working_days", "escalate_after_days", "changed"])
    spec = step_spec(row.stage, row.step)
    event_record(actor=actor, action=AuditAction.STEP_DEADLINE_CHANGED, details={
        "stage": row.stage, "step": row.step, "title": str(spec.title) if spec else row.step,
        "old": {key: old[key] for key in changed}, "new": {key: new[key] for key in changed},
        "applies_to": str(APPLIES_TO_NEW_TASKS)})
    return row


# Holidays ------------------------------------------------------------------------------------------------


NOT_A_NATIONAL_DAY_OFF = _("%(date)s bukan hari libur dalam kalender nasional Sepakat: tidak ada yang perlu "
                           "dijadikan hari kerja.")


def holiday_problems(holiday: Holiday) -> dict[str, str]:
    """What is wrong with a holiday, by field: the region rule of its kind, a day already off in its scope."""
    problems = {}
    if holiday.kind == HolidayKind.REGIONAL and holiday.region_id is None:
        problems["region"] = str(REGIONAL_NEEDS_REGION)
    elif holiday.kind != HolidayKind.REGIONAL and holiday.region_id is not None:
        problems["region"] = str(NATIONWIDE_HAS_NO_REGION)
    if holiday.date is None or problems:
        return problems
    day = holiday.date.strftime("%d-%m-%Y")
    national = national_holidays(holiday.date, holiday.date)
    if holiday.kind == HolidayKind.WORKING_DAY:
        if not national:
            problems["date"] = str(NOT_A_NATIONAL_DAY_OFF % {"date": day})
            return problems
    elif national:
        problems["date"] = str(ALREADY_NATIONAL % {"date": day, "name": national[holiday.date]})
        return problems
    # A national day clashes with another national one; a regional day with a national one or its region's.
    scope = Holiday.objects.filter(Q(region__isnull=True) | Q(region_id=holiday.region_id) if holiday.region_id
                                   else Q(region__isnull=True), date=holiday.date).exclude(pk=holiday.pk)
    clash = scope.values_list("name", flat=True).first()
    if clash is not None:
        problems["date"] = str(ALREADY_ENTERED % {"date": day, "name": clash})
    return problems


def holiday_check(holiday: Holiday) -> None:
    """ValidationError (by field, in Indonesian) for a holiday that cannot be saved."""
    problems = holiday_problems(holiday)
    if problems:
        raise ValidationError(problems)


def _holiday_values(holiday: Holiday) -> dict:
    return {"date": holiday.date.isoformat(), "name": holiday.name, "kind": holiday.kind,
            "region": holiday.region.slug if holiday.region_id else None}


@transaction.atomic
def holiday_save(*, holiday: Holiday, actor) -> Holiday:
    """Add a holiday, or change one (old and new values recorded). Tasks created from now on count it; each
    open task keeps the Tenggat it was given, and its lateness is counted on the calendar of the day."""
    holiday.full_clean(validate_constraints=False)
    holiday_check(holiday)
    chain_lock()
    previous = Holiday.objects.select_for_update(of=("self",)).select_related("region").filter(pk=holiday.pk).first() \
        if holiday.pk else None
    holiday.save()
    new = _holiday_values(holiday)
    if previous is None:
        event_record(actor=actor, action=AuditAction.HOLIDAY_ADDED, region=holiday.region,
                     details={"holiday": holiday.pk, **new})
        return holiday
    old = _holiday_values(previous)
    changed = [key for key in new if old[key] != new[key]]
    if changed:
        event_record(actor=actor, action=AuditAction.HOLIDAY_CHANGED, region=holiday.region or previous.region,
                     details={"holiday": holiday.pk, "date": new["date"], "name": new["name"],
                              "old": {key: old[key] for key in changed}, "new": {key: new[key] for key in changed}})
    return holiday


@transaction.atomic
def holiday_delete(*, holiday: Holiday, actor) -> None:
    chain_lock()
    row = Holiday.objects.select_for_update(of=("self",)).select_related("region").filter(pk=holiday.pk).first()
    if row is None:
        return
    old, pk, region = _holiday_values(row), row.pk, row.region
    row.delete()
    event_record(actor=actor, action=AuditAction.HOLIDAY_REMOVED, region=region,
                 details={"holiday": pk, "date": old["date"], "name": old["name"], "old": old})


# A task's Tenggat --------------------------------------------------------------------------------------


def due_date(created: datetime.datetime, working_days: int, region, calendar: WorkingCalendar | None = None) \
        -> datetime.date:
    """The last working day a task created at `created` may stay open."""
    start = timezone.localdate(created)
    return (calendar or calendar_around(start, region)).add_working_days(start, working_days)


def deadline_set(task: Task, process: StageProcess, *, calendar: WorkingCalendar | None = None,
                 table: dict | None = None) -> TaskDeadline:
    """The task's Tenggat (made once: a second call returns the first)."""
    existing = TaskDeadline.objects.filter(task=task).first()
    if existing is not None:
        return existing
    name = task.flow_task.name
    days, escalate_after = table.get((process.stage, name), (DEFAULT_DEADLINE_DAYS, DEFAULT_ESCALATE_AFTER_DAYS)) \
        if table is not None else step_deadline(process.stage, name)
    due = due_date(task.created or timezone.now(), days, process.programme.region, calendar)
    return TaskDeadline.objects.create(task=task, process=process, due=due, working_days=days,
                                       escalate_after_days=escalate_after)


# The sweep -----------------------------------------------------------------------------------------------


NEAR, OVERDUE, ESCALATED = "reminded", "overdue", "escalated"


@dataclass(frozen=True)
class _State:
    due: datetime.date
    escalate_after_days: int
    reminded_on: datetime.date | None
    overdue_reminded_on: datetime.date | None
    escalated_on: datetime.date | None


def due_actions(state: _State, today: datetime.date, calendar: WorkingCalendar) -> list[str]:
    """What a task's Tenggat calls for today, in order (each at most once: the row says what was done).

    - the reminder, from the working day before the Tenggat until the Tenggat itself, once;
    - after the Tenggat, on each working day, one overdue reminder;
    - once late by the step's escalation days (working days), the escalation, once.
    """
    if today <= state.due:
        if state.reminded_on is None and today >= calendar.previous_working_day(state.due):
            return [NEAR]
        return []
    if not calendar.is_working_day(today):
        return []
    actions = [] if state.overdue_reminded_on == today else [OVERDUE]
    if state.escalated_on is None and calendar.working_days_between(state.due, today) >= state.escalate_after_days:
        actions.append(ESCALATED)
    return actions


class _Calendars:
    """Each region's calendar, loaded once per sweep (one query for all), from `start` to past `today`."""

    def __init__(self, start: datetime.date, today: datetime.date):
        self.start, self.end = start, today + datetime.timedelta(days=HORIZON_DAYS)
        self._loaded: dict[int | None, WorkingCalendar] = {}

    def load(self, region_ids) -> None:
        wanted = set(region_ids) - self._loaded.keys()
        if wanted:
            self._loaded.update(calendars_for(wanted, self.start, self.end))

    def of(self, region_id) -> WorkingCalendar:
        self.load([region_id])
        return self._loaded[region_id]


def _person(user) -> str:
    official = getattr(user, "official", None)
    return official.full_name if official else user.get_username()


def _open_tasks():
    return Task.objects.filter(flow_task_type="HUMAN", status__in=OPEN_STATUSES, finished__isnull=True)


def _deadlines_backfill(calendars: _Calendars, table: dict, batch: int, today: datetime.date) -> int:
    """A Tenggat for every open task of a case that has none (made before Tenggat existed), from its creation."""
    made, last = 0, 0
    missing = _open_tasks().filter(deadline__isnull=True, process__stageprocess__isnull=False).order_by("pk")
    while True:
        tasks = list(missing.filter(pk__gt=last).select_related("process")[:batch])
        if not tasks:
            return made
        last = tasks[-1].pk
        cases = StageProcess.objects.select_related("programme__region").in_bulk({t.process_id for t in tasks})
        calendars.load(case.programme.region_id for case in cases.values())
        for task in tasks:
            case = cases[task.process_id]
            try:
                with transaction.atomic():
                    deadline = deadline_set(task, case, calendar=calendars.of(case.programme.region_id), table=table)
                    if deadline.due < today:
                        # Late before Tenggat existed: counted from now, not flooded with a reminder, an overdue
                        # notice and an escalation at once on the first sweep after the upgrade.
                        TaskDeadline.objects.filter(pk=deadline.pk).update(
                            reminded_on=today, overdue_reminded_on=today, escalated_on=today)
                made += 1
            except IntegrityError:  # another sweep made it meanwhile
                continue
            except Exception:  # one broken task must not keep the others from their Tenggat
                logger.exception("the Tenggat of task %s could not be set", task.pk)


def _record(action: str, task_id: int, today: datetime.date, calendar: WorkingCalendar) -> bool:
    """Record one reminder, overdue reminder or escalation, in its own transaction, if still called for."""
    with transaction.atomic():
        chain_lock()  # the lock order of docs/adr/0012: the chain, then the row
        deadline = (TaskDeadline.objects.select_for_update(of=("self",))
                    .select_related("task", "process__programme__region")
                    .filter(pk=task_id, task__status__in=OPEN_STATUSES, task__finished__isnull=True).first())
        if deadline is None or action not in due_actions(_state(deadline), today, calendar):
            return False  # finished meanwhile, or done by another sweep
        task, process = deadline.task, deadline.process
        node = task.flow_task
        details = {"step": node.name, "title": str(node.task_title), "due": deadline.due.isoformat()}
        if action == NEAR:
            deadline.reminded_on = today
            audit_action = AuditAction.TASK_DEADLINE_NEAR
        else:
            details["overdue_days"] = calendar.working_days_between(deadline.due, today)
            if action == OVERDUE:
                deadline.overdue_reminded_on = today
                audit_action = AuditAction.TASK_OVERDUE
            else:
                step_role = getattr(node, "step_role", None)
                heads = heads_of(step_role, process.programme.region) if step_role is not None else []
                details.update(escalate_after_days=deadline.escalate_after_days, heads=[_person(u) for u in heads])
                deadline.escalated_on = today
                audit_action = AuditAction.TASK_ESCALATED
        deadline.save(update_fields=["reminded_on", "overdue_reminded_on", "escalated_on"])
        event_record(actor=None, action=audit_action, process=process, task=task, details=details)
        return True


def _state(row) -> _State:
    return _State(row.due, row.escalate_after_days, row.reminded_on, row.overdue_reminded_on, row.escalated_on)


def deadlines_sweep(now: datetime.datetime | None = None, *, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Reminders, overdue reminders and escalations due today, and delegations that ended by themselves.

    Idempotent per day: run it as often as you like (hourly by the schedule). Returns what it did, by kind.
    """
    today = timezone.localdate(now or timezone.now())
    counts: Counter = Counter()
    open_deadlines = TaskDeadline.objects.filter(task__in=_open_tasks())
    without = _open_tasks().filter(deadline__isnull=True, process__stageprocess__isnull=False)
    earliest = [today, open_deadlines.aggregate(first=Min("due"))["first"],
                without.aggregate(first=Min("created"))["first"]]
    earliest = [timezone.localdate(day) if isinstance(day, datetime.datetime) else day for day in earliest if day]
    calendars = _Calendars(min(earliest) - datetime.timedelta(days=31), today)
    table = step_deadlines()
    counts["deadlines_set"] = _deadlines_backfill(calendars, table, batch, today)

    # A reminder is due at most a few weeks before the Tenggat (the working day before it, Idul Fitri between).
    candidates = open_deadlines.filter(due__lte=today + datetime.timedelta(days=31)).order_by("pk")
    columns = ("pk", "process__programme__region_id", "due", "escalate_after_days", "reminded_on",
               "overdue_reminded_on", "escalated_on")
    last = 0
    while True:
        rows = list(candidates.filter(pk__gt=last).values_list(*columns)[:batch])
        if not rows:
            break
        last = rows[-1][0]
        calendars.load(row[1] for row in rows)
        for task_id, region_id, *state in rows:
            calendar = calendars.of(region_id)
            for action in due_actions(_State(*state), today, calendar):
                try:
                    if _record(action, task_id, today, calendar):
                        counts[action] += 1
                except Exception:  # logged; the next sweep tries again, the other tasks go on
                    logger.exception("deadline %s of task %s could not be recorded", action, task_id)
                    counts["failed"] += 1
                    break
    counts["delegations_expired"] = delegations_expired_record(today=today)
    return {key: counts[key] for key in ("deadlines_set", NEAR, OVERDUE, ESCALATED, "delegations_expired", "failed")}
