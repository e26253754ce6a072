"""Tenggat where officials work (inbox, queue, case page) and "Tugas saya" on the home page."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import event_record
from demo import driver
from permissions.delegation import delegation_create
from permissions.models import RoleAssignment
from permissions.roles import RoleKind
from workflows import services
from workflows.models import Stage, StageProcess, TaskDeadline
from workflows.selectors import DUE_OVERDUE, DUE_THIS_WEEK, my_tasks, week_end

from .helpers import case_url, claim, open_task

pytestmark = pytest.mark.django_db

DRAFTER = "laip.staf"  # drafts every region's MoU: one task per opened case in their queue


def today():
    return timezone.localdate()


def day(value: datetime.date) -> str:
    return value.strftime("%d-%m-%Y")


def open_mou(programme, slug) -> StageProcess:
    return services.first_case_open(programme=programme(slug))


def due_on(process, step, due: datetime.date):
    """Move the open task's Tenggat (as if it had been created earlier)."""
    task = open_task(process, step)
    TaskDeadline.objects.filter(task=task).update(due=due)
    return task


@pytest.fixture
def three_drafts(programme):
    """The drafter's queue: Banjar overdue, Solok due at the end of this week, Bangli next week."""
    banjar, solok, bangli = (open_mou(programme, slug) for slug in ("kota-banjar", "kota-solok", "kab-bangli"))
    return {
        "banjar": due_on(banjar, "draft", today() - datetime.timedelta(days=1)),
        "solok": due_on(solok, "draft", week_end(today())),
        "bangli": due_on(bangli, "draft", week_end(today()) + datetime.timedelta(days=1)),
    }


def rows(html: str) -> list[str]:
    """The task ids (#process/task) of a viewflow list, in order."""
    return re.findall(r'data-row-id="(\d+)"', html)


def get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# The calendar ---------------------------------------------------------------------------------------------


def test_this_week_runs_to_sunday():
    wednesday = datetime.date(2024, 3, 13)
    assert week_end(wednesday) == datetime.date(2024, 3, 17)
    assert week_end(datetime.date(2024, 3, 17)) == datetime.date(2024, 3, 17)
    assert week_end(datetime.date(2024, 3, 11)) == datetime.date(2024, 3, 17)


# Inbox and queue ----------------------------------------------------------------------------------------


def test_the_queue_shows_each_tasks_tenggat_and_flags_the_late_one(as_user, three_drafts):
    html = get(as_user(DRAFTER), reverse("workflow:queue"))

    assert "<span>Tenggat</span>" in html
    late = three_drafts["banjar"].deadline.due
    assert f'{day(late)} <span class="sp-badge sp-badge--overdue">Terlambat</span>' in html
    assert day(three_drafts["solok"].deadline.due) in html
    assert html.count("sp-badge--overdue") == 1


def test_the_queue_sorts_by_tenggat(as_user, three_drafts):
    client = as_user(DRAFTER)
    ids = [str(three_drafts[name].pk) for name in ("banjar", "solok", "bangli")]

    assert rows(get(client, reverse("workflow:queue") + "?_orderby=tenggat")) == ids
    assert rows(get(client, reverse("workflow:queue") + "?_orderby=-tenggat")) == ids[::-1]


@pytest.mark.parametrize(("which", "expected"), [(DUE_OVERDUE, ["banjar"]), (DUE_THIS_WEEK, ["solok"]),
                                                 ("", ["banjar", "solok", "bangli"])])
def test_the_queue_filters_late_tasks_and_those_due_this_week(as_user, three_drafts, which, expected):
    html = get(as_user(DRAFTER), reverse("workflow:queue") + f"?tenggat={which}&_orderby=tenggat")
    assert rows(html) == [str(three_drafts[name].pk) for name in expected]
    assert "Jatuh tempo minggu ini" in html  # the filter's choices


def test_due_today_is_this_week_and_not_late(as_user, programme):
    task = due_on(open_mou(programme, "kota-banjar"), "draft", today())
    client = as_user(DRAFTER)
    assert rows(get(client, reverse("workflow:queue") + f"?tenggat={DUE_THIS_WEEK}")) == [str(task.pk)]
    assert rows(get(client, reverse("workflow:queue") + f"?tenggat={DUE_OVERDUE}")) == []


