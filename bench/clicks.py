"""The approve click and the signature click, end to end over HTTP with a real server.

Usage: .venv/bin/python bench/clicks.py [--stack embedded|production|both] [--cases N] [--keep]

- embedded: a throwaway copy of the embedded default (`make run`): SQLite in a temporary folder, migrate,
  init_pki, seed_demo, `manage.py runserver --noreload` on a free port and `manage.py schedule` beside it;
  Celery eager, so whatever a click queues runs in the request.
- production: gunicorn (gunicorn.conf.py, 2 workers) and a Celery worker, DJANGO_ENV=production, on the
  PostgreSQL database bench_clicks (127.0.0.1:5432, user postgres, dropped and created) and Redis db 6.

Each case is one MoU (bench/_server.py: the free regions' programmes, one more per year). Its drafter opens
and submits it; then every step's official logs in (the real login form, CSRF), claims the task from the
case page, opens its form (a signer sets the demo passphrase first; in production the signing page is
polled until the worker has prepared the document), and the click is timed: the POST that decides
(answered with a redirect), and the POST plus the GET of the page it redirects to, as a browser shows it.

Click kinds: the two reviews' approve clicks; the first paraf (LAIP); the last paraf (Sekda: the case goes
to signing, the document to sign is prepared); the signatures (PAdES with the signer's passphrase; the first
signature a server process makes loads the signing authority). Figures only: nothing fails on time.
"""

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import (  # noqa: E402
    FREE_REGIONS,
    YEAR,
    Browser,
    Embedded,
    Failed,
    Production,
    claim,
    decide,
    decision_form,
    machine_facts,
    mou_steps,
    open_case,
    percentile,
    say,
    step_form,
    summary_ms,
)

KINDS = {
    "review_diskominfo": "approve (review)",
    "review_legal": "approve (review)",
    "paraf_laip": "approve (paraf, not last)",
    "paraf_sekda": "approve (last paraf)",
    "sign_region": "signature",
    "sign_ministry": "signature",
}
ORDER = ["approve (review)", "approve (paraf, not last)", "approve (last paraf)", "signature (first of the run)",
         "signature"]


def cases_for(count: int) -> list[tuple[str, int]]:
    return [(FREE_REGIONS[i % len(FREE_REGIONS)], YEAR + i // len(FREE_REGIONS)) for i in range(count)]


def run_stack(stack, count: int) -> dict[str, list[tuple[float, float]]]:
    say(f"== {stack.name}: preparing in {stack.workdir}")
    stack.prepare()
    cases = cases_for(count)
    stack.add_programmes(FREE_REGIONS, sorted({year for _, year in cases}))
    timings: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_step: dict[str, list[float]] = defaultdict(list)
    with stack:
        say(f"   {stack.name} serving on port {stack.port}")
        browsers: dict[str, Browser] = {}

        def browser(who: str) -> Browser:
            if who not in browsers:
                browsers[who] = stack.browser(who)
            return browsers[who]

        first_signature = True
        for number, (region, year) in enumerate(cases, 1):
            drafter = browser("laip.staf")
            case = open_case(drafter, region, year)
            execute = claim(drafter, case, "draft")
            form = step_form(drafter.get(execute), "title", drafter.who, "draft")
            drafter.expect(drafter.submit(form, execute), "submitting the draft", (302,))
            line = []
            for step, who, decision in mou_steps(region)[1:]:
                official = browser(who)
                execute = claim(official, case, step)
                form, _ = decision_form(official, execute, step, stack.passphrase)
                answer = decide(official, form, execute, step, decision, stack.passphrase)
                official.expect(answer, f"the {step} click", (302,))
                follow = official.request("GET", answer.location or "/")
                official.expect(follow, f"the page after {step}", (200,))
                kind = KINDS[step]
                if kind == "signature" and first_signature:
                    kind, first_signature = "signature (first of the run)", False
                timings[kind].append((answer.seconds, answer.seconds + follow.seconds))
                by_step[step].append(answer.seconds)
                line.append(f"{step} {answer.seconds * 1000:.0f}")
            say(f"   case {number}/{len(cases)} {region} {year} {case}: " + ", ".join(line) + " ms")
    stack.by_step = by_step
    return timings


def report(name: str, timings: dict[str, list[tuple[float, float]]], by_step) -> None:
    print()
    print(f"### {name}")
    print()
    print("| click | n | POST p50 | POST p95 | POST max | with redirect p50 | with redirect p95 |")
    print("|---|---|---|---|---|---|---|")
    for kind in ORDER:
        values = timings.get(kind, [])
        if not values:
            continue
        post = sorted(v[0] * 1000 for v in values)
        full = sorted(v[1] * 1000 for v in values)
        print(f"| {kind} | {len(values)} | {percentile(post, .5):.0f} ms | {percentile(post, .95):.0f} ms | "
              f"{max(post):.0f} ms | {percentile(full, .5):.0f} ms | {percentile(full, .95):.0f} ms |")
    print()
    for step, values in by_step.items():
        print(f"    {step:<18} POST {summary_ms(values)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", choices=["embedded", "production", "both"], default="embedded")
    parser.add_argument("--cases", type=int, default=4, help="MoU cases per stack (default 4)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders (and the database)")
    options = parser.parse_args()
    print(f"clicks: {machine_facts()}", flush=True)
    names = ["embedded", "production"] if options.stack == "both" else [options.stack]
    results = {}
    for name in names:
        stack = (Embedded if name == "embedded" else Production)(keep=options.keep)
        started = time.monotonic()
        try:
            results[name] = (run_stack(stack, options.cases), stack.by_step)
        except Failed as failure:
            print(f"{name}: FAILED: {failure}", flush=True)
            for log in sorted(stack.logs.glob("*.log")):
                if log.stem in ("web", "worker", "schedule"):
                    print(f"----- {log.name} (last lines) -----\n" + "\n".join(log.read_text().splitlines()[-30:]))
            stack.keep = True
            print(f"kept {stack.workdir}")
        finally:
            stack.stop()
            stack.cleanup()
        say(f"   {name}: {time.monotonic() - started:.0f} s")
    print()
    print(f"Clicks, {machine_facts()}; cases per stack: {options.cases}")
    for name, (timings, by_step) in results.items():
        report(name, timings, by_step)
    return 0 if len(results) == len(names) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
