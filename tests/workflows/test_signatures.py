"""Signed stage documents, verifiable by anyone: through the site, the public page and the commands."""

import hashlib
import io
import json
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader

from agreements import pki, signatures
from agreements.models import (
    DecisionKind,
    Programme,
    SignatureRecord,
    SigningCredential,
    StoredPdf,
    VerificationCount,
    VerificationOutcome,
)
from agreements.signing import ensure_authority, issue_signer, verify_pdf
from audit.actions import AuditAction
from audit.models import AuditEvent
from demo import driver
from demo.world import COHORT_YEAR
from tests.signing_backends import MEMORY_BACKEND
from tests.signing_backends import token as memory_token
from tests.write_once import write_once_suspended
from workflows.models import Outcome, Stage, StageProcess

from ..conftest import world_kept_for_the_module
from .helpers import claim, decide, open_task, pdf_page_text, pdf_text, shown_sha256, task_url

AUTHORITY_SECRET = "rahasia-operator-uji"  # the operator's secret of the authorities made here (as test_settings)

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"  # finished once for the module (banjar_done_pks)
SOLOK = "kota-solok"  # for the tests that drive a programme of their own


def _banjar_done() -> dict[str, int]:
    banjar = Programme.objects.get(region__slug=BANJAR, year=COHORT_YEAR)
    driver.run_programme(banjar)
    return dict(StageProcess.objects.filter(programme=banjar).values_list("stage", "pk"))


@pytest.fixture(scope="module")
def banjar_done_pks(django_db_setup, django_db_blocker):
    """Kota Banjar's whole programme, signed and closed, once for the module (each test's changes are rolled
    back after it; the tests read its final documents)."""
    with world_kept_for_the_module(django_db_blocker, _banjar_done) as pks:
        yield pks


@pytest.fixture
def mou(banjar_done_pks):
    return StageProcess.objects.get(pk=banjar_done_pks[Stage.MOU])


@pytest.fixture
def programme_done(banjar_done_pks):
    return {stage: StageProcess.objects.get(pk=pk) for stage, pk in banjar_done_pks.items()}


def final_bytes(case) -> bytes:
    with case.final_pdf.file.open("rb") as stored:
        return stored.read()


def read_file(stored) -> bytes:
    with stored.file.open("rb") as handle:
        return handle.read()


def verify_command(tmp_path, content: bytes) -> tuple[int, str]:
    path = tmp_path / "dokumen.pdf"
    path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_artifact", str(path), stdout=out, stderr=err)
    except CommandError as failure:
        return failure.returncode, out.getvalue() + err.getvalue() + str(failure)
    return 0, out.getvalue()


def public_verify(client, content: bytes) -> str:
    upload = SimpleUploadedFile("dokumen.pdf", content, "application/pdf")
    return client.post(reverse("verify"), {"file": upload}).content.decode()


def append_update(content: bytes, change) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def rewrite_first_page(writer):
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (PALSU) Tj ET"))
    writer.update_container(page)


def flip_byte(content: bytes) -> bytes:
    """Flip a byte every signature covers: the middle of the first signature's first signed range.

    A fixed fraction of the file could land in a signature's unsigned /Contents padding, which
    PAdES leaves outside the digest (it did once the documents carried form fields).
    """
    import re

    first_range_length = int(re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", content).group(1))
    middle = first_range_length // 2
    return content[:middle] + bytes([content[middle] ^ 0x01]) + content[middle + 1:]


def test_every_signature_is_valid_trusted_and_recorded_right_after_signing(mou, tmp_path):
    content = final_bytes(mou)
    # Revision 0 rendered, 1 and 2 one signature each, 3 the validation data and the archive timestamp (B-LTA).
    assert mou.final_pdf.is_final and mou.final_pdf.revision == 3
    assert not mou.final_pdf.signature_records.exists()
    signed = StoredPdf.objects.get(document=mou.document, revision=2)
    assert mou.final_pdf.parent_sha256 == signed.sha256 and content.startswith(read_file(signed))
    assert signed.parent_sha256 == StoredPdf.objects.get(document=mou.document, revision=1).sha256
    code, output = verify_command(tmp_path, content)
    assert code == 0, output
    assert "ASLI" in output and output.count("— sah —") == 2
    records = list(signed.signature_records.all()) + list(
        StoredPdf.objects.get(document=mou.document, revision=1).signature_records.all()
    )
    for record in records:
        credential = SigningCredential.objects.get(user=record.signer)
        assert record.certificate_fingerprint == credential.fingerprint_sha256
        assert record.certificate_serial == credential.serial
        assert record.signing_time and record.timestamp_time and record.validation_ok


def test_the_pdf_is_pdfa_with_its_data_embedded_and_hashed_in_every_footer(mou):
    content = final_bytes(mou)
    reader = PdfReader(io.BytesIO(content))
    data = reader.attachments["sepakat-data.json"][0]
    digest = hashlib.sha256(data).hexdigest()
    assert digest == mou.final_pdf.data_sha256
    assert json.loads(data)["document_id"].startswith(mou.document.identifier)
    for page in reader.pages:
        assert digest in "".join(page.extract_text().split())
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp or b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert reader.trailer.get("/Info") is None
    assert content.startswith(b"%PDF-1.7")


def test_visible_stamps_carry_name_post_and_time(mou, official):
    content = final_bytes(mou)
    stamps = " ".join(
        re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), s).decode("latin-1")
        for s in re.findall(rb"/ActualText \((.*?)\)\s*>>", content, flags=re.S)
    )
    for username in (f"{BANJAR}.kdh", "dirjen"):
        person = official(username).official
        assert person.full_name in stamps and person.post in stamps
    assert "WIB" in stamps


