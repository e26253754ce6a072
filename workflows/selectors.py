"""Scoped queries over cases and tasks: nothing leaves a user's regions."""

import datetime

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from agreements.kinds import kind_spec
from agreements.models import Attachment, Decision, ParafCopy, Programme, StoredPdf
from audit.actions import AuditAction
from permissions.selectors import regions_visible_to, user_holds_step_role
from permissions.steps import STEP_ROLES

from . import messages
from .models import STAGE_ORDER, Outcome, Stage, StageProcess, stage_before


def processes_visible_to(user):
    return StageProcess.objects.filter(programme__region__in=regions_visible_to(user))


def scope_processes(queryset, user):
    """Narrow a queryset of Process (or StageProcess) rows to the user's regions."""
    prefix = "" if issubclass(queryset.model, StageProcess) else "stageprocess__"
    return queryset.filter(**{f"{prefix}programme__region__in": regions_visible_to(user)})


def scope_tasks(queryset, user):
    """Narrow a queryset of viewflow Task rows to the user's regions."""
    return queryset.filter(process__stageprocess__programme__region__in=regions_visible_to(user))


def task_visible(user, *, task_pk: int, process_pk: int | None = None) -> bool:
    tasks = scope_tasks(Task.objects.filter(pk=task_pk), user)
    if process_pk is not None:
        tasks = tasks.filter(process_id=process_pk)
    return tasks.exists()


def task_at_node(*, task_pk: int, process_pk: int, node) -> bool:
    """The task is of this process and this node: a step's URL acts only on that step's tasks."""
    return Task.objects.filter(pk=task_pk, process_id=process_pk, flow_task=node).exists()


def process_visible(user, process_pk: int) -> bool:
    return processes_visible_to(user).filter(pk=process_pk).exists()


def programmes_visible_to(user):
    return (
        Programme.objects.filter(region__in=regions_visible_to(user))
        .select_related("region")
        .prefetch_related(
            Prefetch(
                "stage_processes",
                queryset=StageProcess.objects.order_by("created").prefetch_related(
                    Prefetch("task_set", queryset=Task.objects.filter(finished__isnull=True).select_related("owner"))
                ),
            )
        )
        .order_by("-year", "region__kind", "region__name")
    )


def case_for(user, process_pk: int) -> StageProcess:
    """The case if the user may see it; raises StageProcess.DoesNotExist otherwise."""
    return (
        processes_visible_to(user)
        .select_related("programme__region", "document", "final_pdf")
        .get(pk=process_pk)
    )


def case_tasks(process: StageProcess):
    return (
        Task.objects.filter(process=process, flow_task_type="HUMAN")
        .select_related("owner__official")
        .order_by("created", "pk")
    )


def case_decisions(process: StageProcess):
    return Decision.objects.filter(process=process).select_related("version").order_by("created", "pk")


def case_versions(process: StageProcess):
    return process.document.versions.select_related("author__official").order_by("-number")


def decided_file(process: StageProcess, sha256: str):
    """(version, file, label) of the case's paraf copy or signed revision with this hash, or None."""
    copy = ParafCopy.objects.filter(version__document=process.document, sha256=sha256).select_related("version").first()
    if copy is not None:
        return copy.version, copy.file, f"versi {copy.version.number} (diparaf)"
    revision = StoredPdf.objects.filter(document=process.document, sha256=sha256).select_related("version").first()
    if revision is not None:
        return revision.version, revision.file, f"revisi {revision.revision}"
    return None


def case_attachments(process: StageProcess):
    return (
        Attachment.objects.filter(version__document=process.document)
        .select_related("version", "uploaded_by__official")
        .order_by("created", "pk")
    )


def takes_part_in(user, process: StageProcess) -> bool:
    """The user holds one of the stage's acting roles for the case's region."""
    region = process.programme.region
    return any(user_holds_step_role(user, role, region) for role in STEP_ROLES[process.stage].values())


def version_context(version) -> dict:
    """What a page needs to show one version's text."""
    if version is None:
        return {"version": None}
    return {
        "version": version,
        "text_template": kind_spec(version.document.kind).text_template,
        "articles": list(version.articles.all()),
        "chapters": list(version.chapters.all()),
        "quick_wins": list(version.quick_wins.all()),
        "roadmap": list(version.roadmap.all()),
    }


def programme_timeline(programme, user) -> list[dict]:
    """The three stages of a programme, each with its cases (newest first) and what the user may do."""
    cases = list(programme.stage_processes.all())
    timeline = []
    for stage in STAGE_ORDER:
        stage_cases = sorted((c for c in cases if c.stage == stage), key=lambda c: c.created, reverse=True)
        latest = stage_cases[0] if stage_cases else None
        timeline.append({
            "stage": stage,
            "label": Stage(stage).label,
            "cases": stage_cases,
            "latest": latest,
            "can_open": stage_before(stage) is None and latest is None
            and can_open_stage(user=user, programme=programme, stage=stage),
            "can_reopen": user.is_superuser and latest is not None and latest.outcome == Outcome.REJECTED,
        })
    return timeline


