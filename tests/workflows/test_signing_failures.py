"""An unexpected error while signing is a clear message, a log line and an event, and leaves no file behind."""

import errno
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage

from agreements import signatures
from agreements.models import DecisionKind, StoredPdf
from audit.actions import AuditAction
from audit.models import AuditEvent
from demo import driver
from workflows import messages
from workflows.models import Stage

from .helpers import claim, open_task, shown_sha256, task_url

BANJAR = "kota-banjar"


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def at_signing(as_user, programme, official):
    process = driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="sign_region")[0]
    driver.ensure_credential(official(f"{BANJAR}.kdh"))
    client = as_user(f"{BANJAR}.kdh")
    task = open_task(process, "sign_region")
    claim(client, task)
    return process, client, task


def _sign(client, task):
    return client.post(task_url(task, "execute"), {"decision": DecisionKind.SIGNED,
                                                   "passphrase": driver.DEMO_SIGNING_PASSPHRASE,
                                                   "document_sha256": shown_sha256(client, task)})


def test_a_crash_after_the_signed_file_is_written_is_a_message_and_removes_the_file(at_signing, monkeypatch,
                                                                                    caplog):
    process, client, task = at_signing
    before = media_files()
    real_sign = signatures.document_sign

    def sign_then_crash(**kwargs):
        real_sign(**kwargs)  # the signed PDF is on disk, its row in the savepoint
        raise KeyError("slot")

    monkeypatch.setattr(signatures, "document_sign", sign_then_crash)
    response = _sign(client, task)
    assert response.status_code == 200
    page = response.content.decode()
    assert str(messages.SIGNING_UNEXPECTED % {"error": "KeyError"}).split("(")[0] in page
    assert media_files() == before  # the signed copy of the rolled-back signature is gone
    assert not StoredPdf.objects.filter(document=process.document, revision=1).exists()
    failed = AuditEvent.objects.get(process_id=process.pk, action=AuditAction.DOCUMENT_SIGNING_FAILED)
    assert "KeyError" in failed.details["reason"]
    assert any(record.levelname == "ERROR" and record.exc_info for record in caplog.records
               if record.name == "workflows.services")
    assert open_task(process, "sign_region")

    monkeypatch.undo()
    assert _sign(client, task).status_code == 302  # nothing was left half done


def test_a_full_disk_while_signing_is_a_message_and_leaves_no_half_file(at_signing, monkeypatch):
    process, client, task = at_signing
    before = media_files()
    real_save = FileSystemStorage._save

    def half_then_full(storage, name, content):
        with open(storage.path(name), "wb") as partial:
            partial.write(content.read()[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(FileSystemStorage, "_save", half_then_full)
    response = _sign(client, task)
    assert response.status_code == 200
    assert "OSError" in response.content.decode()
    assert media_files() == before
    monkeypatch.setattr(FileSystemStorage, "_save", real_save)
    assert _sign(client, task).status_code == 302