@pytest.mark.parametrize(
    "tamper",
    [flip_byte, lambda content: append_update(content, rewrite_first_page)],
    ids=["flipped-byte", "rewritten-page"],
)
def test_tampered_documents_are_reported_invalid_by_command_and_public_page(mou, tmp_path, client, tamper):
    tampered = tamper(final_bytes(mou))
    code, output = verify_command(tmp_path, tampered)
    assert code == 1, output
    assert "TIDAK ASLI" in output
    page = public_verify(client, tampered)
    assert "TIDAK dapat dipastikan asli" in page


def test_an_appended_page_is_reported_invalid(mou, tmp_path):
    def add_page(writer):
        from pyhanko.pdf_utils.writer import PageObject

        contents = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (TAMBAHAN) Tj ET"))
        writer.insert_page(PageObject(contents=contents, media_box=(0, 0, 595, 842)))

    code, output = verify_command(tmp_path, append_update(final_bytes(mou), add_page))
    assert code == 1
    assert "diubah setelah ditandatangani" in output


def test_a_pdf_signed_by_another_authority_is_untrusted(mou, tmp_path):
    from agreements.signing import SignatureRequest, sign_pdf
    from agreements.signing.backends.local import LocalKeyBackend

    stranger = ensure_authority(tmp_path / "lain", secret=AUTHORITY_SECRET, kdf_iterations=1000)
    credential = issue_signer(stranger, ca_secret=AUTHORITY_SECRET, common_name="Pemalsu", organisation="X", unit="X",
                              nip="1", passphrase="p" * 12)
    base = StoredPdf.objects.get(document=mou.document, revision=0)
    with base.file.open("rb") as stored:
        original = stored.read()
    page, box = base.signature_boxes["ttd_sign_region"]
    forged = sign_pdf(
        original, SignatureRequest(field_name="ttd_sign_region", page_index=page, box=tuple(box),
                                   stamp_lines=("Pemalsu",)),
        LocalKeyBackend(stranger).unlock(credential, "p" * 12), trust_roots_pem=[stranger.ca_cert_pem]).content
    code, output = verify_command(tmp_path, forged)
    assert code == 1
    assert "tidak dipercaya" in output


def test_the_public_page_needs_no_login_and_opens_documents_by_their_verification_code(mou, client):
    assert client.get(reverse("verify")).status_code == 200
    page = client.get(reverse("verify_document", args=[mou.document.verification_token])).content.decode()
    assert "Dokumen asli" in page
    for username in (f"{BANJAR}.kdh", "dirjen"):
        person = SigningCredential.objects.get(user__username=username).user.official
        assert person.full_name in page and person.post in page
    # The predictable identifier no longer opens anything (enumeration): same answer as an unknown code.
    assert client.get(reverse("verify_document", args=[mou.document.identifier])).status_code == 404
    assert client.get(reverse("verify_document", args=["MOU-kota-banjar-2024-999999"])).status_code == 404
    assert public_verify(client, final_bytes(mou)).count("Dokumen asli") == 1
    # Anonymous lookups are counted per day, not written to the hash-chained audit log.
    assert not AuditEvent.objects.filter(action__startswith="document.verif").exists()
    assert VerificationCount.objects.filter(document=mou.document, outcome=VerificationOutcome.GENUINE).count() == 2
    assert client.get(reverse("trust_root")).content.startswith(b"-----BEGIN CERTIFICATE-----")


