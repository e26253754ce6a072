"""The demo driver (seed_demo, run_programme) under production settings, where no worker runs while it seeds.

The rendering of the document to sign is queued for a worker that is not there: the driver renders it in
its own process, as the task would, and the job the worker takes later finds it done.
"""

import pytest

from agreements.models import StoredPdf
from agreements.signatures import SigningRefused
from demo import driver
from workflows.models import Outcome, Stage
from workflows.tasks import prepare_signing

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_worker(monkeypatch):
    """Jobs are sent and never run (CELERY_TASK_ALWAYS_EAGER unset, a broker, no worker yet)."""
    sent = []
    monkeypatch.setattr(prepare_signing, "delay", lambda *args: sent.append(args))
    return sent


def test_the_driver_signs_a_document_no_worker_has_prepared(programme, no_worker):
    process = driver.run_programme(programme("kota-banjar"), only_stage=Stage.MOU)[0]

    assert process.outcome == Outcome.COMPLETED and process.final_pdf is not None
    assert no_worker and set(no_worker) == {(process.pk,)}  # queued as ever
    prepare_signing.apply(args=[process.pk])  # the worker, later: nothing to redo on a closed case
    assert StoredPdf.objects.filter(document=process.document, revision=0).count() == 1


def test_without_it_the_signature_waits_for_the_worker(programme, no_worker, monkeypatch):
    monkeypatch.setattr(driver, "ensure_prepared", lambda process: None)
    with pytest.raises(SigningRefused, match="sedang disiapkan"):
        driver.run_programme(programme("kota-banjar"), only_stage=Stage.MOU)
