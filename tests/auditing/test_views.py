"""The auditor's timelines and exports: scoped to the auditor's regions, filtered, paginated, constant in cost."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.actions import AuditAction
from audit.models import AuditEvent
from audit.services import event_record
from demo import driver
from workflows.models import Stage, StageProcess

pytestmark = pytest.mark.django_db

BANJAR_NOTE = "catatan-rahasia-banjar"
SOLOK_NOTE = "catatan-rahasia-solok"
UNSCOPED_NOTE = "percobaan-masuk-tanpa-daerah"


@pytest.fixture
def world(programme, official):
    """Both Kota Banjar and Kota Solok with an MoU under way, a marked event in each, and one with no region."""
    banjar, solok = programme("kota-banjar"), programme("kota-solok")
    for each in (banjar, solok):
        driver.run_programme(each, stop_stage=Stage.MOU, stop_step="paraf_laip")
    event_record(actor=official("kota-banjar.kominfo"), action=AuditAction.ROLE_CHANGED, region=banjar.region,
                 details={"old": {"post": "Kepala Seksi"}, "new": {"post": "Kepala Dinas"}, "note": BANJAR_NOTE})
    event_record(actor=official("kota-solok.kominfo"), action=AuditAction.ROLE_CHANGED, region=solok.region,
                 details={"note": SOLOK_NOTE})
    event_record(actor=None, action=AuditAction.AUTH_LOGIN_FAILED, details={"username": UNSCOPED_NOTE})
    return {
        "banjar": banjar,
        "solok": solok,
        "banjar_case": StageProcess.objects.get(programme=banjar, stage=Stage.MOU),
        "solok_case": StageProcess.objects.get(programme=solok, stage=Stage.MOU),
    }


def page(client, name="audit:index", args=(), **params):
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200, response.status_code
    return response


def listed(response) -> list[AuditEvent]:
    return list(response.context["events"])


def export(client, fmt, **params):
    response = client.get(reverse(f"audit:export_{fmt}"), params)
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    if fmt == "json":
        return json.loads(body)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


# --- Scope --------------------------------------------------------------------------------------------------------


def test_a_regional_auditor_reads_only_their_region(world, as_user):
    client = as_user("kota-solok.auditor")
    html = page(client, order="oldest").content.decode()
    assert SOLOK_NOTE in html
    assert BANJAR_NOTE not in html
    assert UNSCOPED_NOTE not in html
    response = page(client)
    assert {e.region.slug for e in listed(response)} == {"kota-solok"}
    assert response.context["page"].count == AuditEvent.objects.filter(region__slug="kota-solok").count()


def test_another_regions_pages_answer_404(world, as_user):
    client = as_user("kota-solok.auditor")
    banjar, case = world["banjar"], world["banjar_case"]
    for name, args in (("audit:programme", [banjar.pk]), ("audit:process", [case.pk]),
                       ("audit:region", ["kota-banjar"]), ("audit:official", ["kota-banjar.kominfo"]),
                       ("audit:official", ["kota-banjar.auditor"]), ("audit:official", ["tidak-ada"]),
                       ("audit:bundle", [banjar.pk]), ("audit:region", ["tidak-ada"])):
        assert client.get(reverse(name, args=args)).status_code == 404, (name, args)
    solok = world["solok"]
    for name, args in (("audit:programme", [solok.pk]), ("audit:process", [world["solok_case"].pk]),
                       ("audit:region", ["kota-solok"]), ("audit:official", ["kota-solok.kominfo"]),
                       ("audit:official", ["laip.direktur"])):  # central officials act in every region
        assert client.get(reverse(name, args=args)).status_code == 200, (name, args)


def test_a_central_officials_page_shows_a_regional_auditor_only_their_region(world, as_user):
    client = as_user("kota-solok.auditor")
    events = listed(page(client, "audit:official", ["laip.staf"]))
    assert events
    assert {e.actor.username for e in events} == {"laip.staf"}
    assert {e.region.slug for e in events} == {"kota-solok"}


def test_another_regions_events_are_never_exported(world, as_user):
    client = as_user("kota-solok.auditor")
    for fmt in ("csv", "json"):
        rows = export(client, fmt)
        assert rows
        assert {row["region_slug"] for row in rows} == {"kota-solok"}
    # Asking for the other region by name or by programme is refused, not answered with its events.
    for params in ({"region": "kota-banjar"}, {"programme": world["banjar"].pk}, {"process": world["banjar_case"].pk}):
        response = client.get(reverse("audit:export_json"), params)
        assert response.status_code == 400, params
        assert BANJAR_NOTE not in response.content.decode()


def test_the_national_auditor_reads_every_region_and_the_events_without_one(world, as_user):
    client = as_user("auditor")
    html = page(client).content.decode()
    for marker in (BANJAR_NOTE, SOLOK_NOTE, UNSCOPED_NOTE):
        assert marker in html
    assert page(client).context["page"].count == AuditEvent.objects.count()
    for name, args in (("audit:programme", [world["banjar"].pk]), ("audit:process", [world["banjar_case"].pk]),
                       ("audit:region", ["kota-banjar"]), ("audit:official", ["kota-banjar.kominfo"])):
        assert client.get(reverse(name, args=args)).status_code == 200
    rows = export(client, "json")
    assert {row["region_slug"] for row in rows} >= {"kota-banjar", "kota-solok", ""}


def test_an_administrator_reads_everything(world, client, django_user_model):
    admin = django_user_model.objects.create_superuser("admin-audit", "admin@example.org", "x")
    client.force_login(admin)
    assert page(client).context["page"].count == AuditEvent.objects.count()


def test_officials_who_are_not_auditors_get_403(world, as_user, client):
    for username in ("kota-banjar.kominfo", "laip.direktur"):
        user_client = as_user(username)
        for name, args in (("audit:index", []), ("audit:programme", [world["banjar"].pk]),
                           ("audit:region", ["kota-banjar"]), ("audit:export_csv", []), ("audit:export_json", []),
                           ("audit:bundle", [world["banjar"].pk])):
            assert user_client.get(reverse(name, args=args)).status_code == 403, (username, name)
    client.logout()
    assert client.get(reverse("audit:index")).status_code == 302  # to the login page


# --- Pages --------------------------------------------------------------------------------------------------------


def test_an_event_shows_number_time_actor_action_links_and_old_and_new_values(world, as_user):
    client = as_user("kota-banjar.auditor")
    event = AuditEvent.objects.get(details__note=BANJAR_NOTE)
    html = page(client, action=AuditAction.ROLE_CHANGED).content.decode()
    assert f"#{event.pk}" in html
    assert timezone.localtime(event.created).strftime("%d-%m-%Y %H:%M:%S") in html
    assert event.actor_label in html
    assert "Peran diubah" in html and "role.changed" in html
    assert "Kepala Seksi</del> → <ins>Kepala Dinas" in html
    assert reverse("audit:official", args=["kota-banjar.kominfo"]) in html
    assert reverse("audit:region", args=["kota-banjar"]) in html
    claimed = page(client, action=AuditAction.TASK_CLAIMED).content.decode()
    case, banjar = world["banjar_case"], world["banjar"]
    assert reverse("sepakat:case_detail", args=[case.pk]) in claimed
    assert reverse("audit:process", args=[case.pk]) in claimed
    assert reverse("sepakat:programme", args=["kota-banjar", banjar.year]) in claimed
    assert reverse("audit:programme", args=[banjar.pk]) in claimed


def test_each_scope_lists_its_own_events(world, as_user):
    client = as_user("auditor")
    banjar, case = world["banjar"], world["banjar_case"]
    programme_events = listed(page(client, "audit:programme", [banjar.pk]))
    assert programme_events and all(e.region.slug == "kota-banjar" for e in programme_events)
    assert BANJAR_NOTE not in {e.details.get("note") for e in programme_events}  # a region event, no programme
    process_events = listed(page(client, "audit:process", [case.pk]))
    assert {e.process_id for e in process_events} == {case.pk}
    assert {"case.opened", "task.claimed", "document.version_created"} <= {e.action for e in process_events}
    region_events = listed(page(client, "audit:region", ["kota-banjar"]))
    assert BANJAR_NOTE in {e.details.get("note") for e in region_events}
    assert {e.region.slug for e in region_events} == {"kota-banjar"}
    official_events = listed(page(client, "audit:official", ["kota-banjar.kominfo"]))
    assert official_events and {e.actor.username for e in official_events} == {"kota-banjar.kominfo"}


def test_the_case_page_lists_versions_notes_pdfs_and_signatures(programme, as_user):
    banjar = programme("kota-banjar")
    driver.run_programme(banjar, only_stage=Stage.MOU)
    case = StageProcess.objects.get(programme=banjar, stage=Stage.MOU)
    response = page(as_user("kota-banjar.auditor"), "audit:process", [case.pk])
    html = response.content.decode()
    versions = response.context["versions"]
    assert [v.number for v in versions] == [1]
    assert reverse("sepakat:version_pdf", args=[case.pk, 1]) in html
    assert [d.kind for d in versions[0].notes][:2] == ["submitted", "approved"]
    revisions = versions[0].revisions
    assert [r.revision for r in revisions] == [0, 1, 2, 3] and revisions[-1].is_final
    assert case.final_pdf.sha256 in html
    record = revisions[-2].signature_records.all()[0]
    assert "data validasi dan cap waktu arsip (PAdES B-LTA)" in html  # what the final revision added
    assert record.signer_name in html
    assert timezone.localtime(record.timestamp_time).strftime("%d-%m-%Y %H:%M:%S") in html
    assert "sah" in html


# --- Filters, search, order, pages ----------------------------------------------------------------------------------


def count(response) -> int:
    return response.context["page"].count


def test_filters_and_search_narrow_the_list(world, as_user):
    client = as_user("auditor")
    everything = count(page(client))
    finished = count(page(client, action=AuditAction.TASK_FINISHED))
    assert 0 < finished < everything
    assert finished == AuditEvent.objects.filter(action=AuditAction.TASK_FINISHED).count()
    assert count(page(client, region="kota-solok")) == AuditEvent.objects.filter(region__slug="kota-solok").count()
    by_official = page(client, official="kota-banjar.kominfo")
    assert {e.actor.username for e in listed(by_official)} == {"kota-banjar.kominfo"}
    today = timezone.localdate()
    assert count(page(client, date_from=today.isoformat(), date_to=today.isoformat())) == everything
    assert count(page(client, date_from=(today + datetime.timedelta(days=1)).isoformat())) == 0
    assert count(page(client, date_to=(today - datetime.timedelta(days=1)).isoformat())) == 0
    # Search: details text, actor label, action code and the action's Indonesian label.
    assert [e.details["note"] for e in listed(page(client, q=SOLOK_NOTE))] == [SOLOK_NOTE]
    label = AuditEvent.objects.filter(actor__username="kota-solok.kominfo").first().actor_label
    assert {e.actor_label for e in listed(page(client, q=label))} == {label}
    assert {e.action for e in listed(page(client, q="Tugas diambil"))} == {"task.claimed"}
    assert {e.action for e in listed(page(client, q="case.opened"))} == {"case.opened"}
    combined = listed(page(client, action=AuditAction.TASK_CLAIMED, region="kota-banjar", official="laip.staf"))
    assert combined and all(
        e.action == "task.claimed" and e.region.slug == "kota-banjar" and e.actor.username == "laip.staf"
        for e in combined
    )


def test_the_agency_filter_finds_the_actors_agency(world, as_user):
    from agreements.models import Agency

    client = as_user("auditor")
    diskominfo = Agency.objects.get(region__slug="kota-banjar", kind="diskominfo")
    events = listed(page(client, agency=diskominfo.pk))
    assert events
    assert {e.actor.username for e in events} <= {"kota-banjar.kominfo", "kota-banjar.kominfo.staf"}
    # A regional auditor may not filter on another region's agency.
    response = as_user("kota-solok.auditor").get(reverse("audit:index"), {"agency": diskominfo.pk})
    assert response.context["filter"].errors and count(response) == 0


def test_the_action_choices_are_the_actions_recorded(world, as_user):
    choices = dict(page(as_user("kota-solok.auditor")).context["filter"].form.fields["action"].choices)
    assert "task.claimed" in choices and "Tugas diambil" in choices["task.claimed"]
    assert "auth.login_failed" not in choices  # recorded, but only without a region


def follow(client, response, which):
    """The page behind the older or newer link of a page (keyset cursors, the filters kept)."""
    url = response.context[f"{which}_url"]
    assert url, f"no {which} link"
    return client.get(reverse("audit:index") + url)


def test_pages_of_fifty_newest_first_or_oldest_first(programme, official, as_user):
    region = programme("kota-banjar").region
    for n in range(120):
        event_record(actor=official("kota-banjar.kominfo"), action=AuditAction.TASK_CLAIMED, region=region,
                     details={"n": n})
    client = as_user("kota-banjar.auditor")
    first = page(client, action=AuditAction.TASK_CLAIMED)
    assert len(listed(first)) == 50
    assert [e.details["n"] for e in listed(first)][:2] == [119, 118]
    assert first.context["newer_url"] == "" and first.context["older_url"]
    assert count(first) == 120
    second = follow(client, first, "older")
    assert [e.details["n"] for e in listed(second)][:1] == [69]
    last = follow(client, second, "older")
    assert [e.details["n"] for e in listed(last)] == list(range(19, -1, -1))
    assert last.context["older_url"] == ""  # the oldest page
    back = follow(client, last, "newer")
    assert [e.pk for e in listed(back)] == [e.pk for e in listed(second)]
    assert [e.pk for e in listed(follow(client, back, "newer"))] == [e.pk for e in listed(first)]
    oldest = page(client, action=AuditAction.TASK_CLAIMED, order="oldest")
    assert [e.details["n"] for e in listed(oldest)][:2] == [0, 1]
    assert "order=oldest" in oldest.context["query"]
    assert oldest.context["older_url"] == ""
    assert [e.details["n"] for e in listed(follow(client, oldest, "newer"))][:1] == [50]
    # Past the end: no events, and the way back.
    beyond = page(client, action=AuditAction.TASK_CLAIMED, before=listed(last)[-1].pk)
    assert listed(beyond) == [] and beyond.context["newer_url"] and beyond.context["older_url"] == ""
    assert page(client, before="x").context["page"].at_start  # a cursor that is no number: the first page
    filtered = page(client, q="Tugas diambil")
    older = filtered.context["older_url"]
    assert "q=Tugas" in older and "before=" in older
    assert older.replace("&", "&amp;") in filtered.content.decode()


def test_a_count_beyond_its_bound_says_more_than(programme, official, as_user, monkeypatch):
    from auditing import selectors

    monkeypatch.setattr(selectors, "COUNT_LIMIT", 30)
    region = programme("kota-banjar").region
    for n in range(40):
        event_record(actor=official("kota-banjar.kominfo"), action=AuditAction.TASK_CLAIMED, region=region,
                     details={"n": n})
    response = page(as_user("kota-banjar.auditor"), action=AuditAction.TASK_CLAIMED)
    assert response.context["page"].count_capped and response.context["page"].count == 30
    assert "lebih dari 30 peristiwa" in response.content.decode()


@pytest.mark.parametrize(("name", "args"), [
    ("audit:index", lambda p, c: []),
    ("audit:programme", lambda p, c: [p.pk]),
    ("audit:process", lambda p, c: [c.pk]),
    ("audit:region", lambda p, c: ["kota-banjar"]),
    ("audit:official", lambda p, c: ["kota-banjar.kominfo"]),
])
def test_a_page_costs_the_same_queries_with_10_or_100_events(programme, official, as_user, name, args):
    banjar = programme("kota-banjar")
    driver.run_programme(banjar, stop_stage=Stage.MOU, stop_step="review_diskominfo")
    case = StageProcess.objects.get(programme=banjar)
    actor = official("kota-banjar.kominfo")
    version = case.document.latest_version()
    client = as_user("auditor")
    url = reverse(name, args=args(banjar, case))

    def add(n):
        """Events like the real ones: about the case, a version of its document, or the region alone."""
        for i in range(n):
            kinds = (AuditAction.TASK_CLAIMED, AuditAction.ROLE_CHANGED, AuditAction.DOCUMENT_SIGNED)
            event_record(actor=(actor, None)[i % 2], action=kinds[i % 3],
                         region=banjar.region, process=case if i % 3 == 0 else None,
                         version=version if i % 3 == 2 else None, details={"old": {"i": i}, "new": {"i": i + 1}})

    def queries(**params):
        client.get(url, params)  # warm caches (content types, permissions)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured)

    add(10)
    few, few_filtered = queries(), queries(q="i", action=AuditAction.TASK_CLAIMED, order="oldest")
    add(90)
    assert queries() == few
    assert queries(q="i", action=AuditAction.TASK_CLAIMED, order="oldest") == few_filtered


# --- Exports --------------------------------------------------------------------------------------------------------


def test_csv_and_json_exports_hold_exactly_the_filtered_events(world, as_user):
    client = as_user("kota-banjar.auditor")
    params = {"action": "task.claimed", "q": "laip"}
    shown = page(client, **params).context["filter"].qs
    expected = list(shown.order_by("pk").values_list("pk", flat=True))
    assert expected
    rows = export(client, "json", **params)
    assert [row["sequence"] for row in rows] == expected
    assert [int(row["sequence"]) for row in export(client, "csv", **params)] == expected
    event = AuditEvent.objects.get(pk=expected[0])
    row = rows[0]
    assert row["hash"] == event.hash and row["prev_hash"] == event.prev_hash
    assert datetime.datetime.fromisoformat(row["created"]) == event.created
    assert row["actor_username"] == event.actor.username and row["actor_label"] == event.actor_label
    assert row["action_label"] == "Tugas diambil" and row["region_slug"] == "kota-banjar"
    assert row["details"] == event.details
    csv_row = export(client, "csv", **params)[0]
    assert set(csv_row) == set(row)
    assert json.loads(csv_row["details"]) == event.details and csv_row["hash"] == event.hash


def test_every_export_is_recorded_with_its_filter(world, as_user):
    client = as_user("kota-banjar.auditor")
    export(client, "csv", region="kota-banjar", action=AuditAction.TASK_CLAIMED)
    recorded = AuditEvent.objects.filter(action=AuditAction.AUDIT_EXPORTED).latest("pk")
    assert recorded.actor.username == "kota-banjar.auditor"
    assert recorded.region.slug == "kota-banjar"
    assert recorded.details["format"] == "csv"
    assert recorded.details["filter"] == {"region": "kota-banjar", "action": "task.claimed"}
    # The export holds the events up to the moment it was asked for, not its own record.
    rows = export(client, "json")
    assert recorded.pk in {row["sequence"] for row in rows}
    assert max(row["sequence"] for row in rows) < AuditEvent.objects.latest("pk").pk


def test_csv_cells_that_excel_would_run_are_neutralised(programme, official, as_user):
    event_record(actor=official("kota-banjar.kominfo"), action=AuditAction.ROLE_CHANGED,
                 region=programme("kota-banjar").region, details={"note": "x"})
    user = official("kota-banjar.kominfo")
    user.official.full_name = "=HYPERLINK(\"http://example.org\")"
    user.official.save()
    event_record(actor=official("kota-banjar.kominfo"), action=AuditAction.ROLE_CHANGED,
                 region=programme("kota-banjar").region, details={"note": "y"})
    rows = export(as_user("kota-banjar.auditor"), "csv", action=AuditAction.ROLE_CHANGED)
    assert rows[-1]["actor_label"].startswith("'=HYPERLINK")


def test_an_older_page_costs_the_same_queries_with_60_or_600_events(programme, official, as_user):
    region = programme("kota-banjar").region
    client = as_user("kota-banjar.auditor")

    def add(n):
        for i in range(n):
            event_record(actor=official("kota-banjar.kominfo"), action=AuditAction.TASK_CLAIMED, region=region,
                         details={"i": i})

    def queries():
        claimed = AuditEvent.objects.filter(region=region, action=AuditAction.TASK_CLAIMED)
        cursor = claimed.order_by("-pk").values_list("pk", flat=True)[4]
        params = {"before": cursor, "action": AuditAction.TASK_CLAIMED}
        client.get(reverse("audit:index"), params)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("audit:index"), params)
        assert len(listed(response)) == 50 and response.context["newer_url"]
        return len(captured)

    add(60)
    few = queries()
    add(540)
    assert queries() == few


# National scale: date ranges as sequence ranges, the official by id, the action list -----------------------


def test_a_date_range_holds_exactly_the_events_of_its_days(programme, official, as_user):
    """Days in WIB, their first and last minutes included; the range found as sequence numbers (the log is
    written in time order: these events come after every other, in March 2027)."""
    import time_machine

    region = programme("kota-banjar").region
    client = as_user("kota-banjar.auditor")
    wib = timezone.get_fixed_timezone(7 * 60)
    for day, hour, minute in ((3, 0, 0), (3, 23, 59), (5, 12, 0), (7, 0, 0), (7, 23, 59)):
        with time_machine.travel(datetime.datetime(2027, 3, day, hour, minute, tzinfo=wib), tick=False):
            event_record(actor=official("kota-banjar.kominfo"), action=AuditAction.TASK_CLAIMED, region=region,
                         details={"day": day})

    def shown(**params):
        return sorted(e.pk for e in listed(page(client, action=AuditAction.TASK_CLAIMED, **params)))

    def truth(start=None, end=None):  # from the times themselves: [start, end] in WIB days
        events = AuditEvent.objects.filter(action=AuditAction.TASK_CLAIMED, region=region)
        if start:
            events = events.filter(created__gte=datetime.datetime(2027, 3, start, tzinfo=wib))
        if end:
            events = events.filter(created__lt=datetime.datetime(2027, 3, end + 1, tzinfo=wib))
        return sorted(events.values_list("pk", flat=True))

    assert len(truth(3, 3)) == 2 and len(truth(7, 7)) == 2
    for start, end in ((3, 3), (4, 6), (6, 6), (3, 7), (5, None), (None, 5), (None, 2), (8, 20)):
        params = {}
        if start:
            params["date_from"] = f"2027-03-{start:02}"
        if end:
            params["date_to"] = f"2027-03-{end:02}"
        assert shown(**params) == truth(start, end), params
    assert shown(date_from="2099-01-01") == []


def test_the_official_filter_reads_the_actors_events_and_an_unknown_name_none(world, as_user):
    client = as_user("auditor")
    events = listed(page(client, official="kota-banjar.kominfo"))
    assert events and {e.actor.username for e in events} == {"kota-banjar.kominfo"}
    assert count(page(client, official="tidak-ada")) == 0


def test_a_large_subjects_action_list_is_that_of_the_whole_scope(world, as_user, monkeypatch):
    from auditing import selectors

    client = as_user("kota-solok.auditor")
    small = dict(page(client).context["filter"].form.fields["action"].choices)
    monkeypatch.setattr(selectors, "ACTIONS_SAMPLE", 1)  # every subject is now "large": the probes answer
    large = dict(page(client).context["filter"].form.fields["action"].choices)
    assert large == small and "task.claimed" in large and "auth.login_failed" not in large
    case = StageProcess.objects.filter(programme__region__slug="kota-solok").first()
    probed = dict(page(client, "audit:process", args=[case.pk]).context["filter"].form.fields["action"].choices)
    assert set(probed) >= {"task.claimed"} and "auth.login_failed" not in probed, "a regional scope, still"