def test_the_qr_code_carries_the_verification_code_not_the_identifier(mou):
    data = json.loads(PdfReader(io.BytesIO(final_bytes(mou))).attachments["sepakat-data.json"][0])
    assert data["verification_url"] == mou.document.verification_url
    assert data["verification_code"] == mou.document.verification_token
    assert mou.document.identifier not in data["verification_url"]


def test_garbage_uploads_are_refused_with_a_message(client):
    response = client.post(reverse("verify"), {"file": SimpleUploadedFile("x.pdf", b"\x89PNG\r\n\x1a\n....")})
    assert response.status_code == 400
    assert "bukan PDF" in response.content.decode()


def test_wrong_passphrase_signs_nothing_says_so_and_locks_after_repeated_failures(as_user, programme, official):
    process = driver.run_programme(programme(SOLOK), stop_stage=Stage.MOU, stop_step="sign_region")[0]
    head = official(f"{SOLOK}.kdh")
    driver.ensure_credential(head)
    client = as_user(f"{SOLOK}.kdh")
    task = open_task(process, "sign_region")
    claim(client, task)
    shown = shown_sha256(client, task)
    for attempt in range(1, 6):
        response = client.post(task_url(task, "execute"), {
            "decision": DecisionKind.SIGNED, "passphrase": "bukan-passphrase-saya", "document_sha256": shown})
        page = response.content.decode()
        assert response.status_code == 200
        if attempt < 5:
            assert f"Passphrase salah. Dokumen tidak ditandatangani. Sisa percobaan: {5 - attempt}." in page
        else:
            assert "Penandatanganan dikunci" in page
    assert not StoredPdf.objects.filter(document=process.document, revision__gt=0).exists()
    assert AuditEvent.objects.filter(action="signing.passphrase_failed", actor=head).count() == 5
    locked = client.post(task_url(task, "execute"), {"decision": DecisionKind.SIGNED, "document_sha256": shown,
                                                     "passphrase": driver.DEMO_SIGNING_PASSPHRASE})
    assert "Penandatanganan dikunci" in locked.content.decode()
    task.refresh_from_db()
    assert task.status == "ASSIGNED"  # still open, nothing recorded


def test_first_use_sets_a_passphrase_with_rules(as_user, official):
    client = as_user(f"{SOLOK}.kdh")
    url = reverse("sepakat:enrol")
    short = client.post(url, {"passphrase": "pendek", "confirmation": "pendek"})
    assert "paling sedikit 10 karakter" in short.content.decode()
    mismatch = client.post(url, {"passphrase": "passphrase-panjang", "confirmation": "passphrase-lain"})
    assert "Konfirmasi passphrase tidak sama." in mismatch.content.decode()
    assert not SigningCredential.objects.filter(user=official(f"{SOLOK}.kdh")).exists()
    ok = client.post(url, {"passphrase": "passphrase-panjang", "confirmation": "passphrase-panjang"})
    assert ok.status_code == 302
    credential = SigningCredential.objects.get(user=official(f"{SOLOK}.kdh"))
    assert "passphrase-panjang" not in credential.encrypted_key_pem
    assert "ENCRYPTED" in credential.encrypted_key_pem


def test_verifying_a_masterplan_reports_the_whole_chain(programme_done, tmp_path):
    masterplan = programme_done[Stage.MASTERPLAN]
    regulation, mou = programme_done[Stage.REGULATION], programme_done[Stage.MOU]
    assert regulation.final_pdf.previous_stage_sha256 == mou.final_pdf.sha256
    assert masterplan.final_pdf.previous_stage_sha256 == regulation.final_pdf.sha256
    code, output = verify_command(tmp_path, final_bytes(masterplan))
    assert code == 0, output
    assert f"rantai: Peraturan Kepala Daerah {regulation.document.identifier} — sah" in output
    assert f"rantai: Nota Kesepakatan {mou.document.identifier} — sah" in output


