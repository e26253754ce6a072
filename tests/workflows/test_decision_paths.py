"""Every non-approving decision of every step, generated from the flows themselves.

A return sends the case back to its drafter; a rejection ends the stage. And at
every step: the step's role in another region cannot claim (404) and another
role in the same region cannot either (403).
"""

from collections import deque

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from agreements.models import DecisionKind, Programme
from demo import driver
from demo.world import COHORT_YEAR
from permissions.selectors import user_holds_step_role
from workflows.flows import FLOWS
from workflows.models import Outcome, StageProcess
from workflows.nodes import Step

from ..conftest import module_transaction
from .helpers import claim, open_task

pytestmark = pytest.mark.django_db

REGION = "kab-gianyar"
OTHER_REGION = "kota-solok"
BACKWARD = (DecisionKind.RETURNED, DecisionKind.LETTER_NEEDS_CHANGES, DecisionKind.REJECTED)


def _in_flow_order(flow_class):
    """The flow's nodes by distance from its start (nodes() gives them by name)."""
    start = next(n for n in flow_class.instance.nodes() if n.name == "start")
    distance, queue = {start: 0}, deque([start])
    while queue:
        node = queue.popleft()
        for edge in node._outgoing():
            if edge.dst not in distance:
                distance[edge.dst] = distance[node] + 1
                queue.append(edge.dst)
    return sorted(distance, key=lambda n: (distance[n], n.name))


def steps():
    for stage, flow_class in FLOWS.items():
        for node in _in_flow_order(flow_class):
            if isinstance(node, Step):
                yield stage, node


DECISION_PATHS = [
    pytest.param((stage, node.name), kind, id=f"{stage}.{node.name}.{kind}")
    for stage, node in steps()
    for kind in node.decisions
    if kind in BACKWARD
]
STEPS = [pytest.param((stage, node.name), id=f"{stage}.{node.name}") for stage, node in steps()]


def reach(programme, stage, step) -> StageProcess:
    driver.run_programme(programme, stop_stage=stage, stop_step=step)
    return StageProcess.objects.get(programme=programme, stage=stage, outcome=Outcome.OPEN)


# Driving the case to a masterplan step means signing the whole MoU and regulation first:
# seconds per test. So the tests of one step share the case driven there, and each step
# continues the drive from the one before: the drive happens in a module transaction
# (tests/conftest.py: module_transaction) and pytest groups the tests by this module-scoped
# fixture's parameter, in the order the steps come in the flows. Each test's own changes are
# rolled back after it, as always, so each test starts from the state reach() leaves from the
# seeded world: the drive is deterministic and stops at the same points either way. A step the
# drive has gone past (another order, or tests split between xdist workers) restarts it.

@pytest.fixture(scope="module")
def drive(django_db_setup, django_db_blocker):
    with module_transaction(django_db_blocker) as world:
        world.seeded = world.run(transaction.savepoint)
        yield world


def _drive_to(world, stage: str, step: str) -> StageProcess:
    programme = Programme.objects.get(region__slug=REGION, year=COHORT_YEAR)
    passed = Task.objects.filter(
        process__in=StageProcess.objects.filter(programme=programme, stage=stage),
        flow_task=getattr(FLOWS[stage], step),
    ).exclude(status__in=[STATUS.NEW, STATUS.ASSIGNED])
    if passed.exists():
        transaction.savepoint_rollback(world.seeded)
    return reach(programme, stage, step)


@pytest.fixture(scope="module")
def reached(request, drive):
    """(stage, step, the REGION's case at that step) for the parameter (stage, step)."""
    stage, step = request.param
    process = drive.run(lambda: _drive_to(drive, stage, step))
    return stage, step, process.pk


def test_every_stage_offers_backward_decisions():
    assert len(STEPS) == sum(isinstance(n, Step) for f in FLOWS.values() for n in f.instance.nodes())
    assert {p.values[0][0] for p in DECISION_PATHS} == set(FLOWS)
    assert len(DECISION_PATHS) >= 18


@pytest.mark.parametrize(("reached", "kind"), DECISION_PATHS, indirect=["reached"])
def test_each_return_goes_to_the_drafter_and_each_reject_ends_the_stage(reached, kind):
    stage, step, pk = reached
    process = StageProcess.objects.get(pk=pk)
    task = open_task(process, step)
    driver.act(task, kind=kind, note=f"Catatan untuk {step}.")

    process.refresh_from_db()
    if kind == DecisionKind.REJECTED:
        assert process.outcome == Outcome.REJECTED
        assert process.rejection_reason == f"Catatan untuk {step}."
        assert not driver.open_tasks(process).exists()
    else:
        assert process.outcome == Outcome.OPEN
        if step.startswith("review_"):
            # the parallel reviewer still decides; then the draft comes back
            for other in driver.open_tasks(process):
                driver.act(other)
        draft = open_task(process, "draft")
        assert draft.status == "NEW"
    assert process.document.versions.count() == 1  # nothing re-versioned until the drafter resubmits


@pytest.mark.parametrize("reached", STEPS, indirect=True)
def test_only_the_steps_role_in_the_cases_region_can_claim(as_user, reached):
    stage, step, pk = reached
    process = StageProcess.objects.get(pk=pk)
    task = open_task(process, step)
    step_role = task.flow_task.step_role
    region = process.programme.region
    users = get_user_model().objects.filter(username__startswith=f"{REGION}.").order_by("username")
    wrong_role = next(u for u in users if not user_holds_step_role(u, step_role, region))
    assert claim(as_user(wrong_role.username), task).status_code == 403

    if not step_role.is_central:
        other = driver.holder_of(task).username.replace(REGION, OTHER_REGION)
        assert claim(as_user(other), task).status_code == 404

    holder = driver.holder_of(task)
    assert claim(as_user(holder.username), task).status_code == 302
    task.refresh_from_db()
    assert task.owner == holder
