"""The embedded default under load: N officials at once, each approving reviews as fast as the server answers.

Usage: .venv/bin/python bench/load_sqlite.py [--users 5,10,20,40] [--duration 40] [--cases-per-region 24]
                                             [--think 0] [--state DIR] [--keep]

A throwaway copy of the embedded default (bench/_server.py: SQLite in a temporary folder, seed_demo,
`manage.py runserver --noreload` with `manage.py schedule` beside it, Celery eager), with a pool of MoU cases
whose two parallel reviews wait (`--cases-per-region` per demo region, opened through demo.driver, as
seed_demo does). The prepared state is copied and put back before every level, so each starts alike;
`--state DIR` keeps it there for the next run (delete DIR after changing the schema or the demo world).

Each simulated user is its own session (logged in through the real form) of one region's reviewer
(Diskominfo) or legal verifier (Bagian Hukum), with cases of its own, and loops for `--duration` seconds:
open the home page and the case page (page views), claim the task, open its form, POST the approval (the
decision) and GET the page it redirects to. A failed request is counted by kind (HTTP status, "database is
locked", the busy page, a timeout) and the user goes on with its next case.

Printed per level: decisions per second, latency p50/p95/max of the decision POSTs and of every request, and
the errors by kind. Load average and date. Figures only: nothing fails on time.
"""

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from http.client import HTTPException
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import (  # noqa: E402
    Browser,
    Embedded,
    Failed,
    Unexpected,
    decide,
    forms_of,
    machine_facts,
    percentile,
    say,
    step_link,
)

REGIONS = ["kab-bangli", "kab-bone-bolango", "kab-gianyar", "kab-pekalongan", "kab-purbalingga", "kab-serang",
           "kab-tanah-bumbu", "kota-banjar", "kota-parepare", "kota-solok"]  # demo/world.py
ROLES = [("kominfo", "review_diskominfo"), ("hukum", "review_legal")]
FIRST_YEAR = 2030  # the pool's programmes, clear of the seed's 2024 ones
BUSY_TEXT = "Server sedang sibuk"

POOL = """
from agreements.models import Programme, Region
from demo.driver import advance
from workflows import services
for slug in {regions!r}:
    region = Region.objects.get(slug=slug)
    for year in range({first}, {first} + {count}):
        programme, _ = Programme.objects.get_or_create(region=region, year=year)
        process = services.stage_open(programme=programme, stage="mou")
        advance(process, until_step="review_diskominfo")
        print("POOL", slug, process.pk)
"""


def prepare(state: Path, cases_per_region: int, keep: bool) -> tuple[dict[str, list[int]], str]:
    """The seeded copy with its pool of cases, in `state` (made unless it is there already)."""
    cases_file = state / "cases.txt"
    if not cases_file.exists():
        say(f"preparing the embedded default and {cases_per_region * len(REGIONS)} cases in {state}")
        stack = Embedded(keep=keep)
        try:
            stack.prepare()
            out = stack.shell("pool", POOL.format(regions=REGIONS, first=FIRST_YEAR, count=cases_per_region))
            stack.snapshot(state)
            (state / "password.txt").write_text(stack.password)
            cases_file.write_text("".join(line + "\n" for line in out.splitlines() if line.startswith("POOL ")))
        finally:
            stack.cleanup()
    cases: dict[str, list[int]] = {}
    for line in cases_file.read_text().splitlines():
        _, slug, pk = line.split()
        cases.setdefault(slug, []).append(int(pk))
    return cases, (state / "password.txt").read_text()


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[float] = []
        self.decisions: list[float] = []
        self.errors: Counter = Counter()
        self.out_of_cases = 0

    def request(self, seconds: float) -> None:
        with self.lock:
            self.requests.append(seconds)

    def decision(self, seconds: float) -> None:
        with self.lock:
            self.decisions.append(seconds)

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1


def error_kind(error: Exception) -> str:
    if isinstance(error, Unexpected) and error.answer is not None:
        answer = error.answer
        if answer.status == 503 and BUSY_TEXT in answer.text:
            return f"503 busy page (Retry-After {answer.headers.get('retry-after', '-')})"
        if "database is locked" in answer.text:
            return f"{answer.status} database is locked"
        return f"HTTP {answer.status}"
    if isinstance(error, TimeoutError):
        return "client timeout"
    if isinstance(error, (OSError, HTTPException)):
        return f"connection: {type(error).__name__}"
    return f"{type(error).__name__}: {str(error)[:80]}"


class TimedBrowser(Browser):
    """Records every request's time; the recorder is the level's."""

    recorder: Recorder

    def request(self, method, path, body=None, content_type=""):
        answer = super().request(method, path, body, content_type)
        self.recorder.request(answer.seconds)
        return answer