def test_the_chain_fails_when_a_stages_pdf_is_swapped_for_another_regions(programme_done, programme, tmp_path):
    driver.run_programme(programme("kota-solok"), only_stage=Stage.MOU)
    solok_mou = StageProcess.objects.get(programme=programme("kota-solok"), stage=Stage.MOU)
    banjar_mou = programme_done[Stage.MOU]
    # Someone who holds the database replaces Banjar's stored MoU with Solok's (a validly signed PDF
    # of another region), behind the write-once triggers' back.
    with write_once_suspended():
        StoredPdf.objects.filter(pk=banjar_mou.final_pdf.pk).update(file=solok_mou.final_pdf.file.name)
    code, output = verify_command(tmp_path, final_bytes(programme_done[Stage.REGULATION]))
    assert code == 1
    assert "BERMASALAH" in output


def test_the_document_is_prepared_off_the_request_path(as_user, programme, official,
                                                       django_capture_on_commit_callbacks):
    # Development and production take this path alike; only Celery's eagerness differs.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        process = driver.run_programme(programme(SOLOK), stop_stage=Stage.MOU, stop_step="sign_region")[0]
    assert queued  # the rendering was queued, not done
    assert not StoredPdf.objects.filter(document=process.document).exists()
    client = as_user(f"{SOLOK}.kdh")
    driver.ensure_credential(official(f"{SOLOK}.kdh"))
    task = open_task(process, "sign_region")
    claim(client, task)
    page = client.get(task_url(task, "execute")).content.decode()
    assert "sedang disiapkan" in page
    refused = client.post(task_url(task, "execute"),
                          {"decision": DecisionKind.SIGNED, "passphrase": driver.DEMO_SIGNING_PASSPHRASE})
    assert "sedang disiapkan" in refused.content.decode()

    from workflows.tasks import prepare_signing

    prepare_signing.apply(args=[process.pk])
    assert StoredPdf.objects.filter(document=process.document, revision=0).exists()
    signed = client.post(task_url(task, "execute"), {"decision": DecisionKind.SIGNED, "passphrase":
                                                     driver.DEMO_SIGNING_PASSPHRASE,
                                                     "document_sha256": shown_sha256(client, task)})
    assert signed.status_code == 302
    assert StoredPdf.objects.filter(document=process.document, revision=1).exists()


def test_a_failed_preparation_is_shown_with_a_retry_and_loses_nothing(as_user, programme, monkeypatch,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        process = driver.run_programme(programme(SOLOK), stop_stage=Stage.MOU, stop_step="sign_region")[0]

    def broken(*args, **kwargs):
        raise RuntimeError("font hilang")

    monkeypatch.setattr(signatures, "render_stage_pdf", broken)
    from workflows.tasks import prepare_signing

    prepare_signing.apply(args=[process.pk])  # the embedded default's first failure is its last: it says why
    process.refresh_from_db()
    assert process.preparation_due is None
    assert "font hilang" in process.preparation_error
    client = as_user(f"{SOLOK}.kdh")
    task = open_task(process, "sign_region")
    claim(client, task)
    page = client.get(task_url(task, "execute")).content.decode()
    assert "gagal disiapkan" in page and "Siapkan ulang dokumen" in page

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("sepakat:signing_retry", args=[process.pk]))
    assert response.status_code == 302 and len(queued) == 1
    retried = AuditEvent.objects.filter(process_id=process.pk, action=AuditAction.DOCUMENT_PREPARATION_RETRIED).get()
    assert retried.actor.username == f"{SOLOK}.kdh" and "font hilang" in retried.details["old"]["preparation_error"]
    prepare_signing.apply(args=[process.pk])  # what the worker does with the queued task
    process.refresh_from_db()
    assert process.preparation_error == ""
    assert StoredPdf.objects.filter(document=process.document, revision=0).exists()
    assert process.outcome == Outcome.OPEN and driver.open_tasks(process).exists()


def test_the_page_text_of_a_signed_pdf_still_reads(mou):
    assert "LEMBAR PERSETUJUAN" in pdf_text(final_bytes(mou))


