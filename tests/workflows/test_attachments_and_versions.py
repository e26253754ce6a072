"""Supporting files on versions, and comparing versions side by side."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.models import Attachment, DecisionKind
from demo import driver
from workflows import services
from workflows.models import Stage, StageProcess

from .helpers import claim, decide, draft_form, open_task, pdf_bytes, task_url

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"


@pytest.fixture
def case(programme):
    process = services.first_case_open(programme=programme(BANJAR))
    driver.act(open_task(process, "draft"))
    return process


def upload(client, case, content, name="kajian.pdf", version=1):
    return client.post(
        reverse("sepakat:attachment_upload", args=[case.pk]),
        {"version": version, "file": SimpleUploadedFile(name, content, "application/pdf")},
        follow=True,
    )


def test_a_participant_uploads_a_pdf_that_anyone_in_scope_can_download(as_user, case):
    client = as_user(f"{BANJAR}.kominfo")
    page = upload(client, case, pdf_bytes(), name="Kajian Teknis (final).pdf").content.decode()
    assert "Kajian Teknis (final).pdf" in page
    attachment = Attachment.objects.get()
    assert attachment.version.number == 1 and attachment.uploaded_by.username == f"{BANJAR}.kominfo"
    for username in (f"{BANJAR}.bappeda", "laip.direktur", "auditor"):
        response = as_user(username).get(reverse("sepakat:attachment", args=[case.pk, attachment.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf_bytes()
        assert "Kajian Teknis (final).pdf" in response["Content-Disposition"]
    other = as_user("kota-solok.kominfo")
    assert other.get(reverse("sepakat:attachment", args=[case.pk, attachment.pk])).status_code == 404
    assert upload(other, case, pdf_bytes()).status_code == 404


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"MZ\x90\x00" + b"\x00" * 100, "bukan PDF"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "bukan PDF"),
        (b"", "kosong"),
        (b"%PDF-1.7\n" + b"\x00" * (20 * 1024 * 1024), "terlalu besar"),
    ],
)
def test_bad_files_are_refused_with_a_reason(as_user, case, content, expected):
    page = upload(as_user(f"{BANJAR}.kominfo"), case, content).content.decode()
    assert expected in page
    assert not Attachment.objects.exists()


def test_auditors_and_bystanders_cannot_upload(as_user, case):
    assert upload(as_user("auditor"), case, pdf_bytes()).status_code == 403
    assert not Attachment.objects.exists()


def test_two_versions_side_by_side_with_changes_and_notes(as_user, case):
    reviewer = as_user(f"{BANJAR}.kominfo")
    task = open_task(case, "review_diskominfo")
    claim(reviewer, task)
    reviewer.post(task_url(task, "execute"), {"decision": DecisionKind.RETURNED, "note": "Pasal 1 <kurang> jelas."})
    driver.act(open_task(case, "review_legal"))
    drafter = as_user("laip.staf")
    redo = open_task(case, "draft")
    claim(drafter, redo)
    drafter.post(task_url(redo, "execute"), draft_form(
        title="Sinergi Program Gerakan Menuju Kota Cerdas di Kota Banjar",
        articles=[("Maksud dan Tujuan", "Isi pasal yang sudah diperjelas."), ("Penutup", "Isi penutup.")],
    ))
    page = reviewer.get(reverse("sepakat:compare", args=[case.pk]) + "?dari=1&ke=2").content.decode()
    assert "Versi 1" in page and "Versi 2" in page
    assert '<ins class="diff-ins">' in page and '<del class="diff-del">' in page
    assert "diperjelas" in page
    assert "Pasal 1 &lt;kurang&gt; jelas." in page  # the note on version 1, escaped
    assert reviewer.get(reverse("sepakat:compare", args=[case.pk]) + "?dari=1&ke=9").status_code == 404
    assert as_user("kota-solok.kominfo").get(reverse("sepakat:compare", args=[case.pk])).status_code == 404


def test_closing_task_submitted_twice_chains_into_the_next_stage_once(as_user, programme):
    process = services.first_case_open(programme=programme(BANJAR))
    driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="sign_ministry")
    client = as_user("dirjen")
    task = open_task(process, "sign_ministry")
    claim(client, task)
    first = decide(client, task, DecisionKind.SIGNED)
    second = decide(client, task, DecisionKind.SIGNED)
    assert first.status_code == 302 and second.status_code == 302
    assert StageProcess.objects.filter(programme=programme(BANJAR), stage=Stage.REGULATION).count() == 1
