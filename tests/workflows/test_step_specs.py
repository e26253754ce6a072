"""Every human node of every flow has exactly one step specification, and each specification a node."""

import pytest

from permissions.steps import STEPS, signing_steps
from workflows.flows import FLOWS
from workflows.nodes import Step
from workflows.services import SIGN


def human_nodes(stage):
    return [node for node in FLOWS[stage].instance.nodes() if isinstance(node, Step)]


def test_the_step_table_and_the_flows_name_the_same_steps():
    assert set(STEPS) == set(FLOWS)
    for stage in FLOWS:
        assert sorted(node.name for node in human_nodes(stage)) == sorted(STEPS[stage]), stage


@pytest.mark.parametrize("stage", list(FLOWS))
def test_each_node_is_built_from_its_own_specification(stage):
    for node in human_nodes(stage):
        spec = STEPS[stage][node.name]
        assert node.spec is spec
        assert (node.step_role, node.decisions, str(node.task_title)) == (spec.role, spec.decisions, str(spec.title))
        assert spec.deadline_days > 0
        signs = spec.signer is not None
        assert (node.action == SIGN) == signs
        assert (node._on_create is not None) == signs  # the document is rendered for exactly the signing steps


@pytest.mark.parametrize("stage", list(FLOWS))
def test_the_approval_sheet_has_one_cell_per_signing_step_in_a_fixed_order(stage):
    orders = [spec.signer.sheet_order for spec in signing_steps(stage)]
    assert orders == sorted(set(orders)) and orders