def test_a_signature_that_fails_verification_records_nothing_but_the_failure(as_user, programme, official,
                                                                            monkeypatch):
    from agreements.signing.verify import VerificationReport

    process = driver.run_programme(programme(SOLOK), stop_stage=Stage.MOU, stop_step="sign_region")[0]
    driver.ensure_credential(official(f"{SOLOK}.kdh"))
    # sign_pdf verifies what every backend signed, before document_sign sees it.
    monkeypatch.setattr("agreements.signing.signer.verify_pdf",
                        lambda *a, **k: VerificationReport(signatures=(), problems=("uji: rusak",)))
    client = as_user(f"{SOLOK}.kdh")
    task = open_task(process, "sign_region")
    claim(client, task)
    response = client.post(task_url(task, "execute"), {"decision": DecisionKind.SIGNED, "passphrase":
                                                       driver.DEMO_SIGNING_PASSPHRASE,
                                                       "document_sha256": shown_sha256(client, task)})
    assert response.status_code == 200
    assert "gagal diverifikasi" in response.content.decode() and "uji: rusak" in response.content.decode()
    assert not StoredPdf.objects.filter(document=process.document, revision__gt=0).exists()
    assert not process.document.versions.get().decisions.filter(step="sign_region").exists()
    assert AuditEvent.objects.filter(action="document.signing_failed", task_id=task.pk).count() == 1
    task.refresh_from_db()
    assert task.status == "ASSIGNED"


def test_the_services_sign_through_whichever_backend_settings_name(programme, official):
    """The seam, end to end: with the test-only token backend the MoU is signed, verified and recorded by
    the same services, and a wrong PIN is counted by the same lockout rules; nothing of the local CA is used."""
    token_name = "workflows-mou"
    memory = {**settings.SIGNING, "BACKEND": MEMORY_BACKEND, "TOKEN": token_name}
    signers = {}
    for username in (f"{SOLOK}.kdh", "dirjen"):
        user = official(username)
        issued = memory_token(token_name).enrol(
            common_name=user.official.full_name, organisation="Token Uji", unit=user.official.post,
            nip=user.official.nip or username, passphrase=driver.DEMO_SIGNING_PASSPHRASE)
        signers[username], _created = SigningCredential.objects.update_or_create(  # dirjen signed Banjar's MoU
            user=user, defaults={"cert_pem": issued.cert_pem.decode(), "encrypted_key_pem": "",
                                 "serial": str(issued.serial), "fingerprint_sha256": issued.fingerprint_sha256,
                                 "not_after": issued.not_after, "failed_attempts": 0, "revoked_at": None})

    with override_settings(SIGNING=memory):
        with pytest.raises(signatures.SigningRefused) as refused:
            signatures.unlock_signer(user=official("dirjen"), passphrase="bukan-pin-saya")
        left = settings.SIGNING["MAX_FAILED_ATTEMPTS"] - 1
        assert str(refused.value) == str(signatures.WRONG_PASSPHRASE % {"left": left})
        assert SigningCredential.objects.get(user__username="dirjen").failed_attempts == 1

        driver.run_programme(programme(SOLOK), only_stage=Stage.MOU)
        mou = StageProcess.objects.get(programme=programme(SOLOK), stage=Stage.MOU)
        content = final_bytes(mou)
        # The backend's roots, and the CA Sepakat recorded making: documents signed before a switch still verify.
        assert signatures.trust_roots() == [memory_token(token_name).ca_cert_pem, *pki.recorded_ca_certificates()]
        report = verify_pdf(content, trust_roots_pem=signatures.trust_roots(),
                            expected_fingerprints=[c.fingerprint_sha256 for c in signers.values()])
        assert report.valid, report.all_problems
        assert SigningCredential.objects.get(user__username="dirjen").failed_attempts == 0  # reset by the signature

    records = {r.signer.username: r for r in SignatureRecord.objects.filter(pdf__document=mou.document)}
    assert {u: r.certificate_fingerprint for u, r in records.items()} == {
        u: c.fingerprint_sha256 for u, c in signers.items()}
    assert all(r.validation_ok and r.timestamp_time for r in records.values())
    assert not verify_pdf(content, trust_roots_pem=[signatures.authority().ca_cert_pem]).valid  # not the local CA's


