"""Delegation, reassignment, auditors and the validation of roles, through the site."""

import datetime
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agency, Decision, DecisionKind
from agreements.signatures import latest_revision
from audit.models import AuditEvent
from demo import driver
from permissions.delegation import delegation_create
from permissions.models import Delegation, RoleAssignment
from permissions.roles import AgencyKind, RoleKind
from permissions.selectors import user_holds_step_role
from permissions.steps import STEP_ROLES
from workflows.models import Stage
from workflows.nodes import Step

from ..workflows.helpers import claim, decide, open_task, task_url

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"
TODAY = timezone.localdate()


def assignment_of(official, username, role):
    return RoleAssignment.objects.get(user=official(username), role=role)


def delegate_form(assignment, delegate, kind="an", start=TODAY, end=TODAY + datetime.timedelta(days=7)):
    return {"assignment": assignment.pk, "delegate": delegate.username, "kind": kind, "valid_from": start.isoformat(),
            "valid_until": end.isoformat(), "reason": "Dinas luar"}


def test_the_sekda_signs_on_behalf_of_the_mayor_during_the_delegation(as_user, official, programme):
    mayor = official(f"{BANJAR}.kdh")
    sekda = official(f"{BANJAR}.sekda")
    client = as_user(f"{BANJAR}.kdh")
    response = client.post(reverse("sepakat:delegations"),
                           delegate_form(assignment_of(official, f"{BANJAR}.kdh", RoleKind.SIGNER), sekda))
    assert response.status_code == 302
    process = driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="sign_region")[0]
    task = open_task(process, "sign_region")
    sekda_client = as_user(f"{BANJAR}.sekda")
    assert "1.4 Tanda tangan Kepala Daerah" in sekda_client.get(reverse("workflow:queue")).content.decode()
    assert claim(sekda_client, task).status_code == 302
    assert decide(sekda_client, task, DecisionKind.SIGNED).status_code == 302

    decision = Decision.objects.get(process=process, step="sign_region")
    assert decision.actor_name == sekda.official.full_name
    assert f"a.n. {mayor.official.post} ({mayor.official.full_name})" in decision.actor_post
    page = as_user(f"{BANJAR}.kominfo").get(reverse("sepakat:case_detail", args=[process.pk])).content.decode()
    assert f"a.n. {mayor.official.post}" in page and sekda.official.full_name in page
    # In the document: the block's "a.n." line and the Sekda's printed name; the stamp names both people.
    signed = latest_revision(process.document.latest_version())
    text = " ".join(subprocess.run(["pdftotext", signed.file.path, "-"], capture_output=True, check=True)
                    .stdout.decode().split())
    assert f"a.n. {mayor.official.post}, {sekda.official.post}" in text
    assert sekda.official.full_name in text and f"NIP. {sekda.official.nip}" in text
    assert mayor.official.full_name in text  # in the stamp: "a.n. <post> (<the mayor's name>)"
    assert AuditEvent.objects.filter(action="role.delegated", actor=mayor).exists()


def test_a_delegation_outside_its_dates_gives_nothing(official, programme):
    mayor_role = assignment_of(official, f"{BANJAR}.kdh", RoleKind.SIGNER)
    sekda = official(f"{BANJAR}.sekda")
    step = Step.__new__(Step)  # only its role matters here

    region = programme(BANJAR).region
    later = delegation_create(actor=official(f"{BANJAR}.kdh"), assignment=mayor_role, delegate=sekda, kind="plt",
                              valid_from=TODAY + datetime.timedelta(days=3),
                              valid_until=TODAY + datetime.timedelta(days=9))
    assert not user_holds_step_role(sekda, STEP_ROLES["mou"]["sign_region"], region)
    Delegation.objects.filter(pk=later.pk).update(valid_from=TODAY - datetime.timedelta(days=9),
                                                  valid_until=TODAY - datetime.timedelta(days=1))
    assert not user_holds_step_role(sekda, STEP_ROLES["mou"]["sign_region"], region)
    Delegation.objects.filter(pk=later.pk).update(valid_until=TODAY)
    assert user_holds_step_role(sekda, STEP_ROLES["mou"]["sign_region"], region)
    del step


