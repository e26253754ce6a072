"""Who is told of an audit event: always people who may see the case (or the delegation) it is about.

Every rule starts from the event's own region and case: a step's holders are found in that region only
(permissions.selectors), a case's participants are those who decided on that very case, a head is the head
of the agency acting at the step in that region. Nobody outside a region is ever told of its case.
"""

from django.contrib.auth import get_user_model
from viewflow.workflow.models import Task

from agreements.models import Decision, DecisionKind
from permissions.selectors import heads_of, holders_of


def step_holders(task: Task, region) -> list:
    """Who may act on the task today: its owner once claimed, else every holder of its role and their delegates."""
    if task.owner_id is not None:
        return [task.owner]
    node = task.flow_task
    step_role = getattr(node, "step_role", None)
    return holders_of(step_role, region) if step_role is not None else []


def step_heads(task: Task, region) -> list:
    step_role = getattr(task.flow_task, "step_role", None)
    return heads_of(step_role, region) if step_role is not None else []


def participants(process_id: int) -> list:
    """Everyone who decided on the case (drafters included), in the order they first did."""
    ids = list(dict.fromkeys(Decision.objects.filter(process_id=process_id).order_by("pk")
                             .values_list("actor_id", flat=True)))
    users = get_user_model().objects.in_bulk(ids)
    return [users[pk] for pk in ids if pk in users]


def drafter(process_id: int):
    """Who submitted the version under review: the one a return is addressed to."""
    decision = (Decision.objects.filter(process_id=process_id, kind=DecisionKind.SUBMITTED)
                .select_related("actor").order_by("-pk").first())
    return decision.actor if decision else None


def user_named(username: str):
    return get_user_model().objects.filter(username=username).first() if username else None
