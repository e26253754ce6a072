"""Every non-approving decision of every step, generated from the flows themselves.

A return sends the case back to its drafter; a rejection ends the stage. And at
every step: the step's role in another region cannot claim (404) and another
role in the same region cannot either (403).
"""

import pytest
from django.contrib.auth import get_user_model

from agreements.models import DecisionKind
from demo import driver
from permissions.selectors import user_holds_step_role
from workflows.flows import FLOWS
from workflows.models import Outcome, StageProcess
from workflows.nodes import Step

from .helpers import claim, open_task

pytestmark = pytest.mark.django_db

REGION = "kab-gianyar"
OTHER_REGION = "kota-solok"
BACKWARD = (DecisionKind.RETURNED, DecisionKind.LETTER_NEEDS_CHANGES, DecisionKind.REJECTED)


def steps():
    for stage, flow_class in FLOWS.items():
        for node in flow_class.instance.nodes():
            if isinstance(node, Step):
                yield stage, node


DECISION_PATHS = [
    pytest.param(stage, node.name, kind, id=f"{stage}.{node.name}.{kind}")
    for stage, node in steps()
    for kind in node.decisions
    if kind in BACKWARD
]
STEPS = [pytest.param(stage, node.name, id=f"{stage}.{node.name}") for stage, node in steps()]


def reach(programme, stage, step) -> StageProcess:
    driver.run_programme(programme, stop_stage=stage, stop_step=step)
    return StageProcess.objects.get(programme=programme, stage=stage, outcome=Outcome.OPEN)


def test_every_stage_offers_backward_decisions():
    assert {p.values[0] for p in DECISION_PATHS} == set(FLOWS)
    assert len(DECISION_PATHS) >= 18


@pytest.mark.parametrize(("stage", "step", "kind"), DECISION_PATHS)
def test_each_return_goes_to_the_drafter_and_each_reject_ends_the_stage(programme, stage, step, kind):
    process = reach(programme(REGION), stage, step)
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


@pytest.mark.parametrize(("stage", "step"), STEPS)
def test_only_the_steps_role_in_the_cases_region_can_claim(programme, as_user, stage, step):
    process = reach(programme(REGION), stage, step)
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