def _download(response) -> bytes:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def test_each_signer_reads_the_exact_file_they_sign_with_the_signatures_so_far(as_user, programme, official):
    process = driver.run_programme(programme(SOLOK), stop_stage=Stage.MOU, stop_step="sign_region")[0]
    downloads = []
    for step, username in (("sign_region", f"{SOLOK}.kdh"), ("sign_ministry", "dirjen")):
        client = as_user(username)
        task = open_task(process, step)
        claim(client, task)
        page = client.get(task_url(task, "execute")).content.decode()
        link = reverse("sepakat:signing_pdf", args=[process.pk])
        assert f'href="{link}"' in page
        assert "Unduh PDF (draf)" not in page  # the signer is not offered the unsigned draft
        content = _download(client.get(link))
        shown = re.search(r'<code class="sp-hash">([0-9a-f]{64})</code>', page).group(1)
        assert hashlib.sha256(content).hexdigest() == shown
        assert AuditEvent.objects.filter(action=AuditAction.DOCUMENT_DOWNLOADED, actor=official(username),
                                         details__sha256=shown).exists()
        downloads.append(content)
        assert decide(client, task, DecisionKind.SIGNED).status_code == 302
    process.refresh_from_db()
    signed_once, final = downloads[1], final_bytes(process)
    # What each signer read is exactly what their signature was appended to.
    assert signed_once.startswith(downloads[0]) and final.startswith(signed_once)
    fields = PdfReader(io.BytesIO(signed_once)).get_fields()
    assert "/V" in fields["ttd_sign_region"]  # the ministry reads the regional head's signature already made


def test_the_signing_file_is_scoped_like_the_case(as_user, programme):
    process = driver.run_programme(programme(SOLOK), stop_stage=Stage.MOU, stop_step="sign_region")[0]
    link = reverse("sepakat:signing_pdf", args=[process.pk])
    assert as_user(f"{BANJAR}.kdh").get(link).status_code == 404
    assert as_user(f"{SOLOK}.kominfo").get(link).status_code == 200


HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


def test_the_verification_page_shows_every_value_printed_on_the_paper_copy_and_what_it_came_from(
        programme_done, client):
    regulation = programme_done[Stage.REGULATION]
    content = final_bytes(regulation)
    printed_on_paper = set(HEX64.findall(pdf_page_text(content)))
    code = regulation.document.verification_token
    assert code in pdf_page_text(content)
    page = client.get(reverse("verify_document", args=[code])).content.decode()
    table = page.split("Nilai yang tercetak pada dokumen", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>(.*?)</tr>", table, re.S)
    # The data hash, the previous stage's hash and each paraf file's hash are all printed, all shown, all matching.
    assert printed_on_paper and printed_on_paper <= set(HEX64.findall(table))
    assert code in table
    assert rows and all("Tidak cocok" not in row and "Cocok" in row for row in rows)
    assert "sepakat-data.json" in table
    assert f"berkas PDF final Nota Kesepakatan {programme_done[Stage.MOU].document.identifier}" in table
    assert "yang diparaf, disimpan Sepakat" in table
    # Swap the previous stage's file behind the database's back: that row no longer matches.
    mou = programme_done[Stage.MOU]
    other = StoredPdf.objects.get(document=mou.document, revision=0)
    with write_once_suspended():
        StoredPdf.objects.filter(pk=mou.final_pdf.pk).update(file=other.file.name)
    page = client.get(reverse("verify_document", args=[code])).content.decode()
    table = page.split("Nilai yang tercetak pada dokumen", 1)[1].split("</table>", 1)[0]
    assert table.count("Tidak cocok") == 1 and "Dokumen TIDAK dapat dipastikan asli" in page


def test_a_genuine_document_stays_genuine_after_its_signers_certificates_expire(mou, tmp_path):
    content = final_bytes(mou)
    not_after = max(SigningCredential.objects.filter(user__in=[r.signer for r in SignatureRecord.objects.filter(
        pdf__document=mou.document)]).values_list("not_after", flat=True))
    assert not_after.year <= 2028  # 730 days
    path = tmp_path / "mou.pdf"
    path.write_bytes(content)
    out = io.StringIO()
    call_command("verify_artifact", str(path), "--at", "2029-06-01", stdout=out, stderr=io.StringIO())
    assert "Diperiksa per 01-06-2029" in out.getvalue() and "ASLI" in out.getvalue()
    assert out.getvalue().count("dinilai pada waktu cap waktunya") == 2
    # In 2037 the CA's and the TSA's certificates have expired as well: the archive timestamp of the close
    # has lapsed with them, and without a renewal (tests/workflows/test_archive.py) nothing vouches any more.
    code, output = 0, ""
    try:
        call_command("verify_artifact", str(path), "--at", "2037-01-01", stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as failure:
        code, output = failure.returncode, str(failure)
    assert code == 1 and "TIDAK ASLI" in output
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("verify_artifact", str(path), "--at", "kemarin", stdout=io.StringIO())
