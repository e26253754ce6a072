"""manage.py schedule: the embedded default's Celery beat, running CELERY_BEAT_SCHEDULE's tasks in process."""

import datetime
import json
import logging
import os
import signal
import threading
import time

import pytest
import time_machine
from celery.schedules import crontab
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from audit.actions import AuditAction
from audit.models import AuditEvent
from sepakat.management.commands import schedule
from sepakat.models import Heartbeat
from workflows import deadlines
from workflows.models import Outcome, StageProcess, StepDeadline

pytestmark = pytest.mark.django_db

SWEEP = "workflows.tasks.deadlines_sweep"


def wib(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def state(tmp_path):
    return tmp_path / "schedule.json"


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO, logger="sepakat.management.commands.schedule")
    return caplog


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sepakat.management.commands.schedule"]


def run_once(state, *entries):
    call_command("schedule", "--once", "--state", str(state), *(arg for e in entries for arg in ("--entry", e)))


def test_once_runs_what_is_due_logs_it_and_remembers_it(state, logs):
    with time_machine.travel(wib(2026, 8, 11, 10, 15), tick=False):
        run_once(state, "deadlines-sweep")
    [line] = lines(logs)
    assert line.startswith(f"schedule: deadlines-sweep ({SWEEP}) done in ")
    assert "'reminded': 0" in line
    assert json.loads(state.read_text()) == {"deadlines-sweep": "2026-08-11T10:15:00+07:00"}
    assert state.stat().st_mode & 0o777 == 0o600

    logs.clear()
    with time_machine.travel(wib(2026, 8, 11, 10, 29), tick=False):
        run_once(state, "deadlines-sweep")  # hourly at half past: not due again before 10:30
    assert lines(logs) == []
    with time_machine.travel(wib(2026, 8, 11, 10, 31), tick=False):
        run_once(state, "deadlines-sweep")
    assert len(lines(logs)) == 1


