"""Process analytics: right numbers for a small known world, scoped, exportable, escaped, constant queries."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from agreements.models import DecisionKind, Region
from auditing import analytics, snapshots
from demo import driver
from permissions.steps import STEPS
from workflows.models import Holiday, HolidayKind, Stage, StageProcess, StepDeadline, TaskDeadline

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"
SOLOK = "kota-solok"
PAGE = "audit:analytics"
WIB = timezone.get_fixed_timezone(7 * 60)


def csv_url(table, **params):
    url = reverse("audit:analytics_csv", kwargs={"table": table})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def open_task(process, step):
    return Task.objects.get(process=process, flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED],
                            flow_task=getattr(process.flow_class, step))


def done_task(process, step):
    return Task.objects.get(process=process, flow_task_type="HUMAN", status=STATUS.DONE,
                            flow_task=getattr(process.flow_class, step))


def mou_case(programme):
    return StageProcess.objects.get(programme=programme, stage=Stage.MOU)


def with_one_return(programme, note="Pasal 3 perlu diperbaiki."):
    """MoU drafted; Bagian Hukum returns it, Diskominfo approves: back at the draft, one return recorded."""
    driver.run_programme(programme, stop_stage=Stage.MOU, stop_step="review_diskominfo")
    case = mou_case(programme)
    driver.act(open_task(case, "review_legal"), kind=DecisionKind.RETURNED, note=note)
    driver.act(open_task(case, "review_diskominfo"))
    return case


def regions(*slugs):
    return list(Region.objects.filter(slug__in=slugs).order_by("kind", "name"))


def parse_csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for spreadsheets"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def as_strings(table):
    return [table.headers, *[[str(cell) for cell in row] for row in table.rows]]


# Numbers ---------------------------------------------------------------------------


def test_stage_days_from_opening_to_closing_or_now(programme):
    driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="paraf_laip")
    driver.run_programme(programme(SOLOK), stop_stage=Stage.MOU, stop_step="paraf_laip")
    now = timezone.now()
    banjar, solok = mou_case(programme(BANJAR)), mou_case(programme(SOLOK))
    StageProcess.objects.filter(pk=banjar.pk).update(created=now - datetime.timedelta(days=10),
                                                     finished=now - datetime.timedelta(days=3))
    StageProcess.objects.filter(pk=solok.pk).update(created=now - datetime.timedelta(days=4))

    data = analytics.stage_durations(regions(BANJAR, SOLOK), now=now)

    assert [(r.region.slug, r.stage, r.days) for r in data.rows] == [(BANJAR, "mou", 7.0), (SOLOK, "mou", 4.0)]
    [summary] = data.summary
    assert (summary.stage, summary.count, summary.open, summary.median_days, summary.mean_days) == \
        ("mou", 2, 2, 5.5, 5.5)
    assert analytics.stage_durations(regions(BANJAR, SOLOK), stage=Stage.REGULATION, now=now).rows == []


def test_step_hours_per_region_step_and_agency(programme):
    for slug in (BANJAR, SOLOK):
        driver.run_programme(programme(slug), stop_stage=Stage.MOU, stop_step="paraf_laip")
    start = timezone.now() - datetime.timedelta(days=20)
    for slug, hours in ((BANJAR, 48), (SOLOK, 24)):
        task = done_task(mou_case(programme(slug)), "draft")
        Task.objects.filter(pk=task.pk).update(created=start, finished=start + datetime.timedelta(hours=hours))

    data = analytics.step_durations(regions(BANJAR, SOLOK))

    drafts = {r.region.slug: r for r in data.rows if r.step.name == "draft"}
    assert (drafts[BANJAR].count, drafts[BANJAR].median_hours, drafts[BANJAR].p90_hours) == (1, 48.0, 48.0)
    assert drafts[BANJAR].median_days == 2.0
    assert drafts[BANJAR].step.title == "1.1 Penyusunan draf"
    assert drafts[BANJAR].step.agency == "Direktorat Layanan Aplikasi Informatika Pemerintahan"
    assert (drafts[SOLOK].count, drafts[SOLOK].median_hours) == (1, 24.0)
    # In flow order within each region: draft, then the two reviews.
    assert [r.step.name for r in data.rows if r.region.slug == BANJAR] == \
        ["draft", "review_diskominfo", "review_legal"]
    # LAIP drafted both: median of 24 h and 48 h, p90 interpolated.
    laip = next(a for a in data.by_agency if a.agency_kind == "laip")
    assert (laip.count, laip.median_hours, laip.p90_hours) == (2, 36.0, 45.6)


def test_open_tasks_past_their_deadline_are_overdue(programme):
    for slug in (BANJAR, SOLOK):
        driver.run_programme(programme(slug), stop_stage=Stage.MOU, stop_step="paraf_laip")
    late = open_task(mou_case(programme(BANJAR)), "paraf_laip")
    Task.objects.filter(pk=late.pk).update(created=timezone.now() - datetime.timedelta(days=30))
    # Its stored Tenggat, fixed at creation, is what counts: moved to yesterday, the task is late.
    TaskDeadline.objects.filter(task=late).update(due=timezone.localdate() - datetime.timedelta(days=1))

    data = analytics.open_tasks(regions(BANJAR, SOLOK))

    rows = {r.region.slug: r for r in data.rows}
    assert rows.keys() == {BANJAR, SOLOK}
    assert (rows[BANJAR].step.name, rows[BANJAR].open, rows[BANJAR].overdue) == ("paraf_laip", 1, 1)
    assert rows[BANJAR].deadline_days == STEPS["mou"]["paraf_laip"].deadline_days == 5
    assert rows[BANJAR].oldest_days == 30.0
    assert (rows[SOLOK].open, rows[SOLOK].overdue) == (1, 0)
    assert [(r.region.slug, r.open, r.overdue) for r in data.per_region] == [(BANJAR, 1, 1), (SOLOK, 1, 0)]
    assert (data.total_open, data.total_overdue) == (2, 1)
    # Due today: on time until the day is over.
    TaskDeadline.objects.filter(task=late).update(due=timezone.localdate())
    assert analytics.open_tasks(regions(BANJAR)).total_overdue == 0


def test_a_task_without_a_stored_tenggat_is_counted_on_the_holiday_calendar(programme):
    """A review (5 working days) opened on Thursday 13 August 2026, from before Tenggat were stored: due Friday
    21st (Independence Day on the 17th), not Thursday 20th as Monday to Friday would say."""
    driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="review_diskominfo")
    task = open_task(mou_case(programme(BANJAR)), "review_diskominfo")
    Task.objects.filter(pk=task.pk).update(created=datetime.datetime(2026, 8, 13, 9, tzinfo=WIB))
    TaskDeadline.objects.filter(task=task).delete()

    def overdue_on(day):
        data = analytics.open_tasks(regions(BANJAR), now=datetime.datetime(*day, 12, tzinfo=WIB))
        return {r.step.name: r.overdue for r in data.rows}["review_diskominfo"]

    assert overdue_on((2026, 8, 21)) == 0
    assert overdue_on((2026, 8, 22)) == 1
    # A regional holiday of Banjar on Friday 21st moves it on to Monday 24th.
    Holiday.objects.create(date=datetime.date(2026, 8, 21), name="Hari Jadi", kind=HolidayKind.REGIONAL,
                           region=Region.objects.get(slug=BANJAR))
    assert overdue_on((2026, 8, 22)) == 0
    assert overdue_on((2026, 8, 25)) == 1


def test_the_deadline_column_is_the_steps_tenggat_as_administrators_set_it(programme):
    driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="paraf_laip")
    assert {r.step.name: r.deadline_days for r in analytics.open_tasks(regions(BANJAR)).rows} == {"paraf_laip": 5}
    # update_or_create: a test before may have rebuilt the schema without the rows migrate makes (test_migrations)
    StepDeadline.objects.update_or_create(stage="mou", step="paraf_laip", defaults={"working_days": 8})
    assert {r.step.name: r.deadline_days for r in analytics.open_tasks(regions(BANJAR)).rows} == {"paraf_laip": 8}


def test_open_tasks_cost_the_same_queries_with_or_without_stored_tenggat(programme, django_assert_num_queries):
    for slug in (BANJAR, SOLOK):
        driver.run_programme(programme(slug), stop_stage=Stage.MOU, stop_step="paraf_laip")
    both = regions(BANJAR, SOLOK)
    # Counted by the database: per step, per region, in total; and the steps' working days.
    with django_assert_num_queries(4):
        assert analytics.open_tasks(both).total_open == 2
    TaskDeadline.objects.all().delete()
    with django_assert_num_queries(6):  # and the tasks without a Tenggat, the calendars of every region at once
        assert analytics.open_tasks(both).total_open == 2


def test_one_return_at_a_step_counts_one_in_that_row(programme):
    with_one_return(programme(BANJAR))
    driver.run_programme(programme(SOLOK), stop_stage=Stage.MOU, stop_step="paraf_laip")

    data = analytics.returns_per_step(regions(BANJAR, SOLOK))

    assert [(r.region.slug, r.step.name, r.step.title, r.returns, r.rejections) for r in data.rows] == [
        (BANJAR, "review_legal", "1.2 Verifikasi Bagian Hukum", 1, 0),
    ]
    assert [(s.step.name, s.returns) for s in data.per_step] == [("review_legal", 1)]


def test_rejections_are_counted_apart_from_returns(programme):
    case = with_one_return(programme(BANJAR))
    driver.advance(case, until_step="sign_region")
    driver.act(open_task(case, "sign_region"), kind=DecisionKind.REJECTED, note="Tidak sesuai kebijakan daerah.")

    data = analytics.returns_per_step(regions(BANJAR))

    assert [(r.step.name, r.returns, r.rejections) for r in data.rows] == [
        ("review_legal", 1, 0), ("sign_region", 0, 1),
    ]
    [row] = analytics.stage_durations(regions(BANJAR)).rows
    assert row.outcome == "rejected" and row.finished is not None


# The page and the CSV ------------------------------------------------------------------


def test_the_page_shows_all_four_sections_with_charts(as_user, programme):
    with_one_return(programme(BANJAR))
    response = as_user("auditor").get(reverse(PAGE))
    assert response.status_code == 200
    page = response.content.decode()
    for slug in analytics.TABLE_SLUGS:
        assert f'id="{slug}"' in page
        assert reverse("audit:analytics_csv", kwargs={"table": slug}) in page
    assert page.count("<svg") == 4
    assert "1.2 Verifikasi Bagian Hukum" in page
    assert "Terlambat" in page
    sections = {s["slug"]: s["table"] for s in response.context["sections"]}
    [returned] = sections["returns"].rows
    assert returned[0] == "Kota Banjar" and returned[-2:] == [1, 0]


def test_filters_narrow_by_region_and_stage(as_user, programme):
    with_one_return(programme(BANJAR))
    driver.run_programme(programme(SOLOK), stop_stage=Stage.MOU, stop_step="paraf_laip")
    client = as_user("auditor")

    response = client.get(reverse(PAGE), {"region": SOLOK})
    sections = {s["slug"]: s["table"] for s in response.context["sections"]}
    assert {row[0] for row in sections["stages"].rows} == {"Kota Solok"}
    assert sections["returns"].rows == []

    response = client.get(reverse(PAGE), {"stage": Stage.REGULATION})
    sections = {s["slug"]: s["table"] for s in response.context["sections"]}
    assert all(table.rows == [] for table in sections.values())

    rows = parse_csv(client.get(csv_url("stages", region=SOLOK, stage=Stage.MOU)))
    assert [row[0] for row in rows[1:]] == ["Kota Solok"]


def test_each_csv_parses_and_matches_its_table(as_user, programme):
    with_one_return(programme(BANJAR))
    driver.run_programme(programme(SOLOK), stop_stage=Stage.MOU, stop_step="paraf_laip")
    client = as_user("auditor")
    response = client.get(reverse(PAGE))
    shown = {s["slug"]: s["table"] for s in response.context["sections"]}
    for slug in analytics.TABLE_SLUGS:
        rows = parse_csv(client.get(csv_url(slug)))
        assert rows == as_strings(shown[slug]), slug
        assert len(rows) > 1, f"{slug}: the known world has rows in every table"
    response = client.get(csv_url("returns"))
    assert 'filename="sepakat-analitik-returns-' in response["Content-Disposition"]


def test_an_unknown_table_is_404(as_user):
    assert as_user("auditor").get(csv_url("users")).status_code == 404


def test_a_regional_auditor_sees_only_their_region(as_user, programme):
    with_one_return(programme(BANJAR))
    with_one_return(programme(SOLOK))
    client = as_user(f"{BANJAR}.auditor")

    response = client.get(reverse(PAGE))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Kota Banjar" in page
    assert "Solok" not in page
    for section in response.context["sections"]:
        assert {row[0] for row in section["table"].rows} <= {"Kota Banjar"}

    for slug in analytics.TABLE_SLUGS:
        rows = parse_csv(client.get(csv_url(slug)))
        assert len(rows) > 1
        assert {row[0] for row in rows[1:]} == {"Kota Banjar"}, slug

    # Asking for another region by name shows nothing of it.
    response = client.get(reverse(PAGE), {"region": SOLOK})
    assert response.status_code == 200
    assert response.context["report"] is None
    assert "Solok" not in response.content.decode()
    assert client.get(csv_url("stages", region=SOLOK)).status_code == 400


@pytest.mark.parametrize("username", ["kota-banjar.kominfo", "laip.direktur", "mentor"])
def test_officials_who_do_not_audit_get_403(as_user, username):
    client = as_user(username)
    assert client.get(reverse(PAGE)).status_code == 403
    for slug in analytics.TABLE_SLUGS:
        assert client.get(csv_url(slug)).status_code == 403


def test_an_administrator_may_read_the_analytics(client, django_user_model):
    admin = django_user_model.objects.create_superuser("admin-analitik", "admin@example.org", "x" * 16)
    client.force_login(admin)
    assert client.get(reverse(PAGE)).status_code == 200
    assert client.get(csv_url("open")).status_code == 200


# Escaping ----------------------------------------------------------------------------------


HOSTILE = "<script>alert('x')</script> & \"Kota\""


def test_the_svg_escapes_every_label():
    svg = str(analytics.bar_chart([(HOSTILE, [3.0, 1.0])], [HOSTILE, "B"], title=HOSTILE, unit="<b>"))
    assert "<script" not in svg and "<b>" not in svg
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Kota&quot;" in svg
    assert svg.startswith("<svg") and svg.endswith("</svg>")


def test_a_hostile_region_name_is_escaped_in_the_page(as_user, programme):
    with_one_return(programme(BANJAR))
    Region.objects.filter(slug=BANJAR).update(name=HOSTILE)
    page = as_user("auditor").get(reverse(PAGE)).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_a_formula_in_a_csv_cell_is_neutralised():
    from auditing.analytics_views import csv_cell

    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("Kota Banjar") == "Kota Banjar"
    assert csv_cell(-1.5) == -1.5


# Cost ----------------------------------------------------------------------------------------


def count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_with_more_processes(as_user):
    from agreements.models import Programme

    def drive(slugs):
        for slug in slugs:
            with_one_return(Programme.objects.get(region__slug=slug))

    client = as_user("auditor")
    drive([BANJAR, SOLOK])
    urls = [reverse(PAGE), csv_url("steps"), csv_url("returns")]
    for url in urls:
        count(client, url)  # warm caches (content types, permissions)
    few = [count(client, url) for url in urls]
    drive(["kab-bangli", "kab-gianyar", "kab-serang", "kota-parepare"])
    snapshots.snapshots_refresh()  # beat's pass: the page reads the new snapshot
    many = [count(client, url) for url in urls]
    assert many == few, f"{few} queries with 2 programmes, {many} with 6"
    sections = {s["slug"]: s["table"] for s in client.get(reverse(PAGE)).context["sections"]}
    assert len(sections["returns"].rows) == 6
    assert len(sections["stages"].rows) == 6


def test_each_table_on_the_page_is_bounded_and_its_csv_has_every_row(as_user, programme, monkeypatch):
    """The page shows the first rows of each ranking (the longest, slowest, most overdue, most returned) and says
    so; the CSV has every row, in the same order."""
    for slug in (BANJAR, SOLOK, "kab-bangli"):
        with_one_return(programme(slug))
    monkeypatch.setattr(analytics, "TABLE_ROWS", 2)
    client = as_user("auditor")
    response = client.get(reverse(PAGE))
    sections = {s["slug"]: s["table"] for s in response.context["sections"]}
    for slug in analytics.TABLE_SLUGS:
        shown = sections[slug]
        rows = parse_csv(client.get(csv_url(slug)))
        assert len(shown.rows) == 2 and shown.more, slug
        assert len(rows) - 1 > 2, slug
        assert rows[: 3] == as_strings(shown), f"{slug}: the page is the start of the CSV"
    assert "CSV memuat semua baris" in response.content.decode()


def test_the_rankings(programme):
    """Stages: the longest first; steps: the slowest median first; returns: the most first."""
    for slug in (BANJAR, SOLOK):
        with_one_return(programme(slug))
    now = timezone.now()
    banjar, solok = mou_case(programme(BANJAR)), mou_case(programme(SOLOK))
    StageProcess.objects.filter(pk=solok.pk).update(created=now - datetime.timedelta(days=9))
    StageProcess.objects.filter(pk=banjar.pk).update(created=now - datetime.timedelta(days=2))
    assert [r.region.slug for r in analytics.stage_durations(regions(BANJAR, SOLOK), now=now).rows] == [SOLOK, BANJAR]
    task = done_task(solok, "review_legal")
    Task.objects.filter(pk=task.pk).update(created=now - datetime.timedelta(hours=30), finished=now)
    first = analytics.step_durations(regions(BANJAR, SOLOK)).rows[0]
    assert (first.region.slug, first.step.name, first.median_hours) == (SOLOK, "review_legal", 30.0)
    limited = analytics.step_durations(regions(BANJAR, SOLOK), limit=1)
    assert len(limited.rows) == 1 and limited.more
    assert analytics.stage_durations(Region.objects.filter(slug__in=[BANJAR, SOLOK]), now=now).rows[0].region.slug \
        == SOLOK  # a queryset of regions (a national scope) gives the same rows


def test_a_national_scope_types_the_region_instead_of_choosing_from_a_list(as_user, programme, monkeypatch):
    from auditing import analytics_views

    with_one_return(programme(BANJAR))
    monkeypatch.setattr(analytics_views, "CHOICES_MAX", 3)
    client = as_user("auditor")
    html = client.get(reverse(PAGE)).content.decode()
    assert '<select name="region"' not in html and 'name="region"' in html
    response = client.get(reverse(PAGE), {"region": BANJAR})
    assert {row[0] for s in response.context["sections"] for row in s["table"].rows} == {"Kota Banjar"}
    response = client.get(reverse(PAGE), {"region": "tidak-ada"})
    assert response.context["report"] is None
    # A regional auditor's scope is short: a list of their regions.
    assert '<select name="region"' in as_user(f"{BANJAR}.auditor").get(reverse(PAGE)).content.decode()


# Snapshots: computed off the request path, keyed by the exact scope --------------------------------------


def test_the_page_says_when_its_data_was_computed_and_how_often(as_user, programme):
    with_one_return(programme(BANJAR))
    page = as_user("auditor").get(reverse(PAGE)).content.decode()
    assert "Data per " in page and " WIB; diperbarui setiap 15 menit." in page


def test_each_regions_snapshot_from_the_one_pass_equals_its_own_report(programme):
    for slug in (BANJAR, SOLOK):
        with_one_return(programme(slug))
    driver.run_programme(programme("kab-bangli"), stop_stage=Stage.MOU, stop_step="paraf_laip")
    now = timezone.now()
    for stage in (None, Stage.MOU, Stage.REGULATION):
        every = analytics.reports_per_region(stage, now, limit=2)
        for region in Region.objects.all():
            alone = analytics.report([region], stage, now, limit=2)
            assert snapshots.dump(every[region.pk]) == snapshots.dump(alone), (region.slug, stage)
        if stage is None:
            assert every[Region.objects.get(slug=BANJAR).pk].returns.rows, "the known world has rows"


def test_a_regional_auditor_never_reads_a_snapshot_of_other_regions(as_user, programme):
    with_one_return(programme(BANJAR))
    with_one_return(programme(SOLOK))
    assert as_user("auditor").get(reverse(PAGE)).status_code == 200  # the national snapshot, Solok in it
    national = analytics_snapshot(None)
    assert national.data["returns"]["rows"] and len({row[0] for row in national.data["returns"]["rows"]}) == 2
    response = as_user(f"{BANJAR}.auditor").get(reverse(PAGE))
    assert "Solok" not in response.content.decode()
    banjar = Region.objects.get(slug=BANJAR)
    mine = analytics_snapshot([banjar.pk])
    assert mine.regions == [banjar.pk] and {row[0] for row in mine.data["returns"]["rows"]} == {banjar.pk}


def analytics_snapshot(region_ids, stage=None):
    from auditing.models import AnalyticsSnapshot

    return AnalyticsSnapshot.objects.get(key=snapshots.snapshot_key(region_ids, stage))


def test_an_old_snapshot_is_shown_while_a_new_one_is_computed_once(as_user, programme, monkeypatch):
    from auditing import tasks
    from auditing.models import AnalyticsSnapshot

    with_one_return(programme(BANJAR))
    client = as_user("auditor")
    client.get(reverse(PAGE))
    old = timezone.now() - datetime.timedelta(minutes=snapshots.REFRESH_MINUTES + 1)
    AnalyticsSnapshot.objects.update(computed_at=old)
    queued = []
    monkeypatch.setattr(tasks.analytics_compute, "delay", queued.append)
    for _ in range(3):
        response = client.get(reverse(PAGE))
        page = response.content.decode()
        assert "Data terbaru sedang dihitung" in page
        assert "1.2 Verifikasi Bagian Hukum" in page, "the previous snapshot is shown meanwhile"
    assert queued == [snapshots.snapshot_key(None, None)], "one computation, however many requests"
    tasks.analytics_compute(queued[0])
    assert "sedang dihitung" not in client.get(reverse(PAGE)).content.decode()


def test_without_any_snapshot_yet_the_page_says_it_is_being_computed(as_user, programme, monkeypatch):
    from auditing import tasks

    with_one_return(programme(BANJAR))
    monkeypatch.setattr(tasks.analytics_compute, "delay", lambda key: None)
    response = as_user("auditor").get(reverse(PAGE))
    assert response.status_code == 200 and response.context["sections"] == []
    assert "Analitik sedang dihitung" in response.content.decode()


def test_beat_refreshes_the_national_and_every_regions_snapshot():
    from auditing.models import AnalyticsSnapshot

    counts = snapshots.snapshots_refresh()
    stages = 1 + len(Stage.values)
    assert counts["national"] == stages and counts["regions"] == Region.objects.count() * stages
    assert AnalyticsSnapshot.objects.filter(computing_since__isnull=False).count() == 0
    assert "analytics-refresh" in __import__("django.conf").conf.settings.CELERY_BEAT_SCHEDULE
