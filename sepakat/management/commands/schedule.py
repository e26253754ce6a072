"""``manage.py schedule``: Celery beat's schedule, run in this process, for the embedded default.

The embedded default (``make run``) has no broker, no worker and no beat: its Celery tasks run eagerly, in
the process that queues them. This command reads ``settings.CELERY_BEAT_SCHEDULE`` (one schedule for both
ways of running) and runs each entry's task in process (``task.apply()``) when it is due, by the entry's own
Celery schedule (``crontab`` or seconds). Each run is logged with its result and duration; a task that
raises is logged with its traceback and the loop goes on (the entry runs again at its next time).

- The last run of each entry is kept in a small JSON file (``var/schedule.json`` by default), as beat keeps
  its schedule file: a daily job missed while Sepakat was stopped runs once when it starts again. An entry
  with no run recorded (a new database, a new entry) is due at once.
- ``worker-heartbeat`` is not run: its row proves that a worker takes tasks from a broker, which nothing
  here does (sepakat.health reports the broker and the worker as not used when tasks run eagerly). Every
  other entry runs in process: the sweeps of preparations and deliveries send their work again through the
  same eager path a request uses; the hourly audit checkpoint, the deadlines sweep and the daily jobs (role
  sync, archive renewal, storage check, digests) as a worker would run them. One entry at a time: a long one
  (the archive renewal of a large archive) delays the others until it ends.
- ``--once`` runs every entry that is due and exits (tests, cron). SIGTERM, and SIGINT unless the process
  was started with it ignored (a background job of a shell script, as in ``make run``, whose trap decides),
  stop the loop after the running task; a second signal stops it at once (a task's transaction rolls back).
- Production runs ``celery beat`` and workers (``make beat``, ``make worker``): there this command refuses
  to start, so that no job runs twice.
"""

import fcntl
import json
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from celery.schedules import BaseSchedule, maybe_schedule
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from sepakat.celery import app

logger = logging.getLogger(__name__)

# Entries that make no sense without a broker and a worker, and why (logged when the loop starts).
NOT_IN_PROCESS = {
    "worker-heartbeat": "its heartbeat proves that a worker takes tasks from the broker; none is used here",
}
MAX_SLEEP = 30.0  # seconds: the loop looks again at least this often (a changed clock, a signal)

NOT_EMBEDDED = ("manage.py schedule hanya untuk bawaan tertanam (tugas Celery dijalankan langsung, "
                "CELERY_TASK_ALWAYS_EAGER): di produksi jalankan celery beat dan worker (make beat, make worker).")
UNKNOWN_ENTRY = "Jadwal tidak mengenal entri {names}; entri yang ada: {known}."


@dataclass
class Entry:
    name: str
    task: str
    schedule: BaseSchedule
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    last_run_at: datetime | None = None

    def due(self) -> tuple[bool, float]:
        """(due now, seconds until it should be looked at again); never run: due at once."""
        if self.last_run_at is None:
            return True, 0.0
        is_due, next_seconds = self.schedule.is_due(self.last_run_at)
        return bool(is_due), float(next_seconds)


def _every_few_seconds(entry) -> bool:
    run_every = getattr(entry.schedule, "run_every", None)
    return run_every is not None and run_every.total_seconds() < 60


def entries_of(beat_schedule: dict, only=None) -> list[Entry]:
    return [
        Entry(name, spec["task"], maybe_schedule(spec["schedule"], app=app), tuple(spec.get("args", ())),
              dict(spec.get("kwargs", {})))
        for name, spec in beat_schedule.items()
        if name not in NOT_IN_PROCESS and (not only or name in only)
    ]


