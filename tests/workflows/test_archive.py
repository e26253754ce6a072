"""PAdES B-LTA: every final document carries its validation data and an archive timestamp, and stays
genuine after every certificate in it has expired, as long as archive_renew keeps it ahead."""

import hashlib
import io
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from io import BytesIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader

from agreements import archival, pki, revocation
from agreements.checkpoints import checkpoint_problem
from agreements.models import StoredPdf
from agreements.signing import has_revocation_addresses
from agreements.verification import verify_content
from audit.actions import AuditAction
from audit.models import AuditEvent, Checkpoint
from audit.services import CHECKPOINT_LAPSED
from auditing import bundle as audit_bundle
from auditing import bundle_verify
from demo import driver
from workflows import archiving
from workflows.models import Stage, StageProcess

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"


@pytest.fixture
def mou(programme):
    driver.run_programme(programme(BANJAR), only_stage=Stage.MOU)
    return StageProcess.objects.get(programme=programme(BANJAR), stage=Stage.MOU)


def read(stored) -> bytes:
    with stored.file.open("rb") as handle:
        return handle.read()


def verify_at(tmp_path, content: bytes, at: str = "") -> tuple[int, str]:
    path = tmp_path / "dokumen.pdf"
    path.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_artifact", str(path), *(["--at", at] if at else []), stdout=out, stderr=err)
    except CommandError as failure:
        return failure.returncode, out.getvalue() + err.getvalue() + str(failure)
    return 0, out.getvalue()


@pytest.fixture
def own_authority(settings, tmp_path):
    """A copy of the test authority this test may roll over (the session's stays as it was)."""
    directory = tmp_path / "pki"
    shutil.copytree(settings.SIGNING["AUTHORITY_DIR"], directory)
    settings.SIGNING = {**settings.SIGNING, "AUTHORITY_DIR": directory}
    pki._authority_cache_clear()
    yield directory
    pki._authority_cache_clear()


def test_the_final_document_carries_its_validation_data_and_an_archive_timestamp(mou):
    content = read(mou.final_pdf)
    reader = PdfFileReader(BytesIO(content))
    dss = reader.root["/DSS"]
    assert len(dss["/Certs"]) >= 4 and len(dss["/CRLs"]) >= 1 and len(dss["/OCSPs"]) >= 3  # 2 signers, the TSA
    [stamp] = reader.embedded_timestamp_signatures
    assert stamp.field_name == "SepakatArsip1"
    event = AuditEvent.objects.get(action=AuditAction.DOCUMENT_ARCHIVE_TIMESTAMPED, version_id=mou.final_pdf.version_id)
    assert event.details["sha256"] == mou.final_pdf.sha256 and event.details["reason"] == "tahap selesai"
    result = verify_content(content)
    assert result.genuine, result.all_problems
    [archive] = result.report.archive_timestamps
    assert archive.trusted and archive.revision_sha256 == mou.final_pdf.sha256
    assert has_revocation_addresses(pki.authority().tsa_cert)


def test_the_public_page_lists_the_archive_timestamp(mou, client):
    page = client.get(reverse("verify_document", args=[mou.document.verification_token])).content.decode()
    section = page.split("Cap waktu arsip (PAdES B-LTA)", 1)[1].split("</table>", 1)[0]
    assert "Sepakat Otoritas Cap Waktu Lokal" in section and "Sah" in section
    assert f"{timezone.localtime(pki.authority().tsa_cert.not_valid_after_utc):%d-%m-%Y}" in section


