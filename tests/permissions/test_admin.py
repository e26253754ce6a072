"""The admin changes assignments, regions and agencies through the services: synced at once, audited."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.forms import MultiWidget
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agency, Region
from agreements.regions import ensure_regional_agencies, region_create
from audit.models import AuditEvent
from permissions.assignments import assignment_end, assignment_save
from permissions.models import RoleAssignment
from permissions.roles import AgencyKind, RoleKind
from permissions.selectors import regions_visible_to, user_holds_step_role
from permissions.steps import STEP_ROLES

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
YESTERDAY = lambda: timezone.localdate() - datetime.timedelta(days=1)  # noqa: E731


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x")


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    return client


def region(slug):
    return Region.objects.get(slug=slug)


def agency(slug, kind):
    return Agency.objects.get(region__slug=slug, kind=kind)


def may_act(user, step_role, region):
    """Both what the flows check (assignments) and what guardian holds (synced permissions)."""
    guardian = user.has_perm(step_role.permission, region) or user.has_perm(step_role.permission)
    assert guardian == user_holds_step_role(user, step_role, region), "guardian permissions out of sync"
    return guardian


def form_data(response) -> dict:
    """The POST data of an admin change form as rendered, inline formsets included."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for bound in form:
            if bound.field.disabled:
                continue
            value, widget = bound.value(), bound.field.widget
            if isinstance(widget, MultiWidget):
                parts = value if isinstance(value, list) else widget.decompress(value)
                data.update({f"{bound.html_name}{suffix}": part for suffix, part in zip(widget.widgets_names, parts)
                             if part is not None})
            elif isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def assert_saved(response):
    if response.status_code != 302:
        context = response.context
        errors = [context["adminform"].form.errors]
        errors += [inline.formset.errors for inline in context["inline_admin_formsets"]]
        errors += [inline.formset.non_form_errors() for inline in context["inline_admin_formsets"]]
        pytest.fail(f"admin did not save: {errors}")


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_adding_an_assignment_in_the_admin_grants_access_at_once(admin_client, official, root):
    bappeda = official("kota-solok.bappeda")
    assert list(regions_visible_to(bappeda)) == [region("kota-solok")]
    response = admin_client.post(
        reverse("admin:permissions_roleassignment_add"),
        {"user": bappeda.pk, "agency": agency("kota-banjar", AgencyKind.BAGIAN_HUKUM).pk,
         "role": RoleKind.LEGAL_VERIFIER, "valid_from": "2024-01-01", "valid_until": "", "note": "Plh. sementara"},
    )
    assert_saved(response)
    bappeda = official("kota-solok.bappeda")
    assert set(regions_visible_to(bappeda)) == {region("kota-solok"), region("kota-banjar")}
    assert may_act(bappeda, STEP_ROLES["mou"]["review_legal"], region("kota-banjar"))
    assert not may_act(bappeda, STEP_ROLES["mou"]["review_legal"], region("kota-solok"))
    [event] = events("role.assigned")
    assert event.actor == root and event.region == region("kota-banjar")
    assert event.details["new"]["user"] == "kota-solok.bappeda"
    assert event.details["new"]["role"] == RoleKind.LEGAL_VERIFIER
    assert event.details["permissions"]["granted"]


