"""Tenggat of real cases: the reminder the working day before, the daily overdue reminders, the escalation
to the agency's head; the administrators' step deadlines and holidays in the admin; delegations that end by
themselves. The clock is moved with time_machine; the sweep is what the schedule runs every hour."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from agreements.models import Region
from audit.actions import AuditAction
from audit.models import AuditEvent
from demo import driver
from notices.models import Notice, NoticeKind
from permissions.delegation import delegation_create, delegation_end
from permissions.models import Delegation, DelegationKind, RoleAssignment
from permissions.roles import RoleKind
from workflows import deadlines
from workflows.models import Holiday, HolidayKind, Outcome, StageProcess, StepDeadline, TaskDeadline
from workflows.workdays import calendar_around

from .helpers import case_url, open_task

pytestmark = pytest.mark.django_db

D = datetime.date
BANJAR, SOLOK = "kota-banjar", "kota-solok"
NEAR, OVERDUE, ESCALATED = (AuditAction.TASK_DEADLINE_NEAR, AuditAction.TASK_OVERDUE, AuditAction.TASK_ESCALATED)
NOTHING = {"deadlines_set": 0, "reminded": 0, "overdue": 0, "escalated": 0, "delegations_expired": 0, "failed": 0}


def wib(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


def at(day: datetime.date, hour: int = 10):
    return time_machine.travel(wib(day, hour), tick=False)


def sweep(day: datetime.date, hour: int = 10) -> dict:
    with at(day, hour):
        return deadlines.deadlines_sweep()


def did(**counts) -> dict:
    return {**NOTHING, **counts}


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x")


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    return client


def step_row(stage="mou", step="draft") -> StepDeadline:
    return StepDeadline.objects.get(stage=stage, step=step)


def open_mou(as_user, programme, day: datetime.date, region=BANJAR) -> StageProcess:
    with at(day, 9):
        client = as_user("laip.staf")
        assert client.post(reverse("sepakat:case_open", args=[region, 2024, "mou"])).status_code == 302
    return StageProcess.objects.get(programme=programme(region), outcome=Outcome.OPEN)


def events(task, action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(task_id=task.pk, action=action).order_by("pk"))


# The sweep on a real case ------------------------------------------------------------------------------


def test_reminder_then_daily_overdue_then_one_escalation(as_user, programme, official, root):
    """The draft step set to 2 working days, escalated after 2 late ones; the case opened on Monday 10 August
    2026: due Wednesday 12th; reminded on Tuesday 11th, late from Thursday 13th, escalated on Friday 14th;
    no reminder on the weekend nor on Independence Day (Monday 17th); late again on Tuesday 18th."""
    deadlines.step_deadline_change(step_deadline=step_row(), working_days=2, escalate_after_days=2, actor=root)
    case = open_mou(as_user, programme, D(2026, 8, 10))
    task = open_task(case, "draft")
    assert TaskDeadline.objects.get(task=task).due == D(2026, 8, 12)
    staf, direktur = official("laip.staf"), official("laip.direktur")

    assert sweep(D(2026, 8, 10)) == NOTHING
    assert sweep(D(2026, 8, 11), 9) == did(reminded=1)
    assert sweep(D(2026, 8, 11), 15) == NOTHING, "a second sweep the same day records nothing"
    assert sweep(D(2026, 8, 12)) == NOTHING, "the Tenggat itself: reminded already, not late yet"
    assert sweep(D(2026, 8, 13)) == did(overdue=1)
    assert sweep(D(2026, 8, 13), 16) == NOTHING
    assert sweep(D(2026, 8, 14)) == did(overdue=1, escalated=1)
    for quiet in (D(2026, 8, 15), D(2026, 8, 16), D(2026, 8, 17)):  # Saturday, Sunday, Independence Day
        assert sweep(quiet) == NOTHING
    assert sweep(D(2026, 8, 18)) == did(overdue=1)
    assert sweep(D(2026, 8, 18), 17) == NOTHING

    [near] = events(task, NEAR)
    assert near.details == {"step": "draft", "title": "1.1 Penyusunan draf", "due": "2026-08-12"}
    assert [e.details["overdue_days"] for e in events(task, OVERDUE)] == [1, 2, 3]
    [escalated] = events(task, ESCALATED)
    assert escalated.details["overdue_days"] == 2 and escalated.details["escalate_after_days"] == 2
    assert escalated.details["heads"] == [direktur.official.full_name]
    assert all(e.actor is None and e.process_id == case.pk and e.region_id == case.programme.region_id
               for e in [near, escalated])
    deadline = TaskDeadline.objects.get(task=task)
    assert (deadline.reminded_on, deadline.overdue_reminded_on, deadline.escalated_on) == (
        D(2026, 8, 11), D(2026, 8, 18), D(2026, 8, 14))

    # The notices: the holders for the reminders, the head of the agency for the escalation.
    assert list(Notice.objects.filter(event=near).values_list("recipient__username", "kind")) == [
        ("laip.staf", NoticeKind.DEADLINE_TOMORROW)]
    overdue_notices = Notice.objects.filter(event__in=events(task, OVERDUE))
    assert {(n.recipient_id, n.kind) for n in overdue_notices} == {(staf.pk, NoticeKind.TASK_OVERDUE)}
    assert overdue_notices.count() == 3
    assert list(Notice.objects.filter(event=escalated).values_list("recipient__username", "kind")) == [
        ("laip.direktur", NoticeKind.TASK_ESCALATED)]

    # The case page's history and the auditor's log show each of them.
    with at(D(2026, 8, 18), 18):
        page = as_user("laip.staf").get(case_url(case)).content.decode()
        assert "pengingat: tenggat besok" in page
        assert page.count("pengingat: terlambat") == 3
        assert "dieskalasi ke kepala instansi" in page
        log = as_user("auditor").get(reverse("audit:process", args=[case.pk])).content.decode()
        for action in (NEAR, OVERDUE, ESCALATED):
            assert str(action.label) in log


def test_a_claimed_task_reminds_its_owner_only(as_user, programme, official, root):
    deadlines.step_deadline_change(step_deadline=step_row(), working_days=1, escalate_after_days=1, actor=root)
    case = open_mou(as_user, programme, D(2026, 8, 10))
    task = open_task(case, "draft")
    with at(D(2026, 8, 10), 11):
        driver.claim(task, official("laip.staf"))
    assert sweep(D(2026, 8, 10), 12) == did(reminded=1)  # due Tuesday 11th: today is the working day before
    assert list(Notice.objects.filter(event__in=events(task, NEAR)).values_list("recipient__username", flat=True)) \
        == ["laip.staf"]


def test_a_task_finished_in_time_is_never_reminded(as_user, programme, official, root):
    deadlines.step_deadline_change(step_deadline=step_row(), working_days=2, escalate_after_days=1, actor=root)
    case = open_mou(as_user, programme, D(2026, 8, 10))
    task = open_task(case, "draft")
    with at(D(2026, 8, 10), 11):
        driver.claim(task, official("laip.staf"))
        driver.submit_draft(task, official("laip.staf"))
    for day in (D(2026, 8, 11), D(2026, 8, 13), D(2026, 8, 14)):
        sweep(day)
    assert not AuditEvent.objects.filter(task_id=task.pk, action__in=[NEAR, OVERDUE, ESCALATED]).exists()
    # The reviews that followed have their own Tenggat (5 working days from Monday 10th: Monday 17th is off).
    reviews = TaskDeadline.objects.filter(process=case).exclude(task=task)
    assert {d.due for d in reviews} == {D(2026, 8, 18)}


def test_a_second_sweep_racing_the_first_records_nothing_twice(as_user, programme, root):
    """Both sweeps read the Tenggat as not reminded; the second re-reads it under the row lock, sees the first's
    reminder, and records nothing (on PostgreSQL it waits on the lock; SQLite has one writer anyway)."""
    deadlines.step_deadline_change(step_deadline=step_row(), working_days=2, escalate_after_days=1, actor=root)
    case = open_mou(as_user, programme, D(2026, 8, 10))
    task = open_task(case, "draft")
    calendar = calendar_around(D(2026, 8, 11), case.programme.region)
    deadline = TaskDeadline.objects.get(task=task)
    state = deadlines._State(deadline.due, deadline.escalate_after_days, None, None, None)
    assert deadlines.due_actions(state, D(2026, 8, 11), calendar) == [deadlines.NEAR]
    with at(D(2026, 8, 11)):
        assert deadlines._record(deadlines.NEAR, task.pk, D(2026, 8, 11), calendar) is True
        assert deadlines._record(deadlines.NEAR, task.pk, D(2026, 8, 11), calendar) is False
    with at(D(2026, 8, 13)):
        assert deadlines._record(deadlines.OVERDUE, task.pk, D(2026, 8, 13), calendar) is True
        assert deadlines._record(deadlines.OVERDUE, task.pk, D(2026, 8, 13), calendar) is False
        assert deadlines._record(deadlines.ESCALATED, task.pk, D(2026, 8, 13), calendar) is True
        assert deadlines._record(deadlines.ESCALATED, task.pk, D(2026, 8, 13), calendar) is False
    assert [len(events(task, action)) for action in (NEAR, OVERDUE, ESCALATED)] == [1, 1, 1]


def test_a_task_from_before_tenggat_existed_gets_one_from_its_creation(as_user, programme):
    case = open_mou(as_user, programme, D(2026, 8, 10))
    task = open_task(case, "draft")
    TaskDeadline.objects.filter(task=task).delete()
    assert sweep(D(2026, 8, 11)) == did(deadlines_set=1)
    deadline = TaskDeadline.objects.get(task=task)
    # Ten working days from Monday 10 August, Independence Day and Maulid Nabi (25th) skipped.
    assert (deadline.working_days, deadline.due, deadline.escalate_after_days) == (10, D(2026, 8, 26), 3)
    assert sweep(D(2026, 8, 11), 15) == NOTHING


def test_a_task_already_late_when_tenggat_arrived_is_not_flooded_on_the_first_sweep(as_user, programme):
    """After the upgrade, a task opened long ago is counted late from then on: no reminder, overdue notice and
    escalation all at once on the first sweep; its next working day brings the daily overdue reminder."""
    case = open_mou(as_user, programme, D(2026, 8, 10))
    task = open_task(case, "draft")
    TaskDeadline.objects.filter(task=task).delete()
    assert sweep(D(2026, 9, 14)) == did(deadlines_set=1)
    assert sweep(D(2026, 9, 15)) == did(overdue=1)
    assert [len(events(task, action)) for action in (NEAR, OVERDUE, ESCALATED)] == [0, 1, 0]


def test_an_escalation_names_no_head_when_the_agency_has_none(as_user, programme, official, root):
    deadlines.step_deadline_change(step_deadline=step_row(), working_days=1, escalate_after_days=1, actor=root)
    RoleAssignment.objects.filter(agency__kind="laip", is_head=True).update(is_head=False)
    case = open_mou(as_user, programme, D(2026, 8, 10))
    task = open_task(case, "draft")
    assert sweep(D(2026, 8, 12)) == did(overdue=1, escalated=1)
    [escalated] = events(task, ESCALATED)
    assert escalated.details["heads"] == []
    assert not Notice.objects.filter(event=escalated).exists()


# The administrators' step deadlines --------------------------------------------------------------------


def test_every_human_step_has_its_row_from_the_step_table():
    from permissions.steps import STEPS

    rows = {(r.stage, r.step): (r.working_days, r.escalate_after_days) for r in StepDeadline.objects.all()}
    assert rows == {(stage, name): (spec.deadline_days, 3) for stage, specs in STEPS.items()
                    for name, spec in specs.items()}
    # Made again after a migrate for missing steps only; an administrator's value is kept.
    StepDeadline.objects.update_or_create(stage="mou", step="draft", defaults={"working_days": 7})
    StepDeadline.objects.filter(stage="mou", step="sign_region").delete()
    assert deadlines.step_deadlines_ensure() == 1
    assert step_row().working_days == 7 and step_row("mou", "sign_region").working_days == 3


def test_a_step_deadline_changed_in_the_admin_applies_to_tasks_created_after_it(admin_client, as_user, programme,
                                                                                root):
    before = open_mou(as_user, programme, D(2026, 8, 3))
    url = reverse("admin:workflows_stepdeadline_change", args=[step_row().pk])
    with at(D(2026, 8, 4)):
        admin_client.force_login(root)
        page = admin_client.get(url).content.decode()
        assert "1.1 Penyusunan draf" in page and "Berlaku untuk tugas yang dibuat sejak perubahan ini" in page
        refused = admin_client.post(url, {"working_days": "61", "escalate_after_days": "3"})
        assert refused.status_code == 200
        assert "Tenggat harus antara 1 dan 60 hari kerja." in refused.content.decode()
        refused = admin_client.post(url, {"working_days": "3", "escalate_after_days": "0"})
        assert "Eskalasi harus antara 1 dan 30 hari kerja setelah tenggat." in refused.content.decode()
        assert not AuditEvent.objects.filter(action=AuditAction.STEP_DEADLINE_CHANGED).exists()
        response = admin_client.post(url, {"working_days": "3", "escalate_after_days": "4"})
        assert response.status_code == 302
    assert (step_row().working_days, step_row().escalate_after_days) == (3, 4)
    [event] = AuditEvent.objects.filter(action=AuditAction.STEP_DEADLINE_CHANGED)
    assert event.actor == root
    assert event.details["old"] == {"working_days": 10, "escalate_after_days": 3}
    assert event.details["new"] == {"working_days": 3, "escalate_after_days": 4}
    assert (event.details["stage"], event.details["step"]) == ("mou", "draft")
    assert "tugas yang dibuat sejak perubahan ini" in event.details["applies_to"]

    after = open_mou(as_user, programme, D(2026, 8, 5), region=SOLOK)
    kept, new = (TaskDeadline.objects.get(task=open_task(case, "draft")) for case in (before, after))
    assert (kept.working_days, kept.due, kept.escalate_after_days) == (10, D(2026, 8, 18), 3)
    assert (new.working_days, new.due, new.escalate_after_days) == (3, D(2026, 8, 10), 4)

    # No row is added or deleted by hand: there is one per step.
    admin_client.force_login(root)  # the same test client opened the cases as laip.staf
    assert admin_client.get(reverse("admin:workflows_stepdeadline_add")).status_code == 403
    assert admin_client.get(reverse("admin:workflows_stepdeadline_delete", args=[step_row().pk])).status_code == 403
    changelist = admin_client.get(reverse("admin:workflows_stepdeadline_changelist")).content.decode()
    assert changelist.index("1.1 Penyusunan draf") < changelist.index("2.1 Penyusunan rancangan")


# The administrators' holidays -----------------------------------------------------------------------------


def test_holidays_in_the_admin_are_checked_audited_and_counted(admin_client, root):
    add = reverse("admin:workflows_holiday_add")
    page = admin_client.get(add).content.decode()
    year = timezone.localdate().year
    assert "Hari Kemerdekaan Republik Indonesia" in page and f"17 Agustus {year}" in page, \
        "the library's national holidays are shown, not to be entered again"

    def post(url, **data):
        return admin_client.post(url, {"date": "", "name": "", "kind": "", "region": "", **data})

    banjar = Region.objects.get(slug=BANJAR).pk
    refused = post(add, date="2026-06-02", name="Hari Jadi", kind=HolidayKind.REGIONAL)
    assert "Hari libur daerah harus menyebut daerahnya." in refused.content.decode()
    refused = post(add, date="2026-06-02", name="Cuti", kind=HolidayKind.CUTI_BERSAMA, region=banjar)
    assert "berlaku di semua daerah: kosongkan daerahnya." in refused.content.decode()
    refused = post(add, date="2026-08-17", name="HUT RI", kind=HolidayKind.NATIONAL)
    assert "sudah hari libur nasional atau cuti bersama" in refused.content.decode()
    assert not Holiday.objects.exists() and not AuditEvent.objects.filter(action__startswith="calendar.").exists()

    assert post(add, date="2026-08-18", name="Cuti bersama HUT RI", kind=HolidayKind.CUTI_BERSAMA).status_code == 302
    holiday = Holiday.objects.get()
    [added] = AuditEvent.objects.filter(action=AuditAction.HOLIDAY_ADDED)
    assert added.actor == root and added.details == {
        "holiday": holiday.pk, "date": "2026-08-18", "name": "Cuti bersama HUT RI", "kind": "cuti_bersama",
        "region": None}
    assert calendar_around(D(2026, 8, 14)).add_working_days(D(2026, 8, 14), 1) == D(2026, 8, 19)
    refused = post(add, date="2026-08-18", name="Lagi", kind=HolidayKind.REGIONAL, region=banjar)
    assert "Sudah ada hari libur pada 18-08-2026" in refused.content.decode()

    change = reverse("admin:workflows_holiday_change", args=[holiday.pk])
    assert post(change, date="2026-08-18", name="Cuti bersama Kemerdekaan",
                kind=HolidayKind.CUTI_BERSAMA).status_code == 302
    [changed] = AuditEvent.objects.filter(action=AuditAction.HOLIDAY_CHANGED)
    assert changed.details["old"] == {"name": "Cuti bersama HUT RI"}
    assert changed.details["new"] == {"name": "Cuti bersama Kemerdekaan"}

    regional = post(add, date="2026-06-02", name="Hari Jadi Kota Banjar", kind=HolidayKind.REGIONAL, region=banjar)
    assert regional.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.HOLIDAY_ADDED, region_id=banjar).count() == 1

    delete = reverse("admin:workflows_holiday_delete", args=[holiday.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    [removed] = AuditEvent.objects.filter(action=AuditAction.HOLIDAY_REMOVED)
    assert removed.details["old"]["name"] == "Cuti bersama Kemerdekaan" and removed.actor == root
    assert calendar_around(D(2026, 8, 14)).add_working_days(D(2026, 8, 14), 1) == D(2026, 8, 18)

    changelist = admin_client.get(reverse("admin:workflows_holiday_changelist")).content.decode()
    assert "Hari Jadi Kota Banjar" in changelist


# Delegations that end by themselves ------------------------------------------------------------------------


def delegate_review(official, until: datetime.date) -> Delegation:
    kominfo, staf = official(f"{BANJAR}.kominfo"), official(f"{BANJAR}.kominfo.staf")
    assignment = RoleAssignment.objects.get(user=kominfo, role=RoleKind.REVIEWER)
    return delegation_create(actor=kominfo, assignment=assignment, delegate=staf, kind=DelegationKind.ON_BEHALF,
                             valid_from=timezone.localdate(), valid_until=until)


def test_a_delegation_past_its_last_day_is_recorded_once_and_its_delegate_told(official):
    with at(D(2026, 8, 3)):
        delegation = delegate_review(official, until=D(2026, 8, 5))
    assert sweep(D(2026, 8, 5)) == NOTHING, "its last day: still in force"
    assert sweep(D(2026, 8, 6), 0) == did(delegations_expired=1)
    assert sweep(D(2026, 8, 6), 1) == NOTHING
    assert sweep(D(2026, 8, 7)) == NOTHING
    [expired] = AuditEvent.objects.filter(action=AuditAction.ROLE_DELEGATION_EXPIRED)
    assert expired.details["delegation"] == delegation.pk
    assert expired.details["delegate"] == f"{BANJAR}.kominfo.staf" and expired.details["valid_until"] == "2026-08-05"
    assert expired.region.slug == BANJAR and expired.actor is None
    assert list(Notice.objects.filter(event=expired).values_list("recipient__username", "kind")) == [
        (f"{BANJAR}.kominfo.staf", NoticeKind.DELEGATION_ENDED)]


def test_a_delegation_ended_by_its_delegator_is_not_recorded_as_expired(official):
    with at(D(2026, 8, 3)):
        delegation = delegate_review(official, until=D(2026, 8, 20))
    with at(D(2026, 8, 5)):
        delegation_end(actor=official(f"{BANJAR}.kominfo"), delegation=Delegation.objects.get(pk=delegation.pk))
    assert Delegation.objects.get(pk=delegation.pk).valid_until == D(2026, 8, 4)
    assert sweep(D(2026, 8, 5), 12) == NOTHING
    assert sweep(D(2026, 8, 6)) == NOTHING
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_DELEGATION_EXPIRED).exists()


# Two sweeps at once (PostgreSQL: real row locks; last in this module, its flush is followed by a new world) --------


@pytest.fixture(scope="module")
def _world_again_after_the_flush(django_db_blocker):
    """A transactional test flushes every table when it ends, even when it skips itself on SQLite: the tests
    after it get their world back (as the session's setup). Module-scoped, so it runs after that flush."""
    yield
    from agreements import pki
    from demo.world import seed_world

    with django_db_blocker.unblock():
        pki.authority_init()
        seed_world()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_record_each_event_once(_world_again_after_the_flush, as_user, programme, official,
                                                    django_user_model):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this against it")
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    deadlines.step_deadline_change(step_deadline=step_row(), working_days=1, escalate_after_days=1, actor=root)
    case = open_mou(as_user, programme, D(2026, 8, 10))
    task = open_task(case, "draft")
    with at(D(2026, 8, 10)):
        delegate_review(official, until=D(2026, 8, 11))

    barrier, results = threading.Barrier(3), []

    def run():
        try:
            barrier.wait()
            results.append(deadlines.deadlines_sweep())
        finally:
            connections.close_all()

    with at(D(2026, 8, 12)):  # due Tuesday 11th: late, escalated, and the delegation ended on the 11th
        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(results) == 3
    assert sum(r["overdue"] for r in results) == sum(r["escalated"] for r in results) == 1
    assert sum(r["delegations_expired"] for r in results) == 1
    assert [len(events(task, action)) for action in (OVERDUE, ESCALATED)] == [1, 1]
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_DELEGATION_EXPIRED).count() == 1
    from audit.services import chain_verify

    assert chain_verify() == (True, "ok")
