"""Stored files against the database (manage.py check_storage, agreements.storage_check), and the pages
that serve a stored file when it is gone: a clear page (503), never a server error.

One MoU (Kota Banjar) is driven to its final PDF once for the module, its files in a media root of the
module's own; each test works on a copy of that media root, so what one test breaks the next never sees.
"""

import hashlib
import io
import logging
import os
import shutil
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from agreements import tasks
from agreements.models import Attachment, ParafCopy, Programme, SignatureRecord, StoredPdf
from agreements.storage_check import MISMATCH, MISSING, ORPHAN, storage_check
from agreements.stored_files import MISSING_FILE
from audit.actions import AuditAction
from audit.models import AuditEvent
from demo import driver
from demo.world import COHORT_YEAR
from workflows.models import StageProcess

from ..conftest import world_kept_for_the_module

pytestmark = pytest.mark.django_db

REGION = "kota-banjar"
PARTICIPANT = "kota-banjar.kominfo"
AUDITOR = "kota-banjar.auditor"
ORPHAN_CONTENT = b"%PDF-1.7 sisa transaksi yang dibatalkan"


def _finished_mou() -> int:
    programme = Programme.objects.get(region__slug=REGION, year=COHORT_YEAR)
    (process,) = driver.run_programme(programme, only_stage="mou")
    return process.pk


@pytest.fixture(scope="module")
def module_media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def case_pk(module_media, django_db_setup, django_db_blocker):
    with override_settings(MEDIA_ROOT=str(module_media)), \
            world_kept_for_the_module(django_db_blocker, _finished_mou) as pk:
        yield pk


@pytest.fixture
def media(case_pk, module_media, settings, tmp_path) -> Path:
    """This test's copy of the module's media root."""
    root = Path(shutil.copytree(module_media, tmp_path / "media"))
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def case(case_pk):
    return StageProcess.objects.select_related("final_pdf", "document__programme__region").get(pk=case_pk)


def paraf_of(case) -> ParafCopy:
    return ParafCopy.objects.filter(version__document=case.document).first()


def recorded_files() -> int:
    return StoredPdf.objects.count() + ParafCopy.objects.count() + Attachment.objects.count()


def orphan(media: Path, name: str, *, minutes_old: float) -> Path:
    path = media / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ORPHAN_CONTENT)
    when = time.time() - minutes_old * 60
    os.utime(path, (when, when))
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command("check_storage", *args, stdout=out)
    return out.getvalue()


# ---------------------------------------------------------------- check_storage


def test_an_intact_store_has_nothing_to_report(media, case):
    report = storage_check()
    assert report.ok and report.checked == recorded_files() >= 5
    summary = f"{recorded_files()} berkas diperiksa: 0 hilang, 0 berubah, 0 yatim, 0 yatim baru, 0 dihapus."
    assert run().strip() == summary


def test_a_missing_file_a_changed_file_and_an_old_orphan_are_reported_and_exit_1(media, case):
    final, paraf = case.final_pdf, paraf_of(case)
    (media / final.file.name).unlink()
    changed = bytearray((media / paraf.file.name).read_bytes())
    changed[-10] ^= 0xFF
    (media / paraf.file.name).write_bytes(bytes(changed))
    orphan(media, "pdf/2024/sisa.pdf", minutes_old=120)
    orphan(media, "pdf/2024/baru.pdf", minutes_old=1)
    out = io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("check_storage", stdout=out)

    assert failed.value.returncode == 1
    assert str(failed.value) == "Penyimpanan tidak cocok dengan basis data: 3 masalah."
    lines = out.getvalue().splitlines()
    assert MISSING % {"name": final.file.name, "kind": "agreements.StoredPdf", "pk": final.pk} in lines
    assert MISMATCH % {"name": paraf.file.name, "kind": "agreements.ParafCopy", "pk": paraf.pk,
                       "found": hashlib.sha256(changed).hexdigest(), "found_size": len(changed),
                       "recorded": paraf.sha256, "recorded_size": paraf.size} in lines
    assert ORPHAN % {"name": "pdf/2024/sisa.pdf", "size": len(ORPHAN_CONTENT), "age": 120} in lines
    assert any(line.startswith("Berkas yatim: pdf/2024/baru.pdf") and "Dibiarkan" in line for line in lines)
    assert lines[-1] == f"{recorded_files()} berkas diperiksa: 1 hilang, 1 berubah, 1 yatim, 1 yatim baru, 0 dihapus."


