"""The MoU stage end to end, through the site, as the seeded officials."""

import pytest
from django.urls import reverse

from agreements.models import Decision, DecisionKind, SignatureRecord
from agreements.signatures import trust_roots
from agreements.signing import verify_pdf
from workflows import messages
from workflows.models import Outcome, StageProcess

from .helpers import act, case_url, claim, decide, draft_form, open_task, pdf_page_text, pdf_text, task_url

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"


def start_case(as_user, programme, region=BANJAR):
    client = as_user("laip.staf")
    response = client.post(reverse("sepakat:case_open", args=[region, 2024, "mou"]))
    assert response.status_code == 302
    return StageProcess.objects.get(programme=programme(region), outcome=Outcome.OPEN)


def submit_draft(as_user, process, **form):
    client = as_user("laip.staf")
    task = open_task(process, "draft")
    assert claim(client, task).status_code == 302
    assert client.get(task_url(task, "execute")).status_code == 200
    response = client.post(task_url(task, "execute"), draft_form(**form))
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def approve_reviews(as_user, process, region=BANJAR):
    act(as_user, f"{region}.kominfo", process, "review_diskominfo", DecisionKind.APPROVED)
    act(as_user, f"{region}.hukum", process, "review_legal", DecisionKind.APPROVED)


def test_happy_path_ends_with_final_pdf_naming_every_approver(as_user, programme, official):
    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    approve_reviews(as_user, process)
    act(as_user, "laip.direktur", process, "paraf_laip", DecisionKind.INITIALLED)
    act(as_user, f"{BANJAR}.sekda", process, "paraf_sekda", DecisionKind.INITIALLED)
    act(as_user, f"{BANJAR}.kdh", process, "sign_region", DecisionKind.SIGNED)
    act(as_user, "dirjen", process, "sign_ministry", DecisionKind.SIGNED)

    process.refresh_from_db()
    assert process.outcome == Outcome.COMPLETED
    assert process.finished is not None
    assert len(process.final_pdf.sha256) == 64

    client = as_user(f"{BANJAR}.kominfo")
    response = client.get(reverse("sepakat:final_pdf", args=[process.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    import hashlib

    assert hashlib.sha256(content).hexdigest() == process.final_pdf.sha256
    text = " ".join(pdf_text(content).split())
    decisions = Decision.objects.filter(process=process)
    for decision in decisions.exclude(kind=DecisionKind.SIGNED):  # decided before the document was rendered
        assert decision.actor_name.split(",")[0] in text
    for label in ("Diajukan", "Disetujui", "Diparaf", "LEMBAR PERSETUJUAN", "Nomor PIHAK KESATU", "Nomor PIHAK KEDUA"):
        assert label in text
    page_text = pdf_page_text(content)  # the blanks the signers filled, as pdftotext reads them
    for decision in decisions.filter(kind=DecisionKind.SIGNED):
        assert decision.actor_name in page_text
    assert "Ditandatangani di Jakarta pada tanggal" in page_text and "……" not in page_text
    assert "DRAF" not in text
    # The signers are in the PDF as PAdES signatures, each verified and recorded.
    report = verify_pdf(content, trust_roots_pem=trust_roots())
    assert report.valid
    signers = [s.signer_name for s in report.signatures]
    assert signers == [official(f"{BANJAR}.kdh").official.full_name, official("dirjen").official.full_name]
    assert all(s.timestamp_time is not None for s in report.signatures)
    records = SignatureRecord.objects.filter(pdf__document=process.document).order_by("pdf__revision")
    assert [r.step for r in records] == ["sign_region", "sign_ministry"] and all(r.validation_ok for r in records)

    page = client.get(case_url(process)).content.decode()
    assert "Selesai" in page and process.final_pdf.sha256 in page


def test_one_return_sends_the_draft_back_with_every_note_and_a_new_version(as_user, programme):
    process = start_case(as_user, programme)
    submit_draft(as_user, process, title="Versi pertama")
    act(as_user, f"{BANJAR}.kominfo", process, "review_diskominfo", DecisionKind.RETURNED, "Pasal 2 kurang rinci.")
    # The other reviewer still acts; the join waits for both.
    assert open_task(process, "review_legal")
    act(as_user, f"{BANJAR}.hukum", process, "review_legal", DecisionKind.APPROVED, "Sudah sesuai.")

    redo = open_task(process, "draft")
    client = as_user("laip.staf")
    claim(client, redo)
    page = client.get(task_url(redo, "execute")).content.decode()
    assert "Pasal 2 kurang rinci." in page and "Sudah sesuai." in page
    assert 'value="Versi pertama"' in page  # the form starts from the latest version

    client.post(task_url(redo, "execute"), draft_form(title="Versi kedua"))
    versions = list(process.document.versions.order_by("number").values_list("number", "title"))
    assert versions == [(1, "Versi pertama"), (2, "Versi kedua")]
    notes = Decision.objects.filter(process=process, kind=DecisionKind.RETURNED)
    assert [(n.version.number, n.note) for n in notes] == [(1, "Pasal 2 kurang rinci.")]
    # A new round of review on version 2.
    assert open_task(process, "review_diskominfo") and open_task(process, "review_legal")


def test_return_at_paraf_goes_back_to_drafting(as_user, programme):
    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    approve_reviews(as_user, process)
    act(as_user, "laip.direktur", process, "paraf_laip", DecisionKind.RETURNED, "Perbaiki nomor.")
    assert open_task(process, "draft")


def test_reject_at_signature_ends_the_stage_with_the_reason(as_user, programme):
    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    approve_reviews(as_user, process)
    act(as_user, "laip.direktur", process, "paraf_laip", DecisionKind.INITIALLED)
    act(as_user, f"{BANJAR}.sekda", process, "paraf_sekda", DecisionKind.INITIALLED)
    act(as_user, f"{BANJAR}.kdh", process, "sign_region", DecisionKind.REJECTED, "Belum ada persetujuan DPRD.")

    process.refresh_from_db()
    assert process.outcome == Outcome.REJECTED
    assert process.finished is not None
    assert process.final_pdf is None
    page = as_user(f"{BANJAR}.kominfo").get(case_url(process)).content.decode()
    assert "Ditolak" in page and "Belum ada persetujuan DPRD." in page


def test_reject_needs_a_reason(as_user, programme):
    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    approve_reviews(as_user, process)
    act(as_user, "laip.direktur", process, "paraf_laip", DecisionKind.INITIALLED)
    act(as_user, f"{BANJAR}.sekda", process, "paraf_sekda", DecisionKind.INITIALLED)
    client = as_user(f"{BANJAR}.kdh")
    task = open_task(process, "sign_region")
    claim(client, task)
    response = decide(client, task, DecisionKind.REJECTED, "   ")
    assert response.status_code == 200
    assert str(messages.NOTE_REQUIRED) in response.content.decode()
    assert not Decision.objects.filter(process=process, step="sign_region").exists()


def test_a_decision_not_offered_at_the_step_is_refused(as_user, programme):
    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    client = as_user(f"{BANJAR}.kominfo")
    task = open_task(process, "review_diskominfo")
    claim(client, task)
    response = decide(client, task, DecisionKind.SIGNED)
    assert response.status_code == 200
    assert not Decision.objects.filter(process=process, step="review_diskominfo").exists()


def test_double_submit_gives_one_result(as_user, programme):
    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    client = as_user(f"{BANJAR}.kominfo")
    task = open_task(process, "review_diskominfo")
    claim(client, task)
    first = decide(client, task, DecisionKind.APPROVED)
    second = decide(client, task, DecisionKind.APPROVED)
    assert first.status_code == 302
    assert second.status_code == 302 and second.url == case_url(process)
    followed = client.get(second.url)
    assert str(messages.TASK_ALREADY_DONE) in followed.content.decode()
    assert Decision.objects.filter(process=process, step="review_diskominfo").count() == 1


def test_opening_a_case_twice_is_refused(as_user, programme):
    start_case(as_user, programme)
    client = as_user("laip.staf")
    response = client.post(reverse("sepakat:case_open", args=[BANJAR, 2024, "mou"]), follow=True)
    assert str(messages.CASE_ALREADY_OPEN) in response.content.decode()
    assert StageProcess.objects.filter(programme=programme(BANJAR)).count() == 1


def test_only_the_drafting_role_opens_a_case(as_user, programme):
    client = as_user(f"{BANJAR}.kominfo")
    response = client.post(reverse("sepakat:case_open", args=[BANJAR, 2024, "mou"]))
    assert response.status_code == 403
    assert not StageProcess.objects.filter(programme=programme(BANJAR)).exists()
