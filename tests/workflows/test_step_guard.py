"""A task is acted on only through its own node's URLs, and each service only at its own kind of step.

Generated from the flows: for every human node of every flow, a task of that node is
tried through every URL of every other node of the same flow (and of the other
flows), as a superuser, the strongest caller there is. Each answers 404 and the
database is left as it was. Its own node's page answers, so the 404s are not a
broken fixture.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLResolver
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from agreements.models import Decision, Document, SignatureRecord, Version
from workflows import messages, services
from workflows.flows import FLOWS

pytestmark = pytest.mark.django_db

REGION = "kab-gianyar"


def _url_names(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _url_names(pattern.url_patterns)
        elif "task_pk" in str(pattern.pattern):
            yield pattern.name


# What an attacker does with a task at another node: claim, execute, release it there;
# at nodes without a form, open it and use viewflow's management actions.
HUMAN_ACTIONS = (("post", "assign"), ("post", "execute"), ("get", "execute"), ("post", "unassign"))
OTHER_ACTIONS = (("get", "index"), ("post", "undo"), ("post", "cancel"), ("post", "revive"))


def node_requests(flow_class, process_pk, task_pk):
    """(node name, method, url) for the attacks at every node of the flow."""
    for node in flow_class.instance.nodes():
        names = set(_url_names(node.urls[0]))
        actions = HUMAN_ACTIONS if node.task_type == "HUMAN" else OTHER_ACTIONS
        for method, name in actions:
            if name in names:
                yield node.name, method, node.reverse(name, args=[process_pk, task_pk])


def human_nodes():
    return [(stage, node.name) for stage, flow_class in FLOWS.items() for node in flow_class.instance.nodes()
            if node.task_type == "HUMAN"]


def world_snapshot():
    return (
        sorted(Task.objects.values_list("pk", "status", "owner_id", "finished")),
        Decision.objects.count(), Version.objects.count(), SignatureRecord.objects.count(),
    )


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("guard-admin", "guard@example.go.id", "x" * 16)


def case_with_task_at(programme, stage, node_name, owner):
    """A case of the stage with one claimed task at the named node (made directly: only its node matters)."""
    flow_class = FLOWS[stage]
    document = Document.objects.create(programme=programme, kind=stage)
    process = flow_class.start.run(programme=programme, document=document)
    task = Task.objects.create(process=process, flow_task=getattr(flow_class, node_name), flow_task_type="HUMAN",
                               status=STATUS.ASSIGNED, owner=owner)
    return process, task


@pytest.mark.parametrize(("stage", "node_name"), human_nodes())
def test_a_task_answers_404_through_every_other_nodes_urls(client, admin_user, programme, stage, node_name):
    process, task = case_with_task_at(programme(REGION), stage, node_name, admin_user)
    client.force_login(admin_user)
    own = getattr(FLOWS[stage], node_name).reverse("index", args=[process.pk, task.pk])
    assert client.get(own).status_code in (200, 302), own
    before = world_snapshot()
    tried = 0
    for other_stage, flow_class in FLOWS.items():
        for url_node, method, url in node_requests(flow_class, process.pk, task.pk):
            if other_stage == stage and url_node == node_name:
                continue
            if other_stage != stage and url_node not in ("draft", "sign_region", "promulgate"):
                continue  # a sample of the other flows: viewflow itself refuses another flow's task
            response = getattr(client, method)(url, {"decision": "signed", "passphrase": "x"})
            assert response.status_code == 404, (method, url, response.status_code)
            tried += 1
    assert tried >= 40
    assert world_snapshot() == before


def test_a_task_answers_404_under_another_process(client, admin_user, programme):
    process, task = case_with_task_at(programme(REGION), "mou", "review_legal", admin_user)
    other, _ = case_with_task_at(programme("kota-solok"), "mou", "draft", admin_user)
    client.force_login(admin_user)
    node = FLOWS["mou"].review_legal
    assert client.get(node.reverse("index", args=[process.pk, task.pk])).status_code in (200, 302)
    for name in ("index", "assign", "unassign", "execute"):
        assert client.post(node.reverse(name, args=[other.pk, task.pk])).status_code == 404, name


# The services refuse a decision that is not their step's, whatever called them.

def _activation(task):
    return task.flow_task.activation_class(task)


@pytest.mark.parametrize(("stage", "node_name"), human_nodes())
def test_each_service_acts_only_at_its_own_kind_of_step(admin_user, programme, stage, node_name):
    process, task = case_with_task_at(programme(REGION), stage, node_name, admin_user)
    activation = _activation(task)
    own = activation.flow_task.action
    calls = {
        services.DRAFT: lambda: services.draft_submit(activation=activation, user=admin_user, data=None),
        services.DECIDE: lambda: services.step_decide(activation=activation, user=admin_user, kind="approved"),
        services.LETTER: lambda: services.letter_submit(
            activation=activation, user=admin_user, kind="letter_in_line", note="", letter_number="1",
            letter_date=None, checked=None),
        services.SIGN: lambda: services.step_sign(activation=activation, user=admin_user, kind="signed",
                                                  passphrase="x"),
    }
    before = world_snapshot()
    for action, call in calls.items():
        if action == own:
            continue
        with pytest.raises(services.StepError) as refused:
            call()
        assert str(refused.value) == str(messages.WRONG_STEP), (node_name, action)
    assert world_snapshot() == before
