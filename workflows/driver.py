"""Acting on a case as the officials who hold each step's role, without a browser.

Used by run_programme, seed_demo and the tests. It goes through the same
services the views call, one locked transaction per action.
"""

from dataclasses import dataclass

from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from agreements import mou_text
from agreements.models import DecisionKind
from agreements.services import ArticleData, MouDraftData
from permissions.models import RoleAssignment

from . import services
from .models import StageProcess

APPROVING = {
    DecisionKind.APPROVED,
    DecisionKind.INITIALLED,
    DecisionKind.SIGNED,
}


class NoHolder(Exception):
    """Nobody holds the role a step needs."""


@dataclass
class Acted:
    step_title: str
    actor: str
    decision: str


def open_tasks(process: StageProcess):
    return Task.objects.filter(
        process=process, flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED]
    ).order_by("pk")


def holder_of(task: Task):
    """The first official who currently holds the task's role for its region."""
    node = task.flow_task
    region = task.process.coerced.programme.region
    assignments = RoleAssignment.objects.active().filter(
        role=node.step_role.role_kind, agency__kind=node.step_role.agency_kind
    )
    if node.step_role.is_central:
        assignments = assignments.filter(agency__region__isnull=True)
    else:
        assignments = assignments.filter(agency__region=region)
    assignment = assignments.select_related("user").order_by("pk").first()
    if assignment is None:
        raise NoHolder(f"{node.task_title}: {node.step_role}")
    return assignment.user


def default_draft(process: StageProcess) -> MouDraftData:
    region = process.programme.region
    return MouDraftData(
        title=mou_text.default_title(region),
        preamble=mou_text.default_preamble(region),
        articles=[ArticleData(number=i, **a) for i, a in enumerate(mou_text.default_articles(region), 1)],
    )


def claim(task: Task, user) -> None:
    with services.acting_on(task) as activation:
        services.task_claim(activation=activation, user=user)


def submit_draft(task: Task, user, data: MouDraftData | None = None):
    with services.acting_on(task) as activation:
        services.task_begin(activation=activation, user=user)
        return services.draft_submit(
            activation=activation, user=user, data=data or default_draft(activation.process)
        )


def decide(task: Task, user, kind: str, note: str = ""):
    with services.acting_on(task) as activation:
        services.task_begin(activation=activation, user=user)
        return services.step_decide(activation=activation, user=user, kind=kind, note=note)


def act(task: Task, user=None, kind: str | None = None, note: str = "") -> Acted:
    """Claim the task (if needed) and take the approving decision, or the one given."""
    user = user or holder_of(task)
    if task.owner_id is None:
        claim(task, user)
        task.refresh_from_db()
    node = task.flow_task
    if DecisionKind.SUBMITTED in node.decisions:
        decision = submit_draft(task, user)
    else:
        kind = kind or next(k for k in node.decisions if k in APPROVING)
        decision = decide(task, user, kind, note)
    return Acted(str(node.task_title), decision.actor_name, decision.get_kind_display())


def advance(process: StageProcess, *, until_step: str | None = None, on_step=None) -> StageProcess:
    """Act on open tasks, approving, until the case ends or `until_step` is reached."""
    while True:
        process.refresh_from_db()
        tasks = list(open_tasks(process))
        if not tasks or any(t.flow_task.name == until_step for t in tasks):
            return process
        for task in tasks:
            acted = act(task)
            if on_step:
                on_step(acted)