@pytest.mark.parametrize(
    ("delegate", "start", "end", "message"),
    [
        (f"{BANJAR}.kdh", 0, 5, "kepada diri sendiri"),
        ("kota-solok.sekda", 0, 5, "tidak bertugas di Kota Banjar"),
        (f"{BANJAR}.sekda", 5, 1, "Tanggal berakhir lebih awal"),
    ],
)
def test_bad_delegations_are_refused_with_a_message_that_names_the_problem(as_user, official, delegate, start, end,
                                                                           message):
    client = as_user(f"{BANJAR}.kdh")
    form = delegate_form(assignment_of(official, f"{BANJAR}.kdh", RoleKind.SIGNER), official(delegate),
                         start=TODAY + datetime.timedelta(days=start), end=TODAY + datetime.timedelta(days=end))
    response = client.post(reverse("sepakat:delegations"), form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Delegation.objects.exists()


def test_overlapping_delegations_are_refused(official):
    mayor_role = assignment_of(official, f"{BANJAR}.kdh", RoleKind.SIGNER)
    kwargs = {"actor": official(f"{BANJAR}.kdh"), "assignment": mayor_role, "kind": "an"}
    delegation_create(delegate=official(f"{BANJAR}.sekda"), valid_from=TODAY,
                      valid_until=TODAY + datetime.timedelta(days=5), **kwargs)
    with pytest.raises(ValidationError, match="sudah didelegasikan"):
        delegation_create(delegate=official(f"{BANJAR}.kominfo"), valid_from=TODAY + datetime.timedelta(days=3),
                          valid_until=TODAY + datetime.timedelta(days=8), **kwargs)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"valid_from": TODAY, "valid_until": TODAY - datetime.timedelta(days=1)}, "Tanggal berakhir lebih awal"),
        ({"role": RoleKind.SIGNER, "agency_kind": AgencyKind.BAPPEDA}, "tidak dijalankan oleh"),
        ({"role": RoleKind.REVIEWER}, "tumpang tindih"),
    ],
)
def test_bad_assignments_are_refused_with_a_message_that_names_the_problem(official, change, message):
    bappeda = official(f"{BANJAR}.bappeda")
    agency = Agency.objects.get(region__slug=BANJAR, kind=change.pop("agency_kind", AgencyKind.BAPPEDA))
    assignment = RoleAssignment(user=bappeda, agency=agency, role=change.pop("role", RoleKind.REVIEWER),
                                valid_from=change.pop("valid_from", TODAY), valid_until=change.pop("valid_until", None))
    with pytest.raises(ValidationError, match=message):
        assignment.full_clean()


def test_a_central_agency_cannot_hold_a_region(official):
    laip = Agency.objects.get(region__isnull=True, kind=AgencyKind.LAIP)
    laip.region = Agency.objects.get(region__slug=BANJAR, kind=AgencyKind.SEKDA).region
    assignment = RoleAssignment(user=official("laip.staf"), agency=laip, role=RoleKind.DRAFTER, valid_from=TODAY)
    with pytest.raises(ValidationError, match="instansi pusat"):
        assignment.full_clean()