TASK_ACTIONS = {
    AuditAction.TASK_CREATED: gettext_lazy("dibuat"),
    AuditAction.TASK_CLAIMED: gettext_lazy("diambil"),
    AuditAction.TASK_RELEASED: gettext_lazy("dilepaskan"),
    AuditAction.TASK_REASSIGNED: gettext_lazy("dialihkan"),
    AuditAction.TASK_FINISHED: gettext_lazy("diselesaikan"),
    AuditAction.TASK_DEADLINE_NEAR: gettext_lazy("pengingat: tenggat besok"),
    AuditAction.TASK_OVERDUE: gettext_lazy("pengingat: terlambat"),
    AuditAction.TASK_ESCALATED: gettext_lazy("dieskalasi ke kepala instansi"),
}


def case_task_history(process: StageProcess) -> list:
    """Who claimed, released, reassigned and finished which task, in order (from the audit log)."""
    from audit.models import AuditEvent

    events = AuditEvent.objects.filter(process_id=process.pk, action__in=TASK_ACTIONS).order_by("pk")
    return [{"event": e, "label": TASK_ACTIONS[e.action]} for e in events]


def previous_stage_case(programme, stage: str) -> StageProcess | None:
    """The completed case of the stage before, whose final PDF this stage follows."""
    before = stage_before(stage)
    if before is None:
        return None
    return (
        StageProcess.objects.filter(programme=programme, stage=before, outcome=Outcome.COMPLETED)
        .select_related("final_pdf")
        .first()
    )


def stage_blocker(*, programme, stage: str):
    """Why the stage cannot open now, or None."""
    cases = StageProcess.objects.filter(programme=programme, stage=stage)
    if cases.filter(outcome=Outcome.COMPLETED).exists():
        return messages.STAGE_ALREADY_DONE
    if cases.filter(outcome=Outcome.OPEN).exists():
        return messages.CASE_ALREADY_OPEN
    if stage_before(stage) and previous_stage_case(programme, stage) is None:
        return messages.PREVIOUS_STAGE_NOT_DONE
    return None


def can_open_stage(*, user, programme, stage: str) -> bool:
    """The stage's drafters open it (the first one; later stages open by themselves)."""
    drafter = STEP_ROLES[stage]["draft"]
    return user_holds_step_role(user, drafter, programme.region) and stage_blocker(
        programme=programme, stage=stage
    ) is None


# Tenggat and the tasks a user may act on -------------------------------------------------------------

DUE_OVERDUE = "overdue"
DUE_THIS_WEEK = "this_week"
MY_TASKS_SHOWN = 20  # the home page lists the most urgent; the inbox and the queue have the rest


def week_end(day: datetime.date) -> datetime.date:
    """The Sunday of the day's week: "this week" runs from today to it (a Tenggat is always a working day,
    so up to Sunday and up to Friday select the same tasks)."""
    return day + datetime.timedelta(days=6 - day.weekday())


def tasks_due(queryset, which: str, today: datetime.date | None = None):
    """Open tasks past their Tenggat (DUE_OVERDUE: today is after it), or due from today to the end of this
    week (DUE_THIS_WEEK); the queryset unchanged for anything else."""
    today = today or timezone.localdate()
    if which == DUE_OVERDUE:
        return queryset.filter(finished__isnull=True, deadline__due__lt=today)
    if which == DUE_THIS_WEEK:
        return queryset.filter(finished__isnull=True, deadline__due__range=(today, week_end(today)))
    return queryset


def with_deadlines(queryset, today: datetime.date | None = None):
    """Each task with its Tenggat (`due_on`, None for a task without one) and whether it is open past it
    (`is_overdue`), in the same query."""
    today = today or timezone.localdate()
    return queryset.annotate(
        due_on=F("deadline__due"),
        is_overdue=ExpressionWrapper(Q(finished__isnull=True, deadline__due__lt=today), output_field=BooleanField()),
    )


def signing_nodes() -> list:
    """The flows' paraf and signature steps: what "Perlu tanda tangan" counts."""
    from .flows import FLOWS  # the flows import this module

    return [
        node
        for flow_class in FLOWS.values()
        for node in flow_class.instance.nodes()
        if getattr(node, "spec", None) is not None and (node.spec.signer is not None or node.spec.is_paraf)
    ]


def actionable_tasks(user):
    """Open human tasks the user may act on now, in their regions: claimed by them (their inbox), or waiting
    to be claimed at a step whose role they hold or are delegated (their queue). The queue's rule is
    viewflow's own (Task.objects.user_queue, on the guardian permissions synced from role assignments and
    delegations), so the home page, the inbox and the queue always agree."""
    queue = Task.objects.filter(flow_task_type="HUMAN").user_queue(user)
    return scope_tasks(queue.filter(Q(status=STATUS.NEW) | Q(status=STATUS.ASSIGNED, owner=user)), user)


def my_tasks(user, *, limit: int = MY_TASKS_SHOWN, today: datetime.date | None = None) -> dict:
    """The home page's "Tugas saya": the most urgent tasks (overdue first, then by Tenggat; those without a
    Tenggat last) and the counters, in two queries whatever the number of tasks."""
    today = today or timezone.localdate()
    tasks = actionable_tasks(user)
    counts = tasks.aggregate(
        action=Count("pk"),
        signing=Count("pk", filter=Q(flow_task__in=signing_nodes())),
        overdue=Count("pk", filter=Q(deadline__due__lt=today)),
    )
    rows = list(
        with_deadlines(tasks, today)
        .select_related("owner", "process__stageprocess__programme__region")
        .order_by(F("deadline__due").asc(nulls_last=True), "created", "pk")[:limit]
    )
    return {"tasks": rows, "counts": counts, "more": max(counts["action"] - len(rows), 0)}
