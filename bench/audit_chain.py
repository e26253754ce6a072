"""Time `verify_audit` on a long audit log and show that its memory stays flat.

Usage: .venv/bin/python bench/audit_chain.py [events] [--db sqlite|postgres] [--checkpoint]
                                             [--rounds N] [--baseline DIR]
(default 200000 events, SQLite). Builds a throwaway database, fills it with hash-chained events
and runs `manage.py verify_audit` under /usr/bin/time at no events (what Django alone takes), a
tenth of the events and all of them: wall time, events a second and peak memory (maximum
resident set size) of each run.

--db sqlite     a database in a temporary folder, deleted afterwards.
--db postgres   database `bench_audit` on --postgres (default postgres://postgres@127.0.0.1:5432,
                trust authentication): dropped and made again, dropped afterwards.
--checkpoint    a signed checkpoint (seal and timestamp of a throwaway authority) at the head
                of each size, as production makes them: verify_audit then checks its seal and
                recomputes the Merkle root over every event up to it.
--baseline DIR  also time verify_audit of another checkout (an older version) on the same
                database, alternating with this one --rounds times, for a before/after comparison.

Events are generated fast: rows built as plain tuples and hashed with audit.services.event_hash
(the reference), inserted by executemany (SQLite) or COPY (PostgreSQL) in batches of 50,000.
Not a test: it prints figures, never fails on time.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_DATABASE = "bench_audit"
BATCH = 50_000
NOTE = "Sudah sesuai dengan hasil rapat koordinasi; lanjutkan ke tahap berikutnya."
LABEL = "Andi Pratama, S.Kom. (Kepala Dinas Komunikasi dan Informatika)"
AGENCY = "Dinas Komunikasi dan Informatika Kota Banjar"
COLUMNS = ("id", "created", "actor_id", "actor_label", "actor_agency", "action", "region_id", "programme_id",
           "process_id", "task_id", "version_id", "details", "prev_hash", "hash")
INSERT = f"INSERT INTO %s ({', '.join(COLUMNS)}) VALUES ({', '.join(['%%s'] * len(COLUMNS))})"  # noqa: S608 - fixed names


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("events", nargs="?", type=int, default=200_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server, no database")
    parser.add_argument("--checkpoint", action="store_true", help="a signed checkpoint at the head of each size")
    parser.add_argument("--rounds", type=int, default=1, help="verify_audit runs per size (and per checkout)")
    parser.add_argument("--baseline", type=Path, help="another checkout to time on the same database")
    return parser.parse_args()


ARGS = parse_args()
WORKDIR = Path(tempfile.mkdtemp(prefix="sepakat-bench-audit-"))
if ARGS.db == "sqlite":
    DATABASE_URL = f"sqlite:///{WORKDIR / 'audit.sqlite3'}"
else:
    DATABASE_URL = f"{ARGS.postgres.rstrip('/')}/{PG_DATABASE}"
ENV = {
    "DJANGO_SETTINGS_MODULE": "sepakat.settings",
    "DATABASE_URL": DATABASE_URL,
    # A throwaway authority for --checkpoint, never the installation's own.
    "SIGNING_AUTHORITY_DIR": str(WORKDIR / "pki"),
    "SEPAKAT_AUTHORITY_SECRET": "rahasia-bench-audit",
    "SEPAKAT_AUTHORITY_SECRET_FILE": "",
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))


def postgres_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{ARGS.postgres.rstrip('/')}/postgres", autocommit=True) as admin:
        admin.execute(statement)


if ARGS.db == "postgres":
    postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    postgres_admin(f"CREATE DATABASE {PG_DATABASE}")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.models import AuditEvent  # noqa: E402
from audit.services import GENESIS_HASH, _payload, event_hash  # noqa: E402


def rows(first_seq: int, count: int, prev_hash: str, start: datetime):
    """`count` chained events after `first_seq - 1`, as database rows (the values Django would store)."""
    postgres = connection.vendor == "postgresql"
    for seq in range(first_seq, first_seq + count):
        created = start + timedelta(microseconds=1000 * seq + seq % 997)
        details = {"step": "review_diskominfo", "decision": "approved", "note": NOTE}
        payload = _payload(seq, created, None, LABEL, AGENCY, "task.finished", None, seq // 60 + 1, seq // 20 + 1,
                           seq, seq // 20 + 1, details)
        digest = event_hash(prev_hash, payload)
        # Django stores an aware datetime in SQLite as naive UTC text, a JSONField as json.dumps of it.
        stored = created if postgres else str(created.astimezone(UTC).replace(tzinfo=None))
        yield (seq, stored, None, LABEL, AGENCY, "task.finished", None, seq // 60 + 1, seq // 20 + 1, seq,
               seq // 20 + 1, json.dumps(details), prev_hash, digest)
        prev_hash = digest


def append(count: int) -> float:
    """Append `count` chained events after the last one; returns the seconds it took."""
    started = time.perf_counter()
    seq, prev_hash = AuditEvent.objects.order_by("-pk").values_list("pk", "hash").first() or (0, GENESIS_HASH)
    when = timezone.now()
    table = AuditEvent._meta.db_table
    for offset in range(0, count, BATCH):
        size = min(BATCH, count - offset)
        batch = list(rows(seq + 1, size, prev_hash, when))
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany(INSERT % table, batch)
        seq, prev_hash = batch[-1][0], batch[-1][-1]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    return time.perf_counter() - started


def checkpoint() -> float:
    from agreements.checkpoints import checkpoint_make

    started = time.perf_counter()
    made = checkpoint_make(reason="bench")
    assert made is not None, "no checkpoint made"
    return time.perf_counter() - started


def verify(root: Path) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds, peak memory in MB, the verdict) of one verify_audit run from checkout `root`."""
    timing = WORKDIR / "time.txt"
    result = subprocess.run(  # noqa: S603 - fixed arguments, no user input
        ["/usr/bin/time", "-o", str(timing), "-f", "%e %U %S %M", sys.executable, "manage.py", "verify_audit"],
        cwd=root, env={**os.environ, **ENV}, capture_output=True, text=True, check=False,
    )
    wall, user, system, peak_kb = timing.read_text().split()[-4:]
    lines = result.stdout.splitlines()
    verdict = next((line for line in lines if line.startswith("Rantai utuh")), None) \
        or f"exit {result.returncode}: {(result.stderr or result.stdout).strip().splitlines()[-1:]}"
    checkpoints = lines[0].rsplit(":", 1)[-1].strip(" .") if lines else "?"
    return float(wall), float(user) + float(system), round(int(peak_kb) / 1024), \
        f"{verdict} (checkpoints: {checkpoints})"


