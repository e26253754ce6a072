"""The pages of issue 13 as officials see them, in Chromium at desktop and phone width: who took the task,
a signature lost to a system error, a document being prepared, a stored file that is missing, a 500."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements import signatures
from agreements.models import Agency, DecisionKind
from demo import driver
from permissions.models import RoleAssignment
from permissions.roles import AgencyKind, RoleKind
from permissions.services import role_sync_user
from workflows import messages
from workflows.models import Stage

from ..workflows.helpers import claim, open_task, shown_sha256, task_url
from .test_long_text import overflows

pytestmark = pytest.mark.slow

BANJAR = "kota-banjar"


def _taken_page(as_user, programme, official) -> tuple[bytes, str]:
    process = driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="review_diskominfo")[0]
    task = open_task(process, "review_diskominfo")
    winner, loser = official(f"{BANJAR}.kominfo"), official(f"{BANJAR}.kominfo.staf")
    RoleAssignment.objects.create(user=loser, role=RoleKind.REVIEWER, valid_from=timezone.localdate(),
                                  agency=Agency.objects.get(region__slug=BANJAR, kind=AgencyKind.DISKOMINFO))
    role_sync_user(user=loser)
    claim(as_user(winner.username), task)
    page = as_user(loser.username).post(task_url(task, "assign"), follow=True)
    return page.content, str(messages.TASK_TAKEN % {"name": winner.official.full_name})


def test_recovery_pages_read_well_on_desktop_and_phone(as_user, programme, official, monkeypatch):
    pages, expected = {}, {}
    pages["taken"], expected["taken"] = _taken_page(as_user, programme, official)

    process = driver.run_programme(programme("kota-solok"), stop_stage=Stage.MOU, stop_step="sign_region")[0]
    driver.ensure_credential(official("kota-solok.kdh"))
    signer = as_user("kota-solok.kdh")
    task = open_task(process, "sign_region")
    claim(signer, task)
    real_sign = signatures.document_sign

    def sign_then_fail(**kwargs):
        real_sign(**kwargs)
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as failing:
        failing.setattr(signatures, "document_sign", sign_then_fail)
        failed = signer.post(task_url(task, "execute"), {"decision": DecisionKind.SIGNED,
                                                        "passphrase": driver.DEMO_SIGNING_PASSPHRASE,
                                                        "document_sha256": shown_sha256(signer, task)})
    pages["signing_error"] = failed.content
    expected["signing_error"] = "kesalahan sistem (OSError)"

    signer.post(task_url(task, "execute"), {"decision": DecisionKind.SIGNED,
                                           "passphrase": driver.DEMO_SIGNING_PASSPHRASE,
                                           "document_sha256": shown_sha256(signer, task)})
    stored = signatures.latest_revision(process.document.latest_version())
    Path(settings.MEDIA_ROOT, stored.file.name).unlink()  # restored out of step with the database
    missing = signer.get(reverse("sepakat:signing_pdf", args=[process.pk]))
    assert missing.status_code == 503
    pages["file_missing"], expected["file_missing"] = missing.content, "Berkas dokumen tidak ditemukan"

    crashing = Client(raise_request_exception=False)
    crashing.force_login(official("kota-solok.kdh"))
    monkeypatch.setattr("workflows.views.cases.CaseDetailView.get_context_data",
                        lambda self, **kwargs: 1 / 0, raising=False)
    error = crashing.get(reverse("sepakat:case_detail", args=[process.pk]))
    assert error.status_code == 500
    pages["server_error"], expected["server_error"] = error.content, error["X-Request-ID"]

    for name, text in expected.items():
        assert text.encode() in pages[name], name
    widths = overflows(pages)
    assert all(extra <= 0 for screens in widths.values() for extra in screens.values()), widths