def test_the_inbox_has_the_tenggat_column_sorting_and_filters(as_user, official, three_drafts):
    client = as_user(DRAFTER)
    for task in three_drafts.values():
        assert claim(client, task).status_code == 302

    html = get(client, reverse("workflow:inbox") + "?_orderby=-tenggat")
    assert "<span>Tenggat</span>" in html and "sp-badge--overdue" in html
    assert rows(html) == [str(three_drafts[name].pk) for name in ("bangli", "solok", "banjar")]
    assert rows(get(client, reverse("workflow:inbox") + f"?tenggat={DUE_OVERDUE}")) == [
        str(three_drafts["banjar"].pk)]
    assert rows(get(client, reverse("workflow:inbox") + f"?tenggat={DUE_THIS_WEEK}")) == [
        str(three_drafts["solok"].pk)]


def test_the_queue_and_its_filters_hold_only_the_users_regions(as_user, programme):
    cases = {slug: open_mou(programme, slug) for slug in ("kota-banjar", "kota-solok")}
    for process in cases.values():
        driver.act(open_task(process, "draft"))

    html = get(as_user("kota-banjar.kominfo"), reverse("workflow:queue"))

    assert rows(html) == [str(open_task(cases["kota-banjar"], "review_diskominfo").pk)]
    assert "Solok" not in html


# The case page --------------------------------------------------------------------------------------------


def test_the_case_page_shows_each_open_tasks_tenggat_and_the_tenggat_events(as_user, programme):
    process = open_mou(programme, "kota-banjar")
    created_due = open_task(process, "draft").deadline.due
    late = today() - datetime.timedelta(days=4)
    task = due_on(process, "draft", late)
    event_record(actor=None, action=AuditAction.TASK_ESCALATED, process=process, task=task,
                 details={"step": "draft", "due": late.isoformat(), "overdue_days": 3,
                          "heads": ["Dr. Agus Santoso", "Rina Lestari, S.E., M.Si."]})

    html = get(as_user("kota-banjar.kominfo"), case_url(process))

    late_badge = '<span class="sp-badge sp-badge--overdue">Terlambat</span>'
    assert f'<td data-label="Tenggat" class="sp-due">{day(late)} {late_badge}</td>' in html
    assert f"Tenggat {day(created_due)}" in html  # the task's creation, with the Tenggat it was given
    assert (f"Tenggat {day(late)} · terlambat 3 hari kerja · kepada Dr. Agus Santoso, Rina Lestari, S.E., M.Si."
            in html)


def test_a_finished_task_is_never_late(as_user, programme):
    process = open_mou(programme, "kota-banjar")
    due_on(process, "draft", today() - datetime.timedelta(days=10))
    driver.act(open_task(process, "draft"))

    html = get(as_user("kota-banjar.kominfo"), case_url(process))

    assert f'<td data-label="Tenggat" class="sp-due">{day(today() - datetime.timedelta(days=10))}</td>' in html
    assert "sp-badge--overdue" not in html


# "Tugas saya" -------------------------------------------------------------------------------------------


def my_rows(html: str) -> list[str]:
    table = html[html.index('id="sp-my-tasks"'):html.index("</table>", html.index('id="sp-my-tasks"'))]
    case_path = reverse("sepakat:case_detail", args=[0]).removesuffix("0/")
    return re.findall(rf'href="{re.escape(case_path)}(\d+)/"', table)


def counters(html: str) -> dict[str, int]:
    return {name: int(re.search(rf'id="sp-count-{name}">(\d+)<', html).group(1))
            for name in ("action", "signing", "overdue")}


def test_my_tasks_lists_the_late_first_then_by_tenggat(as_user, three_drafts):
    later = three_drafts["bangli"]
    TaskDeadline.objects.filter(task=three_drafts["solok"]).update(due=later.deadline.due + datetime.timedelta(days=7))

    html = get(as_user(DRAFTER), reverse("sepakat:index"))

    expected = [three_drafts[name].process_id for name in ("banjar", "bangli", "solok")]
    assert my_rows(html) == [str(pk) for pk in expected]
    assert counters(html) == {"action": 3, "signing": 0, "overdue": 1}
    assert html.index("Tugas saya") < html.index("Program Gerakan Menuju Kota Cerdas")
    assert three_drafts["banjar"].flow_task.reverse("index", args=[three_drafts["banjar"].process_id,
                                                                   three_drafts["banjar"].pk]) in html


