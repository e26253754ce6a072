"""Generate a national-scale world (issue 15) into a fresh SQLite file or PostgreSQL database, fast.

Usage:
    .venv/bin/python bench/world.py --db sqlite|postgres --open-tasks 10000 [--events 100000] [--name NAME]
        [--regions 1200] [--seed 15]

SQLite: var/bench/NAME.sqlite3; PostgreSQL: database bench_NAME on postgres://postgres@127.0.0.1:5432 (dropped
and made again). Then: migrate, init_pki, seed_world() and the `admin` superuser (the demo officials with their
real roles and guardian permissions), and bulk inserts of everything else: regions up to --regions with their
five agencies and seven officials each (assignments and guardian permissions copied from a demo region's),
programmes over as many cohort years as the open-task target needs, their cases (viewflow Process + StageProcess)
at realistic points of the three flows with documents, versions, decisions, finished and open viewflow tasks,
a Tenggat per human task (some overdue), notices, and the audit events of all of it in one valid hash chain
(padded with logins and downloads up to --events). Prints each phase's time; writes var/bench/world-*-NAME.json
(counts, timings, the usernames to use per kind of user, the DATABASE_URL).

Not generated: PDFs (StoredPdf, signatures), articles and chapters of versions, e-mail deliveries, the gateway
tasks after each decision (check_* If/Switch nodes; the split, join, start, close and end tasks are there).
"""

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._world_db import database_reset, database_url, sidecar_path  # noqa: E402

UTC = datetime.UTC


class Clock:
    def __init__(self):
        self.started = time.perf_counter()
        self.phases: dict[str, float] = {}
        self._last = self.started

    def done(self, phase: str, note: str = "") -> None:
        now = time.perf_counter()
        self.phases[phase] = round(now - self._last, 2)
        self._last = now
        print(f"  {phase:<30} {self.phases[phase]:7.1f} s   (at {now - self.started:7.1f} s)  {note}", flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--open-tasks", type=int, required=True)
    parser.add_argument("--events", type=int, default=0, help="pad the audit log up to this many events")
    parser.add_argument("--name", default="")
    parser.add_argument("--regions", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    if not args.name:
        args.name = f"w{args.open_tasks // 1000}k" if args.open_tasks >= 1000 else f"w{args.open_tasks}"
    return args


def main() -> None:
    args = parse_args()
    url = database_url(args.db, args.name)
    os.environ["DJANGO_SETTINGS_MODULE"] = "sepakat.settings"
    os.environ["DATABASE_URL"] = url
    print(f"world {args.name} on {args.db}: {url}; {args.open_tasks} open tasks, {args.regions} regions, "
          f"events >= {args.events}; load {os.getloadavg()[0]:.2f}", flush=True)
    clock = Clock()
    database_reset(args.db, args.name)
    import django

    django.setup()
    from bench._world_gen import Generator

    clock.done("reset + django.setup")
    generator = Generator(args, clock)
    generator.run()
    summary = generator.summary()
    summary.update(database_url=url, db=args.db, name=args.name, timings=clock.phases,
                   total_seconds=round(time.perf_counter() - clock.started, 1),
                   generated_at=datetime.datetime.now(UTC).isoformat(timespec="seconds"))
    path = sidecar_path(args.db, args.name)
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(json.dumps({k: v for k, v in summary.items() if k not in ("timings", "tables")}, indent=2,
                     ensure_ascii=False))
    print("tables:", json.dumps(summary["tables"]))
    print(f"sidecar: {path}\ntotal {summary['total_seconds']} s")


if __name__ == "__main__":
    main()

