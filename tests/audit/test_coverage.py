"""Every state change writes its event: a whole programme, driven as the seeded officials,
leaves one event per thing done, each naming the official who acted and the objects."""

import hashlib
from collections import Counter

import pytest
from viewflow.workflow.models import Task

from agreements.models import (
    SIGNING,
    Attachment,
    Decision,
    DecisionKind,
    ParafCopy,
    Programme,
    SignatureRecord,
    Version,
)
from audit.models import AuditEvent
from audit.services import chain_verify
from demo import driver
from demo.world import COHORT_YEAR
from permissions.models import RoleAssignment
from workflows import services
from workflows.models import Stage, StageProcess

from ..conftest import world_kept_for_the_module
from ..workflows.helpers import open_task

pytestmark = pytest.mark.django_db

REGION = "kab-gianyar"  # driven to the end once for the module (_whole_run)
FRESH_REGION = "kab-bangli"  # for the tests that open a case of their own
# What driving a programme may write, and nothing else.
RUN_ACTIONS = {
    "case.opened", "case.completed", "task.created", "task.claimed", "task.started", "task.finished",
    "document.version_created", "document.attachment_added", "document.pdf_rendered", "document.signed",
    "document.archive_timestamped",
    "document.paraf_copy_made", "signing.credential_issued",
}


def last_event_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def label(user) -> str:
    return f"{user.official.full_name} ({user.official.post})"


def agency(user) -> str:
    return RoleAssignment.objects.active().filter(user=user).order_by("pk").values_list("agency__name",
                                                                                        flat=True).first()


def _run_whole_programme() -> tuple[int, list[int], int]:
    prog = Programme.objects.get(region__slug=REGION, year=COHORT_YEAR)
    before = last_event_pk()
    cases = driver.run_programme(prog)
    return prog.pk, [case.pk for case in cases], before


@pytest.fixture(scope="module")
def _whole_run(django_db_setup, django_db_blocker):
    """Driven once for the module's two readers of it (each test's changes are rolled back after it)."""
    with world_kept_for_the_module(django_db_blocker, _run_whole_programme) as run:
        yield run


@pytest.fixture
def run(_whole_run):
    """One region's whole programme, driven to the end; its cases, and the events it wrote."""
    programme_pk, case_pks, before = _whole_run
    cases = [StageProcess.objects.get(pk=pk) for pk in case_pks]
    events = list(AuditEvent.objects.filter(pk__gt=before, pk__lte=last_event_pk())
                  .select_related("actor__official").order_by("pk"))
    return Programme.objects.get(pk=programme_pk), cases, events


def test_a_whole_programme_writes_one_event_per_thing_done(run):
    prog, cases, events = run
    case_ids = [case.pk for case in cases]
    human_tasks = Task.objects.filter(process__in=case_ids, flow_task_type="HUMAN")
    decisions = Decision.objects.filter(process__in=case_ids)
    counts = Counter(event.action for event in events)

    assert [case.stage for case in cases] == [Stage.MOU, Stage.REGULATION, Stage.MASTERPLAN]
    assert set(counts) <= RUN_ACTIONS
    assert counts["case.opened"] == counts["case.completed"] == 3
    assert counts["task.created"] == human_tasks.count() > 20
    # The driver claims, starts and decides every human task once.
    assert counts["task.claimed"] == counts["task.started"] == counts["task.finished"] == decisions.count()
    assert decisions.count() == human_tasks.count()
    assert counts["document.version_created"] == Version.objects.filter(document__programme=prog).count() == 3
    assert counts["document.pdf_rendered"] == 3
    # One PDF per version for its paraf (MoU and regulation; the masterplan has none), on which every paraf is.
    assert counts["document.paraf_copy_made"] == 2
    paraf = decisions.filter(kind=DecisionKind.INITIALLED)
    assert paraf.count() == 5
    copies = {copy.sha256: copy for copy in ParafCopy.objects.filter(version__document__programme=prog)}
    assert {d.document_sha256 for d in paraf} == set(copies)
    for copy in copies.values():
        assert hashlib.sha256(copy.file.read()).hexdigest() == copy.sha256
    assert counts["document.signed"] == SignatureRecord.objects.filter(pdf__document__programme=prog).count() == 6
    # Each close gives its final document the validation data and an archive timestamp (PAdES B-LTA), once.
    assert counts["document.archive_timestamped"] == 3
    assert counts["document.attachment_added"] == Attachment.objects.filter(
        version__document__programme=prog).count() == 1
    assert chain_verify() == (True, "ok")

    # Each event names its region, programme and case.
    for event in events:
        if event.action == "signing.credential_issued":  # the official's, not the case's
            continue
        assert (event.region_id, event.programme_id) == (prog.region_id, prog.pk), event
        assert event.process_id in case_ids, event
    opened = [e.process_id for e in events if e.action == "case.opened"]
    completed = [e.process_id for e in events if e.action == "case.completed"]
    assert opened == completed == [case.pk for case in cases]