@pytest.mark.slow  # pyHanko's CLI in a subprocess
@pytest.mark.skipif(not shutil.which("pyhanko") and not shutil.which(".venv/bin/pyhanko"), reason="pyhanko-cli")
def test_pyhanko_adesverify_with_revocation_checking_accepts_the_final_document(mou, tmp_path):
    pdf, root = tmp_path / "mou.pdf", tmp_path / "root.pem"
    pdf.write_bytes(read(mou.final_pdf))
    call_command("export_trust_root", "--out", str(root), stdout=io.StringIO())
    pyhanko = shutil.which("pyhanko") or ".venv/bin/pyhanko"
    # Offline: the revocation data comes from the document's DSS, nothing is fetched.
    run = subprocess.run([pyhanko, "sign", "adesverify", "--trust", str(root), "--trust-replace", str(pdf)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>") == 2, run.stdout


def test_a_failed_archive_timestamp_leaves_the_stage_open_and_says_why(programme, monkeypatch):
    def unavailable(content):
        raise archival.ArchiveError("TSA tidak menjawab")

    monkeypatch.setattr(archival, "lta_extend", unavailable)
    with pytest.raises(Exception, match="cap waktu arsip"):
        driver.run_programme(programme(BANJAR), only_stage=Stage.MOU)
    mou = StageProcess.objects.get(programme=programme(BANJAR), stage=Stage.MOU)
    assert mou.final_pdf is None
    assert not StoredPdf.objects.filter(document=mou.document, is_final=True).exists()


def test_an_archive_timestamp_sepakat_did_not_record_is_reported(mou):
    final = mou.final_pdf
    extended = archival.lta_extend(read(final))  # a second one, made by whoever holds the TSA key
    with archival.archive_renewal_open():  # and slipped in through the hatch, without its audit event
        forged = StoredPdf(document=final.document, version=final.version, revision=final.revision + 1,
                           sha256=hashlib.sha256(extended).hexdigest(), parent_sha256=final.sha256,
                           data_sha256=final.data_sha256, size=len(extended), is_final=True,
                           signature_boxes=final.signature_boxes)
        forged.file.save("arsip.pdf", ContentFile(extended), save=False)
        forged.save()
    result = verify_content(extended)
    assert result.report.valid and not result.genuine
    assert "Cap waktu arsip SepakatArsip2 tidak tercatat di log audit" in " ".join(result.problems)
    assert verify_content(read(final)).genuine


@pytest.mark.slow  # ten years of renewal and a rollover, a bundle in 2037
def test_a_renewal_needs_the_hatch_and_keeps_the_document_genuine_past_every_certificate(mou, tmp_path,
                                                                                        own_authority, capsys):
    first = mou.final_pdf
    assert archiving.archive_renew()["renewed"] == 0  # ten years ahead: nothing due
    # Without archive_renew's hatch the database takes no revision after the final one, even a true renewal.
    with pytest.raises(IntegrityError, match="dokumen final"), transaction.atomic():
        archival.final_archive(first, reason="uji")

    old_ca = pki.authority().ca_cert
    # January 2036: the CA ends in December. The daily run rolls the authority over to a new CA, then
    # renews the document with the new TSA.
    with time_machine.travel(datetime(2036, 1, 15, 9, tzinfo=UTC), tick=True):
        out = io.StringIO()
        call_command("archive_renew", stdout=out)
        assert "Otoritas lokal diperbarui" in out.getvalue() and "1 diberi cap waktu arsip baru" in out.getvalue()
        again = io.StringIO()
        call_command("archive_renew", stdout=again)  # the next day's run: nothing left to do
        assert "0 diberi cap waktu arsip baru" in again.getvalue()
    new_ca = pki.authority().ca_cert
    assert new_ca.fingerprint(new_ca.signature_hash_algorithm) != old_ca.fingerprint(old_ca.signature_hash_algorithm)
    assert new_ca.not_valid_after_utc.year >= 2045
    assert (own_authority / "pensiun").is_dir()
    mou.refresh_from_db()
    renewed = mou.final_pdf
    assert renewed.revision == first.revision + 1 and renewed.is_final and first.is_final
    assert renewed.parent_sha256 == first.sha256 and read(renewed).startswith(read(first))

    # June 2037: every certificate of 2026 (the signers', the first CA's and TSA's) has expired.
    with time_machine.travel(datetime(2037, 6, 1, 9, tzinfo=UTC), tick=True):
        # No checkpoint since 2026 (no hourly run in this test): the last one has lapsed and nothing covers it.
        out = io.StringIO()
        with pytest.raises(CommandError):
            call_command("verify_audit", stdout=out)
        assert "segel dan cap waktunya sudah berakhir" in out.getvalue()
        code, output = verify_at(tmp_path, read(renewed))
        assert code == 0, output
        assert "ASLI" in output and output.count("dinilai pada waktu cap waktunya") == 2
        assert output.count("cap waktu arsip:") == 2 and "BERAKHIR" not in output
        # The copy made before the renewal has lapsed with its TSA certificate.
        code, output = verify_at(tmp_path, read(first))
        assert code == 1 and "TIDAK ASLI" in output and "BERAKHIR" in output
        # The bundle's standalone checker reads the archive timestamps the same way (both CAs as its roots).
        roots = list(load_certs_from_pemder_data(b"".join(pki.recorded_ca_certificates())))
        assert len(roots) == 2
        assert bundle_verify.check_signatures(read(renewed), roots) == (2, [])
        count, problems = bundle_verify.check_signatures(read(first), roots)
        assert count == 2 and problems
        # And the whole bundle, made now: both CAs as its trust root, the renewal chain, the stage chain.
        auditor = get_user_model().objects.get(username=f"{BANJAR}.auditor")
        built = audit_bundle.bundle_build(programme=mou.programme, user=auditor)
        zipfile.ZipFile(built.file).extractall(tmp_path / "bundel")
        (folder,) = (tmp_path / "bundel").iterdir()
        fingerprints = ",".join(pki.published_root_fingerprints())
        assert len(fingerprints.split(",")) == 2
        assert bundle_verify.main([str(folder), "--root-sha256", fingerprints]) == 0, capsys.readouterr().out
        shown = capsys.readouterr().out
        assert "SEMUA SESUAI" in shown and shown.count("SepakatArsip2: ") >= 1
        # The audit log's checkpoints of 2026 were sealed under the first CA, whose certificates have ended:
        # they have lapsed, and the bundle's checkpoint of 2037 covers every event before them.
        before = [c for c in Checkpoint.objects.order_by("seq") if c.created.year == 2026]
        assert before and all(checkpoint_problem(c) == CHECKPOINT_LAPSED for c in before)
        assert "dicakup titik periksa" in shown
        out = io.StringIO()
        call_command("verify_audit", stdout=out)
        assert "Rantai utuh" in out.getvalue() and "tidak sah" not in out.getvalue(), out.getvalue()
    # --at gives the same answer without moving the clock.
    code, output = verify_at(tmp_path, read(renewed), at="2037-06-01")
    assert code == 0, output


@pytest.mark.slow  # pyHanko's AdES validator against a live server
def test_pyhanko_adesverify_in_2029_judges_the_signatures_in_the_past_and_the_archive_timestamp_online(
        programme, settings, monkeypatch, sepakat_server, own_authority, tmp_path):
    """After the signers' certificates have expired, pyHanko's AdES validator (the CLI, run in this process so
    that the clock moves for it and for the Sepakat it asks) proves the signatures from the DSS, and asks
    the OCSP responder the archive timestamp's TSA certificate names about that certificate, now."""
    from click.testing import CliRunner
    from django.core.cache import cache
    from pyhanko.cli import cli_root

    from agreements import signatures
    from agreements.signing import authority as authority_files

    settings.SEPAKAT_BASE_URL = sepakat_server
    pki.tsa_reissue()  # a TSA certificate naming this server's CRL and OCSP addresses
    monkeypatch.setattr(signatures, "issue_signer", authority_files.issue_signer)
    driver.run_programme(programme(BANJAR), only_stage=Stage.MOU)
    mou = StageProcess.objects.get(programme=programme(BANJAR), stage=Stage.MOU)
    pdf, root = tmp_path / "mou.pdf", tmp_path / "root.pem"
    pdf.write_bytes(read(mou.final_pdf))
    root.write_bytes(pki.authority().ca_cert_pem)
    asked = []
    answer = revocation.ocsp_response
    monkeypatch.setattr(revocation, "ocsp_response", lambda body: asked.append(body) or answer(body))
    with time_machine.travel(datetime(2029, 6, 1, 9, tzinfo=UTC), tick=True):
        cache.clear()  # the CRL the close cached is a week old by now
        result = CliRunner().invoke(cli_root, ["sign", "adesverify", "--trust", str(root), "--trust-replace",
                                               str(pdf)], catch_exceptions=False)
        assert result.exit_code == 0, result.output[-3000:]
        assert result.output.count(":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>") == 2, result.output
        assert asked  # the archive timestamp's TSA certificate, asked about in 2029
        code, output = verify_at(tmp_path, read(mou.final_pdf))
        assert code == 0 and output.count("dinilai pada waktu cap waktunya") == 2, output


def test_a_tsa_certificate_near_its_end_is_reissued_and_the_documents_renewed_with_the_new_one(
        mou, own_authority, monkeypatch):
    old_tsa = pki.authority().tsa_cert
    monkeypatch.setattr(archival, "renewal_due", lambda stored, now: True)
    monkeypatch.setattr(archival, "authority_renewal_due", lambda now: "tsa")
    counts = archiving.archive_renew()
    assert counts == {"checked": 1, "renewed": 1, "failed": 0, "authority": 1}
    assert pki.authority().tsa_cert.serial_number != old_tsa.serial_number
    assert AuditEvent.objects.filter(action=AuditAction.SIGNING_TSA_REISSUED).count() == 1
    mou.refresh_from_db()
    result = verify_content(read(mou.final_pdf))
    assert result.genuine, result.all_problems
    assert [a.tsa_name for a in result.report.archive_timestamps] == ["Sepakat Otoritas Cap Waktu Lokal"] * 2
    assert all(a.trusted for a in result.report.archive_timestamps)


def test_a_certificate_revoked_after_it_signed_does_not_stop_the_close(programme):
    from agreements.models import SignatureRecord, SigningCredential
    from agreements.revocation import credential_revoke

    driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="sign_ministry")
    first = SignatureRecord.objects.get(pdf__document__programme=programme(BANJAR))
    with time_machine.travel(timezone.now() + archival.datetime.timedelta(minutes=2), tick=True):
        # Two minutes after it signed (OCSP gives revocation times to the second).
        credential_revoke(credential=SigningCredential.objects.get(user=first.signer), actor=None, reason="uji")
        driver.run_programme(programme(BANJAR), only_stage=Stage.MOU)
        mou = StageProcess.objects.get(programme=programme(BANJAR), stage=Stage.MOU)
        assert mou.final_pdf is not None and mou.final_pdf.is_final
        result = verify_content(read(mou.final_pdf))
        assert result.genuine, result.all_problems  # revoked after its timestamp: the signature stands


@pytest.mark.slow  # a rollover and pyHanko's AdES validator
def test_after_a_rollover_a_signature_under_the_old_ca_still_closes_the_stage_with_its_revocation_data(
        programme, own_authority, tmp_path, monkeypatch):
    from agreements import signatures
    from agreements.signing import authority as authority_files

    monkeypatch.setattr(signatures, "issue_signer", authority_files.issue_signer)  # not the session's cache
    driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="sign_ministry")
    from agreements.models import SigningCredential

    old_ca = pki.authority().ca_cert_pem
    with time_machine.travel(timezone.now() + archival.datetime.timedelta(minutes=2), tick=True):
        pki.authority_roll_over()
        # Every official's certificate of the old CA is revoked: the ministry's signer sets a new passphrase
        # and signs under the new CA; the region's signature (old CA, before the revocation) stands.
        assert not SigningCredential.objects.filter(revoked_at__isnull=True).exists()
        driver.run_programme(programme(BANJAR), only_stage=Stage.MOU)
        mou = StageProcess.objects.get(programme=programme(BANJAR), stage=Stage.MOU)
        content = read(mou.final_pdf)
        assert verify_content(content).genuine
    pdf, roots = tmp_path / "mou.pdf", tmp_path / "roots.pem"
    pdf.write_bytes(content)
    roots.write_bytes(pki.published_root())
    assert old_ca in pki.published_root() and pki.published_root().count(b"BEGIN CERTIFICATE") == 2
    pyhanko = shutil.which("pyhanko") or ".venv/bin/pyhanko"
    run = subprocess.run([pyhanko, "sign", "adesverify", "--trust", str(roots), "--trust-replace", str(pdf)],
                         capture_output=True, text=True, timeout=120, check=False)
    # The old CA's responder answered for its certificate (revoked after it signed: good at its timestamp).
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_copy_of_a_genuine_archive_timestamp_placed_later_breaks_the_chain_instead_of_extending_it(mou):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from agreements.signing import verify_pdf

    content = read(mou.final_pdf)
    writer = IncrementalPdfFileWriter(BytesIO(content), strict=False)
    [genuine] = writer.prev.embedded_timestamp_signatures
    # A second field whose value is the genuine timestamp's signature dictionary: same bytes, same range.
    copy = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/FT"): generic.NameObject("/Sig"),
        generic.NameObject("/T"): generic.TextStringObject("SepakatArsip2"),
        generic.NameObject("/V"): genuine.sig_field.raw_get("/V"),
    }))
    form = writer.root["/AcroForm"]
    form["/Fields"].append(copy)
    writer.update_container(form["/Fields"])
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    report = verify_pdf(out.getvalue(), trust_roots_pem=signatures_roots())
    copied = [a for a in report.archive_timestamps if a.field_name == "SepakatArsip2"]
    assert copied and not copied[0].intact and not copied[0].trusted
    assert not report.valid and "Cap waktu arsip SepakatArsip2 tidak utuh atau tidak sah." in report.problems