def test_the_admin_refuses_an_assignment_the_model_rules_out(admin_client, official):
    response = admin_client.post(
        reverse("admin:permissions_roleassignment_add"),
        {"user": official("kota-solok.bappeda").pk, "agency": agency("kota-solok", AgencyKind.BAPPEDA).pk,
         "role": RoleKind.SIGNER, "valid_from": "2024-01-01", "valid_until": "", "note": ""},
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not events("role.assigned")


def test_bulk_end_action_removes_access_at_once(admin_client, official):
    kominfo = official("kota-banjar.kominfo")
    banjar = region("kota-banjar")
    assert may_act(kominfo, STEP_ROLES["mou"]["review_diskominfo"], banjar)
    selected = list(RoleAssignment.objects.filter(user=kominfo).values_list("pk", flat=True))
    assert len(selected) == 2
    response = admin_client.post(
        reverse("admin:permissions_roleassignment_changelist"),
        {"action": "end_assignments", "_selected_action": selected},
        follow=True,
    )
    assert response.status_code == 200
    assert "2 penugasan diakhiri." in [str(m) for m in response.context["messages"]]
    kominfo = official("kota-banjar.kominfo")
    assert not regions_visible_to(kominfo).exists()
    assert not may_act(kominfo, STEP_ROLES["mou"]["review_diskominfo"], banjar)
    assert set(RoleAssignment.objects.filter(pk__in=selected).values_list("valid_until", flat=True)) == {YESTERDAY()}
    ended = events("role.ended")
    assert len(ended) == 2
    assert ended[0].details["old"] == {"valid_until": None}
    assert ended[0].details["new"] == {"valid_until": YESTERDAY().isoformat()}
    # Ending them again changes nothing.
    response = admin_client.post(
        reverse("admin:permissions_roleassignment_changelist"),
        {"action": "end_assignments", "_selected_action": selected},
        follow=True,
    )
    assert "2 penugasan sudah berakhir sebelumnya." in [str(m) for m in response.context["messages"]]
    assert len(events("role.ended")) == 2


def test_ending_an_assignment_that_has_not_begun_removes_it(official, root):
    staf = official("kota-banjar.kominfo.staf")
    upcoming = assignment_save(
        assignment=RoleAssignment(user=staf, agency=agency("kota-banjar", AgencyKind.DISKOMINFO),
                                  role=RoleKind.PARAF, valid_from=TODAY() + datetime.timedelta(days=7)),
        actor=root,
    )
    assert assignment_end(assignment=upcoming, actor=root)
    assert not RoleAssignment.objects.filter(pk=upcoming.pk).exists()
    assert events("role.ended")[-1].details["deleted"] is True


def test_ending_on_a_later_date_keeps_access_until_then(official, root):
    kominfo = official("kota-banjar.kominfo")
    assignment = RoleAssignment.objects.get(user=kominfo, role=RoleKind.REVIEWER)
    assert assignment_end(assignment=assignment, actor=root, on=TODAY() + datetime.timedelta(days=30))
    assignment.refresh_from_db()
    assert assignment.valid_until == TODAY() + datetime.timedelta(days=29)
    assert may_act(official("kota-banjar.kominfo"), STEP_ROLES["mou"]["review_diskominfo"], region("kota-banjar"))


def test_changing_an_assignments_user_moves_the_permission(admin_client, official, root):
    bappeda, staf = official("kota-banjar.bappeda"), official("kota-banjar.kominfo.staf")
    banjar, step = region("kota-banjar"), STEP_ROLES["regulation"]["review_bappeda"]
    assignment = RoleAssignment.objects.get(user=bappeda, role=RoleKind.REVIEWER)
    assert may_act(bappeda, step, banjar) and not may_act(staf, step, banjar)
    url = reverse("admin:permissions_roleassignment_change", args=[assignment.pk])
    data = form_data(admin_client.get(url))
    data["user"] = str(staf.pk)
    assert_saved(admin_client.post(url, data))
    bappeda, staf = official("kota-banjar.bappeda"), official("kota-banjar.kominfo.staf")
    assert not may_act(bappeda, step, banjar) and may_act(staf, step, banjar)
    assert not regions_visible_to(bappeda).exists()
    [event] = events("role.changed")
    assert event.details["old"] == {"user": "kota-banjar.bappeda"}
    assert event.details["new"] == {"user": "kota-banjar.kominfo.staf"}
    assert any(line.startswith("kota-banjar.bappeda:") for line in event.details["permissions"]["revoked"])
    assert any(line.startswith("kota-banjar.kominfo.staf:") for line in event.details["permissions"]["granted"])


def test_deleting_an_assignment_in_the_admin_revokes_at_once(admin_client, official):
    bappeda = official("kota-banjar.bappeda")
    assignment = RoleAssignment.objects.get(user=bappeda, role=RoleKind.REVIEWER)
    response = admin_client.post(
        reverse("admin:permissions_roleassignment_delete", args=[assignment.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not regions_visible_to(official("kota-banjar.bappeda")).exists()
    [event] = events("role.removed")
    assert event.details["old"]["user"] == "kota-banjar.bappeda"


def test_bulk_delete_goes_through_the_service(admin_client, official):
    kominfo = official("kota-banjar.kominfo")
    selected = list(RoleAssignment.objects.filter(user=kominfo).values_list("pk", flat=True))
    response = admin_client.post(
        reverse("admin:permissions_roleassignment_changelist"),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(user=kominfo).exists()
    assert not regions_visible_to(official("kota-banjar.kominfo")).exists()
    assert len(events("role.removed")) == 2


def test_the_active_column_shows_the_in_force_rule_with_its_last_day_inclusive(admin_client):
    RoleAssignment.objects.filter(user__username="kota-banjar.kominfo").update(valid_until=YESTERDAY())
    RoleAssignment.objects.filter(user__username="kota-solok.kominfo").update(valid_until=TODAY())
    url = reverse("admin:permissions_roleassignment_changelist")
    shown = {}
    for username in ("kota-banjar.kominfo", "kota-solok.kominfo", "kota-solok.sekda"):
        changelist = admin_client.get(url, {"q": username}).context["cl"]
        shown[username] = {changelist.model_admin.active(a) for a in changelist.result_list
                           if a.user.username == username}
    assert shown == {"kota-banjar.kominfo": {False}, "kota-solok.kominfo": {True}, "kota-solok.sekda": {True}}


def test_assignment_changelist_filters_and_search(admin_client, official):
    RoleAssignment.objects.filter(user__username="kota-banjar.kominfo").update(valid_until=datetime.date(2024, 6, 30))
    url = reverse("admin:permissions_roleassignment_changelist")
    ended = admin_client.get(url, {"validity": "ended"})
    assert ended.status_code == 200
    assert {a.user.username for a in ended.context["cl"].result_list} == {"kota-banjar.kominfo"}
    upcoming = admin_client.get(url, {"validity": "upcoming"})
    assert list(upcoming.context["cl"].result_list) == []
    active = admin_client.get(url, {"validity": "active", "q": "kota-banjar"})
    assert "kota-banjar.kominfo" not in {a.user.username for a in active.context["cl"].result_list}
    full_name = official("kota-solok.sekda").official.full_name
    found = admin_client.get(url, {"q": full_name})
    assert {a.user.username for a in found.context["cl"].result_list} == {"kota-solok.sekda"}
    nip = admin_client.get(url, {"q": official("kota-solok.sekda").official.nip})
    assert {a.user.username for a in nip.context["cl"].result_list} == {"kota-solok.sekda"}
    by_region = admin_client.get(url, {"q": region("kota-solok").name,  # a region by name (no sidebar of 1,200)
                                       "agency__kind__exact": AgencyKind.SEKDA, "role__exact": RoleKind.SIGNER})
    assert [a.user.username for a in by_region.context["cl"].result_list] == ["kota-solok.sekda"]
    assert b"Akhiri penugasan" in by_region.content


def test_inline_edits_under_an_official_sync(admin_client, official):
    bappeda = official("kota-banjar.bappeda")
    banjar = region("kota-banjar")
    assert may_act(bappeda, STEP_ROLES["regulation"]["review_bappeda"], banjar)
    assert not may_act(bappeda, STEP_ROLES["masterplan"]["council"], banjar)
    url = reverse("admin:auth_user_change", args=[bappeda.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    data = form_data(page)
    prefix = "role_assignments"
    assert data[f"{prefix}-TOTAL_FORMS"] == "1"
    # End the Bappeda review role and add a Setda review role (council step).
    data[f"{prefix}-0-valid_until"] = YESTERDAY().isoformat()
    data.update({
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-1-agency": str(agency("kota-banjar", AgencyKind.SEKDA).pk),
        f"{prefix}-1-role": RoleKind.REVIEWER,
        f"{prefix}-1-valid_from": "2024-01-01",
        f"{prefix}-1-user": str(bappeda.pk),
    })
    assert_saved(admin_client.post(url, data))
    bappeda = official("kota-banjar.bappeda")
    assert not may_act(bappeda, STEP_ROLES["regulation"]["review_bappeda"], banjar)
    assert may_act(bappeda, STEP_ROLES["masterplan"]["council"], banjar)
    assert [e.details["new"] for e in events("role.changed")] == [{"valid_until": YESTERDAY().isoformat()}]
    assert [e.details["new"]["agency"] for e in events("role.assigned")] == [
        agency("kota-banjar", AgencyKind.SEKDA).name
    ]


def test_inline_delete_under_an_agency_syncs(admin_client, official):
    sekda_agency = agency("kota-solok", AgencyKind.SEKDA)
    url = reverse("admin:agreements_agency_change", args=[sekda_agency.pk])
    data = form_data(admin_client.get(url))
    prefix = "role_assignments"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    assert total == RoleAssignment.objects.filter(agency=sekda_agency).count() == 4  # Sekda's 3 roles + auditor
    for index in range(total):
        data[f"{prefix}-{index}-DELETE"] = "on"
    assert_saved(admin_client.post(url, data))
    sekda = official("kota-solok.sekda")
    assert not regions_visible_to(sekda).exists()
    assert not may_act(sekda, STEP_ROLES["mou"]["paraf_sekda"], region("kota-solok"))
    assert len(events("role.removed")) == 4


def test_a_region_added_in_the_admin_gets_its_five_agencies(admin_client, root):
    assert admin_client.get(reverse("admin:agreements_region_add")).status_code == 200
    response = admin_client.post(
        reverse("admin:agreements_region_add"),
        {"kind": "kota", "name": "Sawahlunto", "slug": "kota-sawahlunto", "province": "Sumatera Barat"},
    )
    assert_saved(response)
    sawahlunto = Region.objects.get(slug="kota-sawahlunto")
    names = dict(sawahlunto.agencies.values_list("kind", "name"))
    assert names == {
        AgencyKind.DISKOMINFO: "Dinas Komunikasi dan Informatika Kota Sawahlunto",
        AgencyKind.BAGIAN_HUKUM: "Bagian Hukum Sekretariat Daerah Kota Sawahlunto",
        AgencyKind.BAPPEDA: "Badan Perencanaan Pembangunan Daerah Kota Sawahlunto",
        AgencyKind.SEKDA: "Sekretariat Daerah Kota Sawahlunto",
        AgencyKind.KEPALA_DAERAH: "Kepala Daerah Kota Sawahlunto",
    }
    [event] = events("region.created")
    assert event.actor == root and event.region == sawahlunto
    assert len(event.details["agencies"]) == 5
    # The change page shows them inline.
    page = admin_client.get(reverse("admin:agreements_region_change", args=[sawahlunto.pk]))
    assert page.status_code == 200 and b"Sekretariat Daerah Kota Sawahlunto" in page.content


def test_region_create_service_and_idempotent_agencies(root):
    bengkalis = region_create(kind="kabupaten", name="Bengkalis", province="Riau", actor=root)
    assert bengkalis.slug == "kab-bengkalis"
    assert bengkalis.agencies.count() == 5
    assert ensure_regional_agencies(bengkalis) == []
    assert bengkalis.agencies.count() == 5
    with pytest.raises(ValidationError):
        region_create(kind="kabupaten", name="Bengkalis", province="Riau", actor=root)


def test_renaming_an_agency_records_old_and_new_names(admin_client, root):
    bappeda = agency("kota-parepare", AgencyKind.BAPPEDA)
    old_name = bappeda.name
    url = reverse("admin:agreements_agency_change", args=[bappeda.pk])
    data = form_data(admin_client.get(url))
    data.update(name="Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah Kota Parepare", short_name="Bapperida")
    assert_saved(admin_client.post(url, data))
    [event] = events("agency.renamed")
    assert event.actor == root and event.region == region("kota-parepare")
    assert (event.details["old"]["name"], event.details["old"]["short_name"]) == (old_name, "Bappeda")
    assert event.details["new"]["name"] == "Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah Kota Parepare"
    assert event.details["new"]["short_name"] == "Bapperida"
    assert event.details["old"]["kind"] == event.details["new"]["kind"] == AgencyKind.BAPPEDA
    # Saving without a change records nothing more.
    assert_saved(admin_client.post(url, form_data(admin_client.get(url))))
    assert len(events("agency.renamed")) == 1


def test_renaming_an_agency_inline_under_its_region_is_recorded(admin_client):
    solok = region("kota-solok")
    url = reverse("admin:agreements_region_change", args=[solok.pk])
    data = form_data(admin_client.get(url))
    index = next(i for i in range(5) if data[f"agencies-{i}-kind"] == AgencyKind.SEKDA)
    data[f"agencies-{index}-name"] = "Setda Kota Solok"
    assert_saved(admin_client.post(url, data))
    [event] = events("agency.renamed")
    assert event.details["new"]["name"] == "Setda Kota Solok"


def test_admin_pages_render(admin_client, official):
    kominfo = official("kota-banjar.kominfo")
    for url in [
        reverse("admin:auth_user_changelist") + "?q=Banjar",
        reverse("admin:auth_user_add"),
        reverse("admin:auth_user_change", args=[kominfo.pk]),
        reverse("admin:permissions_roleassignment_add"),
        reverse("admin:permissions_official_changelist"),
        reverse("admin:agreements_agency_changelist"),
        reverse("admin:agreements_programme_changelist"),
        reverse("admin:agreements_document_changelist"),
        reverse("admin:agreements_decision_changelist"),
        reverse("admin:agreements_promulgation_changelist"),
    ]:
        assert admin_client.get(url).status_code == 200, url
    autocomplete = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "permissions", "model_name": "roleassignment", "field_name": "user", "term": "banjar.kominfo"},
    )
    assert autocomplete.status_code == 200 and "kota-banjar.kominfo" in autocomplete.content.decode()


def test_ending_an_assignment_also_takes_access_from_its_delegates(admin_client, official):
    from permissions.delegation import delegation_create
    from permissions.models import DelegationKind

    kominfo, staf = official("kota-banjar.kominfo"), official("kota-banjar.kominfo.staf")
    banjar, step = region("kota-banjar"), STEP_ROLES["mou"]["review_diskominfo"]
    assignment = RoleAssignment.objects.get(user=kominfo, role=RoleKind.REVIEWER)
    delegation_create(actor=kominfo, assignment=assignment, delegate=staf, kind=DelegationKind.ON_BEHALF,
                      valid_from=TODAY(), valid_until=TODAY() + datetime.timedelta(days=10))
    assert may_act(official("kota-banjar.kominfo.staf"), step, banjar)
    admin_client.post(reverse("admin:permissions_roleassignment_changelist"),
                      {"action": "end_assignments", "_selected_action": [assignment.pk]})
    assert not may_act(official("kota-banjar.kominfo.staf"), step, banjar)


def test_region_agency_and_programme_changes_in_the_admin_are_audited(admin_client):
    from agreements.models import Programme
    from audit.models import AuditEvent

    banjar = region("kota-banjar")
    url = reverse("admin:agreements_region_change", args=[banjar.pk])
    data = form_data(admin_client.get(url))
    data["province"] = "Jawa Barat (ubah)"
    assert_saved(admin_client.post(url, data))
    changed = AuditEvent.objects.get(action="region.changed")
    assert changed.details["old"]["province"] == "Jawa Barat"
    assert changed.details["new"]["province"] == "Jawa Barat (ubah)"

    sekda = agency("kota-banjar", AgencyKind.SEKDA)
    response = admin_client.post(reverse("admin:agreements_agency_delete", args=[sekda.pk]), {"post": "yes"},
                                 follow=True)
    assert "Tidak dapat menghapus" in response.content.decode()  # Django names what still uses it
    assert agency("kota-banjar", AgencyKind.SEKDA).pk == sekda.pk

    response = admin_client.post(reverse("admin:agreements_programme_add"), {"region": banjar.pk, "year": 2025})
    assert_saved(response)
    assert AuditEvent.objects.filter(action="programme.created", region=banjar).exists()
    assert Programme.objects.filter(region=banjar, year=2025).exists()