def test_delete_orphans_removes_only_orphans_older_than_the_limit(media, case):
    old = orphan(media, "pdf/2024/lama.pdf", minutes_old=180)
    half = orphan(media, "paraf/2024/setengah.pdf", minutes_old=30)
    recent = orphan(media, "pdf/2024/sedang-ditulis.pdf", minutes_old=2)

    output = run("--delete-orphans")

    assert "Dihapus (yatim): pdf/2024/lama.pdf" in output
    assert not old.exists() and half.exists() and recent.exists()
    run("--delete-orphans", "--older-than", "20")
    assert not half.exists() and recent.exists()
    report = storage_check()
    assert report.ok and not report.file_problems and [o.name for o in report.recent_orphans] == [
        "pdf/2024/sedang-ditulis.pdf"]


def test_the_celery_task_logs_each_problem_as_an_error(media, case, caplog):
    (media / case.final_pdf.file.name).unlink()

    with caplog.at_level(logging.ERROR, logger="agreements"):
        result = tasks.check_storage.apply().get()

    assert result == {"checked": recorded_files(), "missing": 1, "mismatched": 0, "orphans": 0, "recent_orphans": 0}
    expected = MISSING % {"name": case.final_pdf.file.name, "kind": "agreements.StoredPdf", "pk": case.final_pdf.pk}
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [f"storage check: {expected}"]


# ---------------------------------------------------------------- the pages, when a file is gone


def _gone(media: Path, field_file) -> None:
    (media / field_file.name).unlink()


@pytest.mark.parametrize("page", ["final_pdf", "signing_pdf", "decided_file"])
def test_a_download_whose_file_is_gone_answers_a_clear_page_not_a_500(page, media, case, as_user, caplog):
    if page == "decided_file":
        stored = paraf_of(case)
        url = reverse("sepakat:decided_file", args=[case.pk, stored.sha256])
    else:
        stored = case.final_pdf
        url = reverse(f"sepakat:{page}", args=[case.pk])
    client = as_user(PARTICIPANT)
    assert client.get(url).status_code == 200
    _gone(media, stored.file)
    downloads = AuditEvent.objects.filter(action=AuditAction.DOCUMENT_DOWNLOADED).count()

    with caplog.at_level(logging.ERROR, logger="agreements"):
        response = client.get(url)

    assert response.status_code == 503
    assert str(MISSING_FILE) in response.content.decode()
    assert reverse("sepakat:case_detail", kwargs={"process_pk": case.pk}) in response.content.decode()
    assert any("stored file missing" in r.getMessage() and stored.file.name in r.getMessage()
               for r in caplog.records if r.levelno == logging.ERROR)
    assert AuditEvent.objects.filter(action=AuditAction.DOCUMENT_DOWNLOADED).count() == downloads  # nothing went out


def test_the_public_verification_page_shows_what_the_database_knows_when_the_file_is_gone(media, case, client):
    url = f"/verifikasi/{case.document.verification_token}/"
    assert client.get(url).status_code == 200
    _gone(media, case.final_pdf.file)

    response = client.get(url)

    assert response.status_code == 503
    page = response.content.decode()
    assert str(MISSING_FILE) in page
    assert case.document.identifier in page and case.final_pdf.sha256 in page
    signers = list(SignatureRecord.objects.filter(pdf__document=case.document).values_list("signer_name", flat=True))
    assert len(signers) == 2 and all(name in page for name in signers)


def test_a_paraf_copy_gone_from_an_uploaded_documents_check_answers_the_clear_page(media, case, client):
    content = (media / case.final_pdf.file.name).read_bytes()
    _gone(media, paraf_of(case).file)  # the approval sheet names it: verifying the upload reads it

    response = client.post("/verifikasi/", {"file": _upload(content)})

    assert response.status_code == 503
    assert str(MISSING_FILE) in response.content.decode()


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("nota-kesepakatan.pdf", content, content_type="application/pdf")


def test_the_audit_bundle_answers_the_clear_page_when_a_pdf_is_gone(media, case, as_user):
    _gone(media, case.final_pdf.file)

    response = as_user(AUDITOR).get(reverse("audit:bundle", args=[case.programme.pk]))

    assert response.status_code == 503
    assert str(MISSING_FILE) in response.content.decode()