def signatures_roots():
    from agreements import signatures

    return signatures.trust_roots()


@pytest.mark.slow  # two stages and a renewal
def test_a_renewal_during_the_next_stage_changes_nothing_it_prints_and_its_chain_still_verifies(
        programme, monkeypatch):
    banjar = programme(BANJAR)
    driver.run_programme(banjar, only_stage=Stage.MOU)
    mou = StageProcess.objects.get(programme=banjar, stage=Stage.MOU)
    closed_with = mou.final_pdf.sha256
    monkeypatch.setattr(archival, "renewal_due", lambda stored, now: True)
    monkeypatch.setattr(archival, "authority_renewal_due", lambda now: "")
    assert archiving.archive_renew()["renewed"] == 1
    mou.refresh_from_db()
    assert mou.final_pdf.sha256 != closed_with and mou.closing_sha256() == closed_with
    driver.run_programme(banjar, only_stage=Stage.REGULATION)
    regulation = StageProcess.objects.get(programme=banjar, stage=Stage.REGULATION)
    assert regulation.final_pdf.previous_stage_sha256 == closed_with  # what the close made, printed on it
    result = verify_content(read(regulation.final_pdf))
    assert result.genuine, result.all_problems
    assert [link.sha256 for link in result.chain] == [closed_with] and result.chain[0].ok


