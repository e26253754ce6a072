"""Tenggat: each human task's due date, fixed when it is created, on the region's working-day calendar.

The working days of a step come from its StepDeadline row (administrators change them; a change applies to
tasks created after it), else from the step table (permissions/steps.py).
"""

import datetime

from django.utils import timezone
from viewflow.workflow.models import Task

from permissions.steps import step_spec

from .models import StageProcess, StepDeadline, TaskDeadline
from .workdays import calendar_around

DEFAULT_DEADLINE_DAYS = 5
DEFAULT_ESCALATE_AFTER_DAYS = 3


def step_deadline(stage: str, step: str) -> tuple[int, int]:
    """(working days, overdue working days before escalation) of a step."""
    row = StepDeadline.objects.filter(stage=stage, step=step).values_list("working_days", "escalate_after_days") \
        .first()
    if row:
        return row
    spec = step_spec(stage, step)
    return (spec.deadline_days if spec else DEFAULT_DEADLINE_DAYS), DEFAULT_ESCALATE_AFTER_DAYS


def due_date(created: datetime.datetime, working_days: int, region) -> datetime.date:
    start = timezone.localdate(created)
    return calendar_around(start, region).add_working_days(start, working_days)


def deadline_set(task: Task, process: StageProcess) -> TaskDeadline:
    """The task's Tenggat (made once: a second call returns the first)."""
    existing = TaskDeadline.objects.filter(task=task).first()
    if existing is not None:
        return existing
    days, escalate_after = step_deadline(process.stage, task.flow_task.name)
    due = due_date(task.created or timezone.now(), days, process.programme.region)
    return TaskDeadline.objects.create(task=task, process=process, due=due, working_days=days,
                                       escalate_after_days=escalate_after)