def _fresh_connections() -> None:
    """As a worker does around each task: drop a connection that is broken or past CONN_MAX_AGE (not one in a
    transaction, which only a caller's test has open)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


class Scheduler:
    def __init__(self, entries: list[Entry], state_path: Path):
        self.entries = entries
        self.state_path = state_path
        self.running: Entry | None = None
        self._load()

    def _load(self) -> None:
        try:
            state = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            logger.warning("schedule: state file %s unreadable; every entry counts as never run", self.state_path)
            return
        for entry in self.entries:
            if isinstance(state.get(entry.name), str):
                try:
                    entry.last_run_at = datetime.fromisoformat(state[entry.name])
                except ValueError:
                    continue

    def _save(self) -> None:
        try:
            state = json.loads(self.state_path.read_text()) if self.state_path.exists() else {}
        except (OSError, ValueError):
            state = {}
        state.update({e.name: e.last_run_at.isoformat() for e in self.entries if e.last_run_at is not None})
        temporary = self.state_path.with_name(self.state_path.name + ".tmp")
        temporary.write_text(json.dumps(state, indent=1, sort_keys=True))
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.state_path)

    def run(self, entry: Entry) -> bool:
        """Run one entry's task in process; False when it raised (logged, with its traceback)."""
        task = app.tasks.get(entry.task)
        entry.last_run_at = app.now()  # even when it fails: it runs again at its next time, not in a loop
        if task is None:
            logger.error("schedule: %s names task %s, which no app defines; skipped", entry.name, entry.task)
            self._save()
            return False
        self.running = entry
        started = time.monotonic()
        _fresh_connections()
        try:
            result = task.apply(args=entry.args, kwargs=entry.kwargs, throw=True)
        except Exception:
            logger.exception("schedule: %s (%s) failed after %.2f s", entry.name, entry.task,
                             time.monotonic() - started)
            return False
        else:
            # An entry run every few seconds (the embedded default's preparations sweep) logs only when it did
            # something: otherwise the log is one line every 3 s.
            quiet = not result.result and _every_few_seconds(entry)
            logger.log(logging.DEBUG if quiet else logging.INFO, "schedule: %s (%s) done in %.2f s: %r",
                       entry.name, entry.task, time.monotonic() - started, result.result)
            return True
        finally:
            self.running = None
            _fresh_connections()
            self._save()

    def run_due(self, stop: threading.Event | None = None) -> float:
        """Run every entry that is due, in the schedule's order; the seconds until the next one is due."""
        wait = MAX_SLEEP
        for entry in self.entries:
            if stop is not None and stop.is_set():
                break
            due, next_seconds = entry.due()
            if due:
                self.run(entry)
                _due, next_seconds = entry.due()
            wait = min(wait, next_seconds)
        return max(wait, 0.0)


ALREADY_RUNNING = ("Jadwal sudah berjalan di proses lain ({path} terkunci): dua penjadwal pada satu basis data "
                   "menjalankan tugas yang sama dua kali. Hentikan yang lain dahulu.")


def _one_at_a_time(path: Path):
    """An exclusive lock on a file beside the state, or CommandError: two `make run`s, or a cron'd --once beside
    one, would run the same jobs at once on one database. The OS drops the lock when the process ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a")  # noqa: SIM115 - kept open (and locked) for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise CommandError(ALREADY_RUNNING.format(path=path)) from None
    return handle


class Command(BaseCommand):
    help = ("Run the tasks of CELERY_BEAT_SCHEDULE in this process at their times (the embedded default's "
            "Celery beat; production runs celery beat and workers).")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every entry that is due, then exit")
        parser.add_argument("--entry", action="append", dest="only", metavar="NAME",
                            help="only this entry of CELERY_BEAT_SCHEDULE (repeatable); all by default")
        parser.add_argument("--state", type=Path, default=None,
                            help="file keeping each entry's last run (default: var/schedule.json)")

    def handle(self, *args, **options):
        if not app.conf.task_always_eager:
            raise CommandError(NOT_EMBEDDED)
        beat_schedule = settings.CELERY_BEAT_SCHEDULE
        only = options["only"] or []
        unknown = sorted(set(only) - set(beat_schedule))
        if unknown:
            raise CommandError(UNKNOWN_ENTRY.format(names=", ".join(unknown), known=", ".join(beat_schedule)))
        app.autodiscover_tasks(force=True)  # every app's tasks module, as a worker imports them
        state_path = options["state"] or Path(settings.VAR_DIR) / "schedule.json"
        _held = _one_at_a_time(state_path.with_suffix(".lock"))  # noqa: F841 - locked while this command runs
        scheduler = Scheduler(entries_of(beat_schedule, only), state_path)
        if options["once"]:
            scheduler.run_due()
            return
        stop = threading.Event()
        previous = self._stop_on_signals(stop, scheduler)
        skipped = [f"{name} ({why})" for name, why in NOT_IN_PROCESS.items() if name in beat_schedule]
        logger.info("schedule: started with %s; not run in process: %s",
                    ", ".join(e.name for e in scheduler.entries), "; ".join(skipped) or "none")
        try:
            while not stop.is_set():
                wait = scheduler.run_due(stop)
                stop.wait(min(wait, MAX_SLEEP) if wait > 0 else 0.5)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        logger.info("schedule: stopped")

    @staticmethod
    def _stop_on_signals(stop: threading.Event, scheduler: Scheduler) -> dict:
        """Install the handlers; returns the ones they replace."""
        def stop_now_or_after_the_task(signum, frame):
            if stop.is_set():
                logger.warning("schedule: second signal; stopping at once")
                raise SystemExit(1)
            stop.set()
            running = scheduler.running
            logger.info("schedule: signal %s; stopping%s", signal.Signals(signum).name,
                        f" once {running.name} has finished" if running else "")

        previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, stop_now_or_after_the_task)}
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            previous[signal.SIGINT] = signal.signal(signal.SIGINT, stop_now_or_after_the_task)
        return previous
