"""What notices add to a step, and what the deadline sweep costs over many open tasks.

Usage: .venv/bin/python bench/notices.py [open_tasks]   (default 2000)
Builds a throwaway SQLite database in a temporary folder (deleted afterwards): migrate, the signing
authority, the demo world. Then:
1. drives one whole MoU as the demo officials, timing every call of notices_from_event (the receiver of
   each audit event) and counting its queries, against the whole step's time;
2. copies the MoU's open-task shape into `open_tasks` open tasks with their Tenggat past, and times the
   deadline sweep over them (the first run records overdue reminders and escalations, the second
   finds nothing to do).
Not a test: it prints figures, never fails on time.
"""

import copy
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = Path(tempfile.mkdtemp(prefix="sepakat-bench-notices-"))
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "sepakat.settings"
os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'notices.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORKDIR / "media")
os.environ["SIGNING_AUTHORITY_DIR"] = str(WORKDIR / "pki")
os.environ["EMAIL_URL"] = "memorymail://"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

import notices.receivers as receivers  # noqa: E402
from notices import services  # noqa: E402


def measured_receiver():
    timings: list[tuple[str, float, int]] = []
    original = services.notices_from_event

    def timed(event):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            original(event)
            elapsed = time.perf_counter() - started
        timings.append((event.action, elapsed, len(queries)))

    receivers.notices_from_event = timed
    return timings


def main() -> None:
    open_tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    call_command("migrate", verbosity=0)
    call_command("init_pki", verbosity=0)
    from demo.world import COHORT_YEAR, seed_world

    seed_world()
    from agreements.models import Programme
    from demo.driver import run_programme
    from notices.models import Delivery, Notice
    from workflows.models import Stage

    timings = measured_receiver()
    programme = Programme.objects.get(region__slug="kota-banjar", year=COHORT_YEAR)
    started = time.perf_counter()
    run_programme(programme, only_stage=Stage.MOU)
    whole = time.perf_counter() - started
    telling = [t for t in timings if t[2] > 0]
    spent = sum(t[1] for t in timings)
    print(f"one MoU: {whole:.1f} s, {len(timings)} audit events, {Notice.objects.count()} notices, "
          f"{Delivery.objects.count()} deliveries")
    print(f"  notices_from_event: {spent * 1000:.0f} ms in all ({spent / whole:.1%} of the MoU); "
          f"events that tell someone: {len(telling)}, median {statistics.median(t[1] for t in telling) * 1000:.1f} ms "
          f"and {statistics.median(t[2] for t in telling):.0f} queries, "
          f"max {max(t[1] for t in telling) * 1000:.1f} ms / {max(t[2] for t in telling)} queries")
    by_action: dict[str, list] = {}
    for action, elapsed, queries in telling:
        by_action.setdefault(action, []).append((elapsed, queries))
    for action, rows in sorted(by_action.items()):
        print(f"    {action:<24} x{len(rows):<3} median {statistics.median(r[0] for r in rows) * 1000:6.1f} ms, "
              f"{statistics.median(r[1] for r in rows):.0f} queries")
    sweep(open_tasks)


def sweep(count: int) -> None:
    """`count` open tasks whose Tenggat passed ten days ago: the first sweep records an overdue reminder and an
    escalation for each (with their notices and eager deliveries), the second finds nothing left to do."""
    import datetime

    from django.utils import timezone
    from viewflow.workflow.models import Task

    from agreements.models import Programme
    from demo.driver import run_programme
    from demo.world import COHORT_YEAR
    from workflows.deadlines import deadlines_sweep
    from workflows.models import Stage, TaskDeadline

    for programme in Programme.objects.filter(year=COHORT_YEAR).exclude(region__slug="kota-banjar"):
        run_programme(programme, stop_stage=Stage.MOU, stop_step="review_diskominfo")
    open_rows = list(TaskDeadline.objects.filter(task__finished__isnull=True).select_related("task"))
    copies = []
    for index in range(max(0, count - len(open_rows))):
        template = open_rows[index % len(open_rows)]
        task = copy.copy(template.task)
        task.pk = task.id = None
        copies.append((task, template))
    created = Task.objects.bulk_create([task for task, _ in copies])
    TaskDeadline.objects.bulk_create([
        TaskDeadline(task=task, process_id=template.process_id, due=template.due, working_days=template.working_days,
                     escalate_after_days=template.escalate_after_days)
        for task, (_, template) in zip(created, copies, strict=True)])
    TaskDeadline.objects.filter(task__finished__isnull=True).update(
        due=timezone.localdate() - datetime.timedelta(days=10), escalate_after_days=1)
    total = TaskDeadline.objects.filter(task__finished__isnull=True).count()
    print(f"deadline sweep over {total} open tasks, each ten days past its Tenggat:")
    for run in (1, 2):
        connection.queries_log.clear()  # a full log (9,000 entries) would count nothing
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            counts = deadlines_sweep()
            elapsed = time.perf_counter() - started
        done = {k: v for k, v in counts.items() if v}
        counted = f"{len(queries)} queries" if len(queries) < connection.queries_limit else "over 9,000 queries"
        print(f"  run {run}: {elapsed:.1f} s, {counted}, {done or 'nothing to do'}")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)