def user_loop(browser: TimedBrowser, step: str, cases: list[int], deadline: float, think: float,
              recorder: Recorder, start: threading.Barrier) -> None:
    start.wait()
    for pk in cases:
        if time.monotonic() >= deadline:
            return
        case = f"/sepakat/kasus/{pk}/"
        try:
            browser.get("/sepakat/")
            page = browser.get(case)
            link = step_link(page, step, "assign")
            if link is None:
                raise Failed(f"{browser.who}: no claim of {step} on {case}")
            browser.expect(browser.submit(next(f for f in forms_of(page) if f["action"] == link), case),
                           "claim", (302,))
            execute = step_link(browser.get(case), step, "execute")
            if execute is None:
                raise Failed(f"{browser.who}: no form of {step} on {case} after claiming")
            page = browser.get(execute)
            form = next(f for f in forms_of(page) if "decision" in f["options"])
            answer = decide(browser, form, execute, step, "approved", "")
            browser.expect(answer, "decision", (302,))
            recorder.decision(answer.seconds)
            browser.get(answer.location or "/sepakat/")
        except (Failed, OSError, HTTPException, StopIteration) as error:
            recorder.error(error_kind(error))
            time.sleep(0.2)
        if think:
            time.sleep(think)
    recorder.out_of_cases += 1


def level(state: Path, workdir: Path, cases: dict[str, list[int]], password: str, users: int, duration: float,
          think: float, timeout: float) -> dict:
    stack = Embedded(workdir=workdir, keep=True)
    stack.restore(state)
    recorder = Recorder()
    TimedBrowser.recorder = Recorder()  # logging in is not measured
    with stack:
        # Users: (region, role) pairs in turn; the cases of a region split among the users of each role.
        pairs = [(REGIONS[(i // len(ROLES)) % len(REGIONS)], ROLES[i % len(ROLES)]) for i in range(users)]
        sharing = Counter(pairs)
        seen: Counter = Counter()
        plan = []
        for region, (suffix, step) in pairs:
            index = seen[(region, (suffix, step))]
            seen[(region, (suffix, step))] += 1
            mine = cases[region][index::sharing[(region, (suffix, step))]]
            browser = TimedBrowser(stack, f"{region}.{suffix}", timeout=timeout)
            browser.log_in(password)
            plan.append((browser, step, mine))
        TimedBrowser.recorder = recorder
        barrier = threading.Barrier(users + 1)
        started = time.monotonic() + 0.0
        deadline = started + duration
        threads = [threading.Thread(target=user_loop, args=(b, s, c, deadline, think, recorder, barrier))
                   for b, s, c in plan]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.monotonic()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        stack.check_alive()
    server_log = stack.log("web")
    return {"users": users, "elapsed": elapsed, "recorder": recorder, "load": os.getloadavg(),
            "locked_in_log": server_log.count("database is locked"),
            "busy_in_log": server_log.count("database busy")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="5,10,20,40", help="the levels: concurrent users, comma-separated")
    parser.add_argument("--duration", type=float, default=40, help="seconds per level (default 40)")
    parser.add_argument("--cases-per-region", type=int, default=24, help="pool size (default 24 per region)")
    parser.add_argument("--think", type=float, default=0.0, help="seconds each user waits between cases")
    parser.add_argument("--client-timeout", type=float, default=120, help="seconds before a request is given up")
    parser.add_argument("--state", type=Path, help="keep the prepared state here, reuse it next time")
    parser.add_argument("--label", default="", help="a name for this run in the table (e.g. before, after)")
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    levels = [int(n) for n in options.users.split(",")]
    print(f"load_sqlite: {machine_facts()}", flush=True)
    state = options.state or Path(tempfile.gettempdir()) / f"sepakat-load-state-{os.getpid()}"
    cases, password = prepare(state, options.cases_per_region, options.keep)
    workdir = Path(str(state) + "-run")
    results = []
    try:
        for users in levels:
            say(f"-- {users} users, {options.duration:.0f} s")
            result = level(state, workdir, cases, password, users, options.duration, options.think,
                           options.client_timeout)
            results.append(result)
            r = result["recorder"]
            say(f"   {len(r.decisions)} decisions in {result['elapsed']:.1f} s, errors {dict(r.errors)}")
    finally:
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            if options.state is None:
                shutil.rmtree(state, ignore_errors=True)
    print()
    print(f"load_sqlite {options.label}: {machine_facts()}; {options.duration:.0f} s per level, think "
          f"{options.think:g} s")
    print()
    print("| users | decisions/s | decision p50 | decision p95 | decision max | request p50 | request p95 | "
          "request max | requests | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for result in results:
        r = result["recorder"]
        d = [s * 1000 for s in r.decisions] or [0.0]
        q = [s * 1000 for s in r.requests] or [0.0]
        errors = ", ".join(f"{kind}: {n}" for kind, n in r.errors.most_common()) or "none"
        print(f"| {result['users']} | {len(r.decisions) / result['elapsed']:.2f} | {percentile(d, .5):.0f} ms | "
              f"{percentile(d, .95):.0f} ms | {max(d):.0f} ms | {percentile(q, .5):.0f} ms | "
              f"{percentile(q, .95):.0f} ms | {max(q):.0f} ms | {len(r.requests)} | {errors} |")
    print()
    for result in results:
        print(f"  {result['users']} users: load after {' '.join(f'{x:.2f}' for x in result['load'])}; "
              f"server log: {result['locked_in_log']} 'database is locked', {result['busy_in_log']} "
              f"'database busy'; users out of cases: {result['recorder'].out_of_cases}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