def test_my_tasks_holds_claimed_tasks_and_the_queue_of_a_delegated_role(as_user, official, programme):
    holder, delegate = official("kota-banjar.kominfo"), official("kota-banjar.kominfo.staf")
    assignment = RoleAssignment.objects.get(user=holder, role=RoleKind.REVIEWER)
    delegation_create(actor=holder, assignment=assignment, delegate=delegate, kind="an", valid_from=today(),
                      valid_until=today() + datetime.timedelta(days=7), reason="Dinas luar")
    process = open_mou(programme, "kota-banjar")
    driver.act(open_task(process, "draft"))
    review = open_task(process, "review_diskominfo")

    assert my_rows(get(as_user("kota-banjar.kominfo.staf"), reverse("sepakat:index"))) == [str(process.pk)]

    assert claim(as_user("kota-banjar.kominfo"), review).status_code == 302
    mine = get(as_user("kota-banjar.kominfo"), reverse("sepakat:index"))
    assert my_rows(mine) == [str(process.pk)] and "Sedang Anda kerjakan" in mine
    # Claimed by its holder, the task is no longer the delegate's to act on.
    theirs = get(as_user("kota-banjar.kominfo.staf"), reverse("sepakat:index"))
    assert 'id="sp-my-tasks-empty"' in theirs and counters(theirs)["action"] == 0


def test_paraf_and_signature_steps_count_as_needing_a_signature(as_user, programme):
    for slug in ("kota-banjar", "kota-solok"):
        driver.run_programme(programme(slug), stop_stage=Stage.MOU, stop_step="paraf_laip")
    banjar = StageProcess.objects.get(programme=programme("kota-banjar"), stage=Stage.MOU)
    due_on(banjar, "paraf_laip", today() - datetime.timedelta(days=2))
    open_mou(programme, "kab-bangli")  # a draft: the drafter's task, not the director's

    html = get(as_user("laip.direktur"), reverse("sepakat:index"))

    assert counters(html) == {"action": 2, "signing": 2, "overdue": 1}
    assert "1.3 Paraf Direktur LAIP" in html
    assert counters(get(as_user(DRAFTER), reverse("sepakat:index"))) == {"action": 1, "signing": 0, "overdue": 0}


def test_an_official_never_sees_another_regions_tasks(as_user, programme):
    banjar = open_mou(programme, "kota-banjar")
    driver.act(open_task(banjar, "draft"))  # Banjar's Diskominfo and Bagian Hukum now have a review each

    solok = get(as_user("kota-solok.kominfo"), reverse("sepakat:index"))
    assert 'id="sp-my-tasks-empty"' in solok
    assert counters(solok) == {"action": 0, "signing": 0, "overdue": 0}
    assert "Tidak ada tugas yang menunggu Anda saat ini." in solok

    assert my_rows(get(as_user("kota-banjar.kominfo"), reverse("sepakat:index"))) == [str(banjar.pk)]


def test_the_selector_is_scoped_even_where_permissions_span_regions(official, programme):
    """A central official's permissions span every region; the list still passes through scope_tasks."""
    for slug in ("kota-banjar", "kota-solok"):
        open_mou(programme, slug)
    found = my_tasks(official(DRAFTER))
    assert found["counts"]["action"] == 2 and len(found["tasks"]) == 2
    assert my_tasks(official("kota-solok.kominfo"))["counts"]["action"] == 0


def page_cost(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["sepakat:index", "workflow:queue", "workflow:inbox"])
def test_the_pages_with_tenggat_cost_the_same_with_more_tasks(as_user, programme, name):
    client = as_user(DRAFTER)
    url = reverse(name) + ("?_orderby=tenggat" if name != "sepakat:index" else "")

    def more_tasks(slugs):
        for slug in slugs:
            task = open_task(open_mou(programme, slug), "draft")
            if name == "workflow:inbox":
                assert claim(client, task).status_code == 302

    more_tasks(["kota-banjar"])
    page_cost(client, url)  # warm caches (content types, permissions)
    few = page_cost(client, url)
    more_tasks(["kota-solok", "kab-bangli", "kab-gianyar", "kab-serang"])
    many = page_cost(client, url)
    assert many == few, f"{name}: {few} queries with 1 task, {many} with 5"