def test_the_agency_head_reassigns_a_claimed_task_with_a_reason(as_user, official, programme):
    process = driver.run_programme(programme(BANJAR), stop_stage=Stage.REGULATION, stop_step="draft")[-1]
    task = open_task(process, "draft")
    staff = official(f"{BANJAR}.kominfo.staf")
    driver.claim(task, staff)
    # a second drafter in the same agency
    other = official(f"{BANJAR}.kominfo")
    RoleAssignment.objects.create(user=other, agency=Agency.objects.get(region__slug=BANJAR,
                                                                        kind=AgencyKind.DISKOMINFO),
                                  role=RoleKind.DRAFTER, valid_from=TODAY)
    url = reverse("sepakat:reassign", args=[process.pk, task.pk])
    assert as_user(f"{BANJAR}.kominfo.staf").get(url).status_code == 403  # not the head
    head = as_user(f"{BANJAR}.kominfo")
    refused = head.post(url, {"to": other.pk, "reason": ""})
    assert refused.status_code == 200
    response = head.post(url, {"to": other.pk, "reason": "Staf cuti"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner == other
    page = head.get(reverse("sepakat:case_detail", args=[process.pk])).content.decode()
    assert f"{staff.username} → {other.username}: Staf cuti" in page
    assert AuditEvent.objects.filter(action="task.reassigned", actor=other).count() == 1


@pytest.mark.slow  # posts to every step of every flow
def test_an_auditor_cannot_post_to_any_step(as_user, programme):
    driver.run_programme(programme(BANJAR))
    client = as_user("auditor")
    for process in driver.StageProcess.objects.filter(programme=programme(BANJAR)):
        for task in process.task_set.filter(flow_task_type="HUMAN"):
            for action in ("assign", "execute"):
                assert client.post(task_url(task, action) if action == "execute"
                                   else task.flow_task.reverse("assign", args=[process.pk, task.pk]),
                                   {"decision": DecisionKind.APPROVED}).status_code in (302, 403), (task, action)
    # 302 only ever means "already finished, see the case": nothing was recorded by the auditor
    assert not Decision.objects.filter(actor__username="auditor").exists()
    assert client.get("/admin/").status_code == 302  # no admin either


def test_a_regional_auditor_reads_only_their_region_and_acts_on_nothing(as_user, programme):
    driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="review_diskominfo")
    driver.run_programme(programme("kota-solok"), stop_stage=Stage.MOU, stop_step="review_diskominfo")
    banjar = driver.StageProcess.objects.get(programme=programme(BANJAR))
    solok = driver.StageProcess.objects.get(programme=programme("kota-solok"))
    client = as_user(f"{BANJAR}.auditor")
    assert client.get(reverse("sepakat:case_detail", args=[banjar.pk])).status_code == 200
    assert client.get(reverse("sepakat:case_detail", args=[solok.pk])).status_code == 404
    task = open_task(banjar, "review_diskominfo")
    assert claim(client, task).status_code == 403
    assert "Solok" not in client.get(reverse("sepakat:index")).content.decode()


def test_an_administrator_delegates_for_an_official_in_the_admin(client, official, django_user_model, programme):

    admin_user = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin_user)
    mayor_role = assignment_of(official, f"{BANJAR}.kdh", RoleKind.SIGNER)
    sekda = official(f"{BANJAR}.sekda")
    form = {"assignment": mayor_role.pk, "delegate": sekda.pk, "kind": "plt", "valid_from": TODAY.isoformat(),
            "valid_until": (TODAY + datetime.timedelta(days=3)).isoformat(), "reason": "Cuti"}
    assert client.post(reverse("admin:permissions_delegation_add"), form).status_code == 302
    assert user_holds_step_role(sekda, STEP_ROLES["mou"]["sign_region"], programme(BANJAR).region)
    assert sekda.has_perm(STEP_ROLES["mou"]["sign_region"].permission, programme(BANJAR).region)
    refused = client.post(reverse("admin:permissions_delegation_add"), {**form, "delegate": mayor_role.user_id})
    assert refused.status_code == 200 and "kepada diri sendiri" in refused.content.decode()


def test_the_delegation_page_suggests_colleagues_not_every_official_and_takes_a_nip(as_user, official):
    """Issue 15: the page listed every official in the country (1.2 MB at national scale)."""
    client = as_user("kota-banjar.kdh")
    page = client.get(reverse("sepakat:delegations")).content.decode()
    assert 'list="sp-delegate-suggestions"' in page and "kota-banjar.sekda" in page
    assert "kota-solok" not in page  # officials of other regions are not suggested (they can still be named)
    sekda = official("kota-banjar.sekda")
    sekda.official.nip = "197001011990031001"
    sekda.official.save()
    mayor_role = assignment_of(official, "kota-banjar.kdh", RoleKind.SIGNER)
    response = client.post(reverse("sepakat:delegations"),
                           {**delegate_form(mayor_role, sekda), "delegate": " 197001011990031001 "})
    assert response.status_code == 302 and Delegation.objects.get(assignment=mayor_role).delegate == sekda
    unknown = client.post(reverse("sepakat:delegations"), {**delegate_form(mayor_role, sekda), "delegate": "tidak-ada"})
    assert "Tidak ada pejabat dengan nama pengguna atau NIP itu." in unknown.content.decode()
