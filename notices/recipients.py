"""Who is told of an audit event: always people who may see the case (or the delegation) it is about.

Every rule starts from the event's own region and case: a step's holders are found in that region only
(permissions.selectors), a case's participants are those who decided on that very case, a head is the head
of the agency acting at the step in that region. Nobody outside a region is ever told of its case.
"""

from django.contrib.auth import get_user_model
from viewflow.workflow.models import Task

from agreements.models import Decision, DecisionKind
from permissions.selectors import heads_of, holders_of, user_holds_step_role, users_seeing_region


def step_holders(task: Task, region) -> list:
    """Who may act on the task today: its owner once claimed (while they still hold the role there), else every
    holder of its role and their delegates. A claimed task whose owner lost the role (a delegation ended, a
    transfer) is the holders' again to be told of: its owner may no longer see the case."""
    node = task.flow_task
    step_role = getattr(node, "step_role", None)
    if step_role is None:
        return []
    owner = task.owner
    if owner is not None and owner.is_active and user_holds_step_role(owner, step_role, region):
        return [owner]
    return holders_of(step_role, region)


def step_heads(task: Task, region) -> list:
    step_role = getattr(task.flow_task, "step_role", None)
    return heads_of(step_role, region) if step_role is not None else []


def participants(process_id: int, region) -> list:
    """Everyone who decided on the case (drafters included) and may still see it, in the order they first did.

    Someone who decided as a delegate, or before moving to another region, is told no more of it."""
    ids = list(dict.fromkeys(Decision.objects.filter(process_id=process_id).order_by("pk")
                             .values_list("actor_id", flat=True)))
    users = get_user_model().objects.select_related("official").in_bulk(ids)
    seeing = users_seeing_region(users, region)
    return [users[pk] for pk in ids if pk in seeing]


def drafter(process_id: int):
    """Who submitted the version under review: the one a return is addressed to."""
    decision = (Decision.objects.filter(process_id=process_id, kind=DecisionKind.SUBMITTED)
                .select_related("actor").order_by("-pk").first())
    return decision.actor if decision else None


def user_named(username: str):
    return get_user_model().objects.filter(username=username).first() if username else None
