"""Time `verify_audit` on a long audit log and show that its memory stays flat.

Usage: .venv/bin/python bench/audit_chain.py [events]   (default 200000)
Builds a throwaway SQLite database in a temporary folder (deleted afterwards), fills it
with hash-chained events by bulk_create, and runs `manage.py verify_audit` under
/usr/bin/time at a tenth of the events and at all of them: wall time and peak memory
(maximum resident set size) for each. Not a test: it prints figures, never fails on time.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = Path(tempfile.mkdtemp(prefix="sepakat-bench-audit-"))
DATABASE_URL = f"sqlite:///{WORKDIR / 'audit.sqlite3'}"
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "sepakat.settings"
os.environ["DATABASE_URL"] = DATABASE_URL

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.models import AuditEvent  # noqa: E402
from audit.services import GENESIS_HASH, event_hash, event_payload  # noqa: E402

BATCH = 5000
NOTE = "Sudah sesuai dengan hasil rapat koordinasi; lanjutkan ke tahap berikutnya."


def append(count: int) -> float:
    """Append `count` chained events after the last one; returns the seconds it took."""
    started = time.perf_counter()
    last = AuditEvent.objects.order_by("-pk").values_list("pk", "hash").first()
    seq, prev_hash = last or (0, GENESIS_HASH)
    when = timezone.now()
    for start in range(0, count, BATCH):
        batch = []
        for _ in range(min(BATCH, count - start)):
            seq += 1
            event = AuditEvent(
                pk=seq, created=when + timedelta(milliseconds=seq), actor=None,
                actor_label="Andi Pratama, S.Kom. (Kepala Dinas Komunikasi dan Informatika)",
                actor_agency="Dinas Komunikasi dan Informatika Kota Banjar", action="task.finished",
                programme_id=seq // 60 + 1, process_id=seq // 20 + 1, task_id=seq, version_id=seq // 20 + 1,
                details={"step": "review_diskominfo", "decision": "approved", "note": NOTE}, prev_hash=prev_hash,
            )
            event.hash = prev_hash = event_hash(prev_hash, event_payload(event))
            batch.append(event)
        AuditEvent.objects.bulk_create(batch)
    return time.perf_counter() - started


def verify() -> tuple[str, str, str]:
    """(wall seconds, peak memory in MB, the command's first line) of one verify_audit run."""
    timing = WORKDIR / "time.txt"
    result = subprocess.run(  # noqa: S603 - fixed arguments, no user input
        ["/usr/bin/time", "-o", str(timing), "-f", "%e %M", sys.executable, "manage.py", "verify_audit"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": DATABASE_URL}, capture_output=True, text=True, check=True,
    )
    wall, peak_kb = timing.read_text().split()[-2:]
    return wall, f"{int(peak_kb) / 1024:.0f}", result.stdout.splitlines()[0]


def main(total: int) -> None:
    call_command("migrate", verbosity=0)
    print(f"verify_audit on SQLite, {total} events (database in {WORKDIR}, deleted afterwards)")
    print(f"{'events':>10} {'generate s':>11} {'verify s':>9} {'peak MB':>8}  output")
    done = 0
    for size in (0, total // 10, total):  # 0: what Django alone takes
        generated = append(size - done)
        done = size
        wall, peak, line = verify()
        print(f"{size:>10} {generated:>11.1f} {wall:>9} {peak:>8}  {line}")


if __name__ == "__main__":
    try:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)