def test_each_event_of_a_run_names_the_official_who_acted_with_post_and_agency(run):
    _, cases, events = run
    _check_task_events(cases, events)
    _check_document_events(cases, events)


def _check_task_events(cases, events):
    """Created by the flow; claimed, started and finished by the official who decided."""
    by_task = {}
    for event in events:
        if event.action.startswith("task."):
            by_task.setdefault(event.task_id, []).append(event)
    human_tasks = Task.objects.filter(process__in=[case.pk for case in cases], flow_task_type="HUMAN")
    assert set(by_task) == set(human_tasks.values_list("pk", flat=True))
    for task in human_tasks:
        decision = Decision.objects.select_related("actor__official").get(task=task)
        created, claimed, started, finished = by_task[task.pk]
        assert started.details["started"]  # viewflow's own start time, kept with the event
        assert [e.action for e in by_task[task.pk]] == ["task.created", "task.claimed", "task.started",
                                                        "task.finished"]
        assert (created.actor, created.actor_label) == (None, "sistem")
        assert created.details["step"] == task.flow_task.name
        for event in (claimed, started, finished):
            assert event.actor == decision.actor
            assert event.actor_label == label(decision.actor)
            assert event.actor_agency == agency(decision.actor) != ""
            assert event.process_id == task.process_id
            assert event.details["step"] == task.flow_task.name
        assert finished.version_id == decision.version_id
        assert (finished.details["decision"], finished.details["note"]) == (decision.kind, decision.note)


def _check_document_events(cases, events):
    """Versions by their author, signatures by their signer, the letter by who recorded it."""
    decisions = Decision.objects.filter(process__in=[case.pk for case in cases]).select_related("actor")
    drafters = [d for d in decisions.order_by("pk") if d.kind == DecisionKind.SUBMITTED]
    signers = [d for d in decisions.order_by("pk") if d.kind in SIGNING]
    versions = [e for e in events if e.action == "document.version_created"]
    signed = [e for e in events if e.action == "document.signed"]

    assert [(e.actor, e.version_id, e.process_id) for e in versions] == [
        (d.actor, d.version_id, d.process_id) for d in drafters
    ]
    assert [(e.actor, e.version_id, e.process_id) for e in signed] == [
        (d.actor, d.version_id, d.process_id) for d in signers
    ]
    for event in signed:
        assert event.actor_label == label(event.actor)
        assert event.actor_agency == agency(event.actor)
    [attachment] = [e for e in events if e.action == "document.attachment_added"]
    letter = decisions.get(kind=DecisionKind.LETTER_IN_LINE)
    assert (attachment.actor, attachment.version_id) == (letter.actor, letter.version_id)
    for event in (e for e in events if e.action == "document.pdf_rendered"):
        assert event.actor is None and event.version_id is not None


def test_only_human_tasks_are_recorded_as_created(programme):
    before = last_event_pk()
    process = services.first_case_open(programme=programme(FRESH_REGION))
    [draft] = AuditEvent.objects.filter(pk__gt=before, action="task.created")
    assert draft.task_id == open_task(process, "draft").pk
    assert Task.objects.filter(process=process).exclude(flow_task_type="HUMAN").exists()  # the start node


def test_claiming_and_releasing_a_task_are_recorded_with_who_did_it(programme, official):
    process = services.first_case_open(programme=programme(FRESH_REGION))
    task = open_task(process, "draft")
    drafter = driver.holder_of(task)
    before = last_event_pk()
    driver.claim(task, drafter)
    with services.acting_on(task) as activation:
        services.task_release(activation=activation, user=drafter)
    claimed, released = AuditEvent.objects.filter(pk__gt=before).order_by("pk")
    assert [(e.action, e.actor, e.task_id) for e in (claimed, released)] == [
        ("task.claimed", drafter, task.pk), ("task.released", drafter, task.pk)
    ]