def main() -> None:
    call_command("migrate", verbosity=0)
    if ARGS.checkpoint:
        call_command("init_pki", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    total = ARGS.events
    trees = {"now": ROOT} | ({"baseline": ARGS.baseline.resolve()} if ARGS.baseline else {})
    print(f"verify_audit on {connection.vendor} ({connection.settings_dict['NAME']}), {total} events, "
          f"{'with' if ARGS.checkpoint else 'without'} a checkpoint at the head, {ARGS.rounds} round(s); "
          f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'events':>9} {'gen s':>6} {'ckpt s':>6}  {'tree':<8} {'verify s':>8} {'events/s':>9} {'CPU s':>6} "
          f"{'peak MB':>7}  output")
    done = 0
    for size in (0, total // 10, total):
        generated = append(size - done) if size > done else 0.0
        made = checkpoint() if ARGS.checkpoint and size else 0.0
        done = size
        walls = {name: [] for name in trees}
        for _round in range(ARGS.rounds):
            for name, root in (trees.items() if _round % 2 == 0 else reversed(trees.items())):
                wall, cpu, peak, verdict = verify(root)
                walls[name].append((wall, cpu))
                rate = f"{size / wall:,.0f}" if size else "-"
                print(f"{size:>9} {generated:>6.1f} {made:>6.1f}  {name:<8} {wall:>8.2f} {rate:>9} {cpu:>6.2f} "
                      f"{peak:>7}  {verdict}", flush=True)
        if ARGS.rounds > 1:
            for name, values in walls.items():
                median = statistics.median(wall for wall, _cpu in values)
                cpu = statistics.median(cpu for _wall, cpu in values)
                rate = f"{size / median:,.0f}" if size else "-"
                print(f"{size:>9} {'':>6} {'':>6}  {name:<8} {median:>8.2f} {rate:>9} {cpu:>6.2f} {'':>7}  median "
                      f"of {len(values)}: {' '.join(f'{wall:.2f}' for wall, _cpu in values)}", flush=True)
    print(f"load at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        if ARGS.db == "postgres":
            postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        shutil.rmtree(WORKDIR, ignore_errors=True)
