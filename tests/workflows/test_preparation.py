"""Nothing gets stuck: a preparation the broker refused, whose worker died, or that failed is sent again."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from kombu.exceptions import OperationalError

from agreements import signatures
from agreements.models import DecisionKind, StoredPdf
from agreements.tasks import audit_checkpoint
from audit.actions import AuditAction
from audit.models import AuditEvent
from demo import driver
from workflows import services
from workflows.models import Stage, StageProcess
from workflows.tasks import preparations_sweep, prepare_signing

from .helpers import act, claim, open_task, task_url

BANJAR = "kota-banjar"


@pytest.fixture
def at_sekda_paraf(programme):
    return driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="paraf_sekda")[0]


@pytest.fixture
def broker_down():
    """Production's Redis stopped: sending any job fails as kombu fails. ``.undo()`` starts it again (and the
    jobs then run here, in process, as the worker would run them)."""
    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with pytest.MonkeyPatch.context() as outage:
        # Production's answer, to Sepakat only: Celery itself keeps running the jobs here (changing its setting
        # would stay in Celery's configuration for the tests that follow).
        outage.setattr(services, "preparing_in_process", lambda: False)
        for task in (prepare_signing, audit_checkpoint):
            outage.setattr(task, "delay", refused)
        yield outage


def _prepared(process) -> bool:
    return StoredPdf.objects.filter(document=process.document, revision=0).exists()


def test_a_broker_down_when_the_sekda_initials_saves_the_paraf_and_the_sweeper_sends_it_later(
        as_user, at_sekda_paraf, broker_down, caplog, monkeypatch):
    process = at_sekda_paraf
    act(as_user, f"{BANJAR}.sekda", process, "paraf_sekda", DecisionKind.INITIALLED)  # 302, no 500
    signer = as_user(f"{BANJAR}.kdh")
    task = open_task(process, "sign_region")
    claim(signer, task)
    assert "sedang disiapkan" in signer.get(task_url(task, "execute")).content.decode()
    process.refresh_from_db()
    assert not _prepared(process)
    assert process.preparation_due <= timezone.now() and process.preparation_attempts == 1
    assert any(record.levelname == "ERROR" and record.exc_info and "could not be queued" in record.getMessage()
               for record in caplog.records)

    broker_down.undo()  # Redis is back; beat runs the sweeper within the minute, a worker the job it sends
    monkeypatch.setattr(prepare_signing, "delay", lambda process_id: prepare_signing.apply(args=[process_id]))
    assert preparations_sweep.apply().get() == 1
    process.refresh_from_db()
    assert _prepared(process) and process.preparation_due is None and process.preparation_error == ""


def test_a_job_lost_with_its_worker_is_sent_again_once_overdue(at_sekda_paraf, django_capture_on_commit_callbacks):
    process = at_sekda_paraf
    with django_capture_on_commit_callbacks(execute=False) as queued:  # sent; the worker then dies with it
        driver.act(open_task(process, "paraf_sekda"))
    assert queued
    process.refresh_from_db()
    assert services.preparations_sweep() == 0  # not overdue yet: the job may still be running
    overdue = timezone.now() + services.PREPARATION_LOST_AFTER + timedelta(seconds=1)
    with time_machine.travel(overdue, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert services.preparations_sweep() == 1
    process.refresh_from_db()
    assert _prepared(process) and process.preparation_attempts == 0


def test_failures_are_retried_with_backoff_then_shown_with_the_retry_button(
        as_user, at_sekda_paraf, monkeypatch, settings, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "preparing_in_process", lambda: False)  # as production; jobs still run here
    process = at_sekda_paraf
    with django_capture_on_commit_callbacks(execute=False):
        driver.act(open_task(process, "paraf_sekda"))

    def broken(*args, **kwargs):
        raise RuntimeError("font hilang")

    monkeypatch.setattr(signatures, "render_stage_pdf", broken)
    monkeypatch.setattr(prepare_signing, "delay", lambda process_id: prepare_signing.apply(args=[process_id]))
    now = timezone.now()
    prepare_signing.apply(args=[process.pk])  # the first job, as the worker runs it (and as it fails)
    pauses = []
    for _attempt in range(services.PREPARATION_MAX_ATTEMPTS - 1):
        process.refresh_from_db()
        assert process.preparation_error == ""  # not yet shown: it will be tried again
        pauses.append(round((process.preparation_due - now).total_seconds() / 60))
        now = process.preparation_due
        with time_machine.travel(now, tick=False), django_capture_on_commit_callbacks(execute=True):
            assert services.preparations_sweep() == 1  # sent again, and it fails again
    assert pauses == [1, 2, 4, 8]
    process.refresh_from_db()
    assert "font hilang" in process.preparation_error and process.preparation_due is None
    failures = AuditEvent.objects.filter(process_id=process.pk, action=AuditAction.DOCUMENT_RENDER_FAILED)
    assert [event.details["attempt"] for event in failures.order_by("pk")] == [1, 2, 3, 4, 5]
    assert [event.details["final"] for event in failures.order_by("pk")] == [False] * 4 + [True]

    client = as_user(f"{BANJAR}.kdh")
    task = open_task(process, "sign_region")
    claim(client, task)
    page = client.get(task_url(task, "execute")).content.decode()
    assert "gagal disiapkan" in page and "Siapkan ulang dokumen" in page


def test_a_job_that_never_finishes_is_given_up_after_the_last_attempt(at_sekda_paraf,
                                                                      django_capture_on_commit_callbacks):
    process = at_sekda_paraf
    with django_capture_on_commit_callbacks(execute=False):
        driver.act(open_task(process, "paraf_sekda"))
    StageProcess.objects.filter(pk=process.pk).update(preparation_attempts=services.PREPARATION_MAX_ATTEMPTS,
                                                      preparation_due=timezone.now())
    assert services.preparations_sweep() == 0
    process.refresh_from_db()
    assert "belum juga siap setelah 5 kali" in process.preparation_error and process.preparation_due is None
    assert AuditEvent.objects.filter(process_id=process.pk, action=AuditAction.DOCUMENT_RENDER_FAILED).exists()


def test_the_embedded_default_shows_a_render_failure_on_the_next_page_not_a_500(as_user, at_sekda_paraf,
                                                                                monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("font hilang")

    monkeypatch.setattr(signatures, "render_stage_pdf", broken)
    act(as_user, f"{BANJAR}.sekda", at_sekda_paraf, "paraf_sekda", DecisionKind.INITIALLED)  # 302, the paraf saved
    at_sekda_paraf.refresh_from_db()
    assert "font hilang" in at_sekda_paraf.preparation_error and at_sekda_paraf.preparation_due is None
    signer = as_user(f"{BANJAR}.kdh")
    task = open_task(at_sekda_paraf, "sign_region")
    claim(signer, task)
    page = signer.get(task_url(task, "execute")).content.decode()
    assert "gagal disiapkan" in page and "Siapkan ulang dokumen" in page


def test_a_broker_down_at_the_last_signature_still_closes_the_stage(as_user, programme, broker_down):
    process = driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="sign_ministry")[0]
    signer = driver.holder_of(open_task(process, "sign_ministry"))
    act(as_user, signer.username, process, "sign_ministry", DecisionKind.SIGNED)  # 302: the checkpoint waits
    process.refresh_from_db()
    assert process.final_pdf is not None


def test_a_copy_of_the_job_after_giving_up_does_nothing_and_a_stale_failure_is_not_recorded(
        at_sekda_paraf, monkeypatch, django_capture_on_commit_callbacks):
    process = at_sekda_paraf
    with django_capture_on_commit_callbacks(execute=False):
        driver.act(open_task(process, "paraf_sekda"))
    StageProcess.objects.filter(pk=process.pk).update(preparation_due=None, preparation_error="menyerah")
    prepare_signing.apply(args=[process.pk])  # the broker delivers a copy of a job given up on
    assert not _prepared(process)  # it waits for someone to press the retry button

    StageProcess.objects.filter(pk=process.pk).update(preparation_due=timezone.now(), preparation_error="")
    prepare_signing.apply(args=[process.pk])
    assert _prepared(process)
    failures = AuditEvent.objects.filter(process_id=process.pk, action=AuditAction.DOCUMENT_RENDER_FAILED)
    services.signing_preparation_failed(process_id=process.pk, error=RuntimeError("salinan basi"))
    assert not failures.exists()  # a stale copy failing after another one prepared the document
    process.refresh_from_db()
    assert process.preparation_error == "" and process.preparation_due is None


def test_the_embedded_default_renders_for_the_signers_in_the_scheduler_not_in_the_click(
        as_user, at_sekda_paraf, settings, tmp_path, monkeypatch):
    """make run: the last paraf's click only marks the case due; `manage.py schedule` renders it (issue 15)."""
    settings.SEPAKAT_BACKGROUND_BY_SCHEDULER = True
    renders = []
    render = signatures.render_stage_pdf
    monkeypatch.setattr(signatures, "render_stage_pdf", lambda *a, **k: renders.append(1) or render(*a, **k))
    act(as_user, f"{BANJAR}.sekda", at_sekda_paraf, "paraf_sekda", DecisionKind.INITIALLED)
    at_sekda_paraf.refresh_from_db()
    assert renders == [] and not _prepared(at_sekda_paraf)
    assert at_sekda_paraf.preparation_due <= timezone.now() and at_sekda_paraf.preparation_attempts == 0
    signer = as_user(f"{BANJAR}.kdh")
    task = open_task(at_sekda_paraf, "sign_region")
    claim(signer, task)
    assert "sedang disiapkan" in signer.get(task_url(task, "execute")).content.decode()

    call_command("schedule", "--once", "--entry", "preparations-sweep", "--state", str(tmp_path / "schedule.json"))
    at_sekda_paraf.refresh_from_db()
    assert renders == [1] and _prepared(at_sekda_paraf)
    assert at_sekda_paraf.preparation_due is None and at_sekda_paraf.preparation_error == ""
    assert "sedang disiapkan" not in signer.get(task_url(task, "execute")).content.decode()


def test_a_render_failure_in_the_embedded_scheduler_shows_the_retry_button(
        as_user, at_sekda_paraf, settings, tmp_path, monkeypatch):
    settings.SEPAKAT_BACKGROUND_BY_SCHEDULER = True
    act(as_user, f"{BANJAR}.sekda", at_sekda_paraf, "paraf_sekda", DecisionKind.INITIALLED)

    def broken(*args, **kwargs):
        raise RuntimeError("font hilang")

    monkeypatch.setattr(signatures, "render_stage_pdf", broken)
    call_command("schedule", "--once", "--entry", "preparations-sweep", "--state", str(tmp_path / "schedule.json"))
    at_sekda_paraf.refresh_from_db()
    assert "font hilang" in at_sekda_paraf.preparation_error and at_sekda_paraf.preparation_due is None
    signer = as_user(f"{BANJAR}.kdh")
    task = open_task(at_sekda_paraf, "sign_region")
    claim(signer, task)
    page = signer.get(task_url(task, "execute")).content.decode()
    assert "gagal disiapkan" in page and "Siapkan ulang dokumen" in page
