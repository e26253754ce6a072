"""Every state change of a case: open, claim, release, submit a draft, decide, close.

Services that act on a task take an activation whose lock the caller holds:
viewflow's task views take it for a POST, and `acting_on` takes it for code
(run_programme, tests).
"""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from agreements.models import Decision, DecisionKind, MouDocument
from agreements.services import MouDraftData, mou_final_pdf_store, mou_version_create
from audit.services import event_record
from permissions.roles import MOU_STEPS
from permissions.selectors import active_assignment_for, user_holds_step_role

from . import messages
from .models import Outcome, Stage, StageProcess


class StepError(Exception):
    """A request the step refuses, with a message for the user."""


def case_start(*, activation, programme, mou: MouDocument) -> StageProcess:
    """Fill in the new process record (called by the flow's start node)."""
    process = activation.process
    process.programme = programme
    process.stage = Stage.MOU
    process.mou = mou
    return process


def can_open_mou(*, user, programme) -> bool:
    """The stage's drafters open it, once at a time."""
    return user_holds_step_role(user, MOU_STEPS["draft"], programme.region) and not StageProcess.objects.filter(
        programme=programme, stage=Stage.MOU, outcome__in=[Outcome.OPEN, Outcome.COMPLETED]
    ).exists()


@transaction.atomic
def mou_case_open(*, programme, opened_by=None) -> StageProcess:
    """Open the MoU stage. `opened_by` None means the system (seeding, commands)."""
    from .flows import MouFlow

    if opened_by is not None and not user_holds_step_role(opened_by, MOU_STEPS["draft"], programme.region):
        raise PermissionDenied(messages.ROLE_REQUIRED)
    if StageProcess.objects.filter(programme=programme, stage=Stage.MOU, outcome=Outcome.COMPLETED).exists():
        raise StepError(messages.STAGE_ALREADY_DONE)
    if StageProcess.objects.filter(programme=programme, stage=Stage.MOU, outcome=Outcome.OPEN).exists():
        raise StepError(messages.CASE_ALREADY_OPEN)
    document = MouDocument.objects.create(programme=programme)
    process = MouFlow.start.run(programme=programme, document=document)
    event_record(
        actor=opened_by, action="case.opened", region=programme.region, process=process,
        details={"stage": Stage.MOU.value, "document": document.identifier},
    )
    return process


@contextmanager
def acting_on(task: Task):
    """Lock the task's process and yield its activation, as viewflow's views do."""
    flow_class = task.flow_task.flow_class
    with flow_class.lock(task.process_id), transaction.atomic():
        task.refresh_from_db()
        yield task.flow_task.activation_class(task)


def task_claim(*, activation, user) -> None:
    task, node = activation.task, activation.flow_task
    if task.status != STATUS.NEW or not activation.assign.can_proceed():
        raise StepError(messages.TASK_ALREADY_DONE if task.finished else messages.NOT_YOUR_TASK)
    if not node.can_assign(user, task):
        raise PermissionDenied(messages.ROLE_REQUIRED)
    activation.assign(user)
    task.assigned = timezone.now()
    task.save(update_fields=["assigned"])
    _task_event(activation, user, "task.claimed")


def task_release(*, activation, user) -> None:
    if not activation.flow_task.can_unassign(user, activation.task):
        raise PermissionDenied(messages.NOT_YOUR_TASK)
    activation.unassign()
    activation.task.assigned = None
    activation.task.save(update_fields=["assigned"])
    _task_event(activation, user, "task.released")


def task_begin(*, activation, user) -> None:
    """Start the claimed task for its owner (viewflow's views do this themselves)."""
    if not activation.flow_task.can_execute(user, activation.task):
        raise StepError(messages.NOT_YOUR_TASK)
    activation.start(request=None)


def draft_submit(*, activation, user, data: MouDraftData) -> Decision:
    _check_actor(activation, user)
    process = activation.process
    version = mou_version_create(document=process.mou, author=user, data=data)
    decision = _record(activation, user, DecisionKind.SUBMITTED, note="", version=version)
    activation.execute()
    return decision


def step_decide(*, activation, user, kind: str, note: str = "") -> Decision:
    _check_actor(activation, user)
    if kind not in activation.flow_task.decisions or kind == DecisionKind.SUBMITTED:
        raise StepError(messages.DECISION_NOT_ALLOWED)
    note = note.strip()
    if kind in (DecisionKind.RETURNED, DecisionKind.REJECTED) and not note:
        raise StepError(messages.NOTE_REQUIRED)
    process = activation.process
    decision = _record(activation, user, kind, note=note, version=process.mou.latest_version())
    if kind == DecisionKind.REJECTED:
        process.outcome = Outcome.REJECTED
        process.rejection_reason = note
        process.save(update_fields=["outcome", "rejection_reason"])
    activation.execute()
    return decision


def round_has_no_return(process: StageProcess) -> bool:
    """No reviewer returned the version under review."""
    version = process.mou.latest_version()
    return not Decision.objects.filter(process=process, version=version, kind=DecisionKind.RETURNED).exists()


def case_close(*, process: StageProcess) -> None:
    """Render and keep the final PDF; the stage is done."""
    stored = mou_final_pdf_store(version=process.mou.latest_version())
    process.final_pdf = stored
    process.outcome = Outcome.COMPLETED
    process.save(update_fields=["final_pdf", "outcome"])
    event_record(
        actor=None, action="case.completed", region=process.programme.region, process=process,
        details={"final_pdf_sha256": stored.sha256},
    )


def _check_actor(activation, user) -> None:
    node = activation.flow_task
    if not node.can_execute(user, activation.task):
        raise StepError(messages.NOT_YOUR_TASK)
    if not user_holds_step_role(user, node.step_role, activation.process.programme.region):
        raise PermissionDenied(messages.ROLE_REQUIRED)


def _record(activation, user, kind: str, *, note: str, version) -> Decision:
    node, process = activation.flow_task, activation.process
    assignment = active_assignment_for(user, node.step_role, process.programme.region)
    official = getattr(user, "official", None)
    post = official.post if official else ""
    if assignment and assignment.acting:
        post = f"Plt. {post}"
    decision = Decision.objects.create(
        version=version,
        process=process,
        task=activation.task,
        step=node.name,
        step_title=str(node.task_title),
        kind=kind,
        note=note,
        actor=user,
        actor_name=official.full_name if official else (user.get_full_name() or user.username),
        actor_post=post,
        actor_agency=assignment.agency.name if assignment else "",
    )
    process.last_decision = kind
    process.save(update_fields=["last_decision"])
    _task_event(activation, user, "task.finished", version=version, decision=kind, note=note)
    return decision


def _task_event(activation, user, action: str, *, version=None, **details) -> None:
    event_record(
        actor=user,
        action=action,
        region=activation.process.programme.region,
        process=activation.process,
        task=activation.task,
        version=version,
        details={"step": activation.flow_task.name, **details},
    )