@pytest.mark.slow  # two programmes renewed twice
def test_a_renewal_by_a_tsa_whose_certificate_ends_within_the_margin_is_refused_and_the_rest_go_on(
        programme, monkeypatch, caplog):
    driver.run_programme(programme(BANJAR), only_stage=Stage.MOU)
    driver.run_programme(programme("kota-solok"), only_stage=Stage.MOU)
    monkeypatch.setattr(archival, "renewal_due", lambda stored, now: True)
    monkeypatch.setattr(archival, "authority_renewal_due", lambda now: "")
    # An outside TSA with eleven months left: renewing with it would be due again tomorrow, and every day after.
    later = timezone.now() + archival.datetime.timedelta(days=30)
    counts = archiving.archive_renew(now=later)
    assert counts == {"checked": 2, "renewed": 2, "failed": 0, "authority": 0}
    tsa_end = pki.authority().tsa_cert.not_valid_after_utc
    counts = archiving.archive_renew(now=tsa_end - archival.datetime.timedelta(days=300))
    assert counts == {"checked": 2, "renewed": 0, "failed": 2, "authority": 0}
    assert "the TSA certificate ends" in caplog.text
    assert StoredPdf.objects.filter(is_final=True, document__programme__region__slug=BANJAR).count() == 2


def test_only_one_renewal_runs_at_a_time():
    from django.core.cache import cache

    cache.add(archiving.LOCK_KEY, "another", 60)
    try:
        with pytest.raises(CommandError, match="sedang berjalan"):
            call_command("archive_renew", stdout=io.StringIO())
    finally:
        cache.delete(archiving.LOCK_KEY)


def test_a_file_naming_more_signatures_than_any_document_has_is_refused_before_any_is_checked(mou):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from agreements.signing import verify_pdf

    writer = IncrementalPdfFileWriter(BytesIO(read(mou.final_pdf)), strict=False)
    [genuine] = writer.prev.embedded_timestamp_signatures
    form = writer.root["/AcroForm"]
    for number in range(200):  # 200 fields, one shared signature dictionary: 200 validations if let through
        form["/Fields"].append(writer.add_object(generic.DictionaryObject({
            generic.NameObject("/FT"): generic.NameObject("/Sig"),
            generic.NameObject("/T"): generic.TextStringObject(f"salinan{number}"),
            generic.NameObject("/V"): genuine.sig_field.raw_get("/V"),
        })))
    writer.update_container(form["/Fields"])
    out = BytesIO()
    writer.write(out)
    report = verify_pdf(out.getvalue(), trust_roots_pem=signatures_roots())
    assert not report.valid and not report.signatures and not report.archive_timestamps  # none was validated
    assert "lebih dari 64 tanda tangan" in report.problems[0]