def test_the_sweep_it_runs_reminds_a_real_task(state, as_user, programme, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    deadlines.step_deadline_change(step_deadline=StepDeadline.objects.get(stage="mou", step="draft"),
                                   working_days=1, escalate_after_days=5, actor=root)
    with time_machine.travel(wib(2026, 8, 10, 9), tick=False):
        client = as_user("laip.staf")
        assert client.post(reverse("sepakat:case_open", args=["kota-banjar", 2024, "mou"])).status_code == 302
    case = StageProcess.objects.get(programme=programme("kota-banjar"), outcome=Outcome.OPEN)
    with time_machine.travel(wib(2026, 8, 12, 10, 30), tick=False):  # due Tuesday 11th: late on Wednesday
        run_once(state, "deadlines-sweep")
    assert AuditEvent.objects.filter(process_id=case.pk, action=AuditAction.TASK_OVERDUE).count() == 1


def test_a_daily_job_missed_while_stopped_runs_at_the_next_start(state, settings, logs):
    settings.CELERY_BEAT_SCHEDULE = {"nightly": {"task": SWEEP, "schedule": crontab(hour=0, minute=5)}}
    state.write_text(json.dumps({"nightly": "2026-08-09T00:05:00+07:00"}))
    with time_machine.travel(wib(2026, 8, 11, 10), tick=False):
        run_once(state)
        run_once(state)
    assert len(lines(logs)) == 1
    assert json.loads(state.read_text())["nightly"] == "2026-08-11T10:00:00+07:00"


def test_a_failing_task_is_logged_and_the_others_still_run(state, settings, logs, monkeypatch):
    settings.CELERY_BEAT_SCHEDULE = {
        "broken": {"task": SWEEP, "schedule": 60.0},
        "ghost": {"task": "nowhere.tasks.ghost", "schedule": 60.0},
        "preparations": {"task": "workflows.tasks.preparations_sweep", "schedule": 60.0},
    }

    def broken(*args, **kwargs):
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(deadlines, "deadlines_sweep", broken)
    run_once(state)
    failed, ghost, done = lines(logs)
    assert failed.startswith(f"schedule: broken ({SWEEP}) failed after ")
    assert "database is on fire" in next(r for r in logs.records if r.getMessage() == failed).exc_text
    assert ghost == "schedule: ghost names task nowhere.tasks.ghost, which no app defines; skipped"
    assert done.startswith("schedule: preparations (workflows.tasks.preparations_sweep) done in ")
    assert set(json.loads(state.read_text())) == {"broken", "ghost", "preparations"}, "each runs again at its time"


def test_the_worker_heartbeat_is_not_run_in_process(state, settings, logs):
    settings.CELERY_BEAT_SCHEDULE = {
        "worker-heartbeat": {"task": "sepakat.tasks.heartbeat", "schedule": 60.0, "options": {"expires": 50}},
        "deadlines-sweep": {"task": SWEEP, "schedule": crontab(minute=30)},
    }
    run_once(state)
    assert not Heartbeat.objects.exists()
    assert [line.split(" (")[0] for line in lines(logs)] == ["schedule: deadlines-sweep"]


def test_every_entry_of_the_real_schedule_is_known_to_it():
    from django.conf import settings

    entries = schedule.entries_of(settings.CELERY_BEAT_SCHEDULE)
    assert {e.name for e in entries} == set(settings.CELERY_BEAT_SCHEDULE) - {"worker-heartbeat"}
    assert "deadlines-sweep" in {e.name for e in entries}


def test_an_unknown_entry_is_refused(state):
    with pytest.raises(CommandError, match="Jadwal tidak mengenal entri tidak-ada"):
        run_once(state, "tidak-ada")


def test_a_second_scheduler_on_the_same_state_is_refused(state):
    held = schedule._one_at_a_time(state.with_suffix(".lock"))  # as a `make run` already running would
    try:
        with pytest.raises(CommandError, match="Jadwal sudah berjalan di proses lain"):
            run_once(state, "deadlines-sweep")
    finally:
        held.close()
    run_once(state, "deadlines-sweep")  # once the other is gone


def test_it_refuses_to_run_beside_a_real_broker(state):
    schedule.app.conf.task_always_eager = False
    try:
        with pytest.raises(CommandError) as refused:
            run_once(state)
    finally:
        schedule.app.conf.task_always_eager = True
    assert str(refused.value) == schedule.NOT_EMBEDDED


# The loop and its signals ------------------------------------------------------------------------------------


def signal_after(seconds: float, *signums) -> threading.Thread:
    def send():
        for signum in signums:
            time.sleep(seconds)
            os.kill(os.getpid(), signum)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_the_loop_runs_entries_again_and_stops_on_sigterm(state, settings, logs):
    settings.CELERY_BEAT_SCHEDULE = {"often": {"task": SWEEP, "schedule": 0.3}}
    before = signal.getsignal(signal.SIGTERM)
    signal_after(1.2, signal.SIGTERM)
    call_command("schedule", "--state", str(state))
    messages = lines(logs)
    assert messages[0] == "schedule: started with often; not run in process: none"
    runs = [m for m in messages if m.startswith(f"schedule: often ({SWEEP}) done")]
    assert len(runs) >= 2
    assert messages[-2:] == ["schedule: signal SIGTERM; stopping", "schedule: stopped"]
    assert signal.getsignal(signal.SIGTERM) is before, "its handlers are removed when it stops"


def slow_sweep(monkeypatch, seconds: float):
    real = deadlines.deadlines_sweep

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(deadlines, "deadlines_sweep", slow)


def test_a_signal_during_a_task_lets_it_finish_first(state, settings, logs, monkeypatch):
    settings.CELERY_BEAT_SCHEDULE = {"slow": {"task": SWEEP, "schedule": 60.0}}
    slow_sweep(monkeypatch, 1.0)
    signal_after(0.4, signal.SIGTERM)
    call_command("schedule", "--state", str(state))
    messages = lines(logs)
    assert messages[1] == "schedule: signal SIGTERM; stopping once slow has finished"
    assert messages[2].startswith(f"schedule: slow ({SWEEP}) done")
    assert messages[3] == "schedule: stopped"


def test_a_second_signal_stops_it_at_once(state, settings, logs, monkeypatch):
    settings.CELERY_BEAT_SCHEDULE = {"slow": {"task": SWEEP, "schedule": 60.0}}
    slow_sweep(monkeypatch, 5.0)
    signal_after(0.4, signal.SIGTERM, signal.SIGTERM)
    started = time.monotonic()
    with pytest.raises(SystemExit):
        call_command("schedule", "--state", str(state))
    assert time.monotonic() - started < 3
    assert "schedule: second signal; stopping at once" in lines(logs)
