"""Time every list and detail page each kind of user opens, against a world made by bench/world.py.

Usage:
    .venv/bin/python bench/pages.py --db sqlite|postgres --name NAME [--repeat 7] [--json out.json]
        [--compare before.json] [--pages SUBSTR,...] [--users KIND,...] [--slow 10]

In process, with Django's test Client (force_login): per page one warm-up request, then --repeat timed ones
(a page whose warm-up took over --slow seconds is reported from that single run). Prints page, user, p50 and
p95 in ms, queries (CaptureQueriesContext, of the last run), HTML KB and status; --json writes the results,
--compare prints before/after side by side with the ratio. --pages keeps the pages whose label contains one of
the given substrings (e.g. --pages inbox,queue,case). Figures only: nothing here fails on time.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._world_db import database_url, sidecar_path  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--compare", help="a --json file of an earlier run: before/after side by side")
    parser.add_argument("--pages", default="", help="comma-separated substrings of page labels to keep")
    parser.add_argument("--users", default="", help="comma-separated user kinds to keep")
    parser.add_argument("--slow", type=float, default=10.0, help="a warm-up over this many seconds: single run")
    return parser.parse_args()


def pages_for(kind: str, ctx: dict) -> list[tuple[str, str]]:
    """(label, path) of what this kind of user opens."""
    from django.urls import reverse

    region, year = ctx["region"], ctx["year"]
    common = [
        ("root /", "/"),
        ("programme list", reverse("sepakat:index")),
        ("programme page", reverse("sepakat:programme", args=[region, year])),
        ("case page (open)", reverse("sepakat:case_detail", args=[ctx["open_case"]])),
        ("case page (completed)", reverse("sepakat:case_detail", args=[ctx["done_case"]])),
        ("inbox", reverse("workflow:inbox")),
        ("queue", reverse("workflow:queue")),
        ("archive", reverse("workflow:archive")),
    ]
    for flow in ("mou", "regulation", "masterplan"):
        common += [
            (f"{flow} dashboard", reverse(f"workflow:flows:{flow}:index")),
            (f"{flow} process list", reverse(f"workflow:flows:{flow}:process_list")),
            (f"{flow} task list", reverse(f"workflow:flows:{flow}:task_list")),
        ]
    common += [
        ("notice centre", reverse("notices:list")),
        ("delegations", reverse("sepakat:delegations")),
        ("step roles", reverse("sepakat:step_roles")),
    ]
    audit = [
        ("audit timeline all", reverse("audit:index")),
        ("audit timeline region", reverse("audit:region", args=[region])),
        ("audit timeline programme", reverse("audit:programme", args=[ctx["programme_pk"]])),
        ("audit timeline case", reverse("audit:process", args=[ctx["open_case"]])),
        ("audit timeline official", reverse("audit:official", args=[ctx["official"]])),
        ("analytics", reverse("audit:analytics")),
        ("refusals", reverse("audit:refusals")),
    ]
    admin = [
        ("admin regions", reverse("admin:agreements_region_changelist")),
        ("admin agencies", reverse("admin:agreements_agency_changelist")),
        ("admin role assignments", reverse("admin:permissions_roleassignment_changelist")),
        ("admin users", reverse("admin:auth_user_changelist")),
    ]
    if kind in ("regional_auditor", "national_auditor"):
        return common[:5] + audit
    if kind == "administrator":
        return common + audit + admin
    return common


def context() -> dict:
    from agreements.models import Programme
    from bench._world_gen import REGION_SLUG, USERS
    from workflows.models import StageProcess

    cases = StageProcess.objects.filter(programme__region__slug=REGION_SLUG)
    open_case = cases.filter(outcome="open").order_by("-pk").first()
    done_case = cases.filter(outcome="completed").order_by("-pk").first() or open_case
    programme = open_case.programme if open_case else Programme.objects.filter(region__slug=REGION_SLUG).first()
    return {"region": REGION_SLUG, "year": programme.year, "programme_pk": programme.pk,
            "open_case": open_case.pk, "done_case": done_case.pk, "official": USERS["region_approver"],
            "users": USERS}


def measure(client, path: str, repeat: int, slow: float) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    connection.queries_log.clear()  # a deque of 9,000: once full, CaptureQueriesContext would count 0
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path)
        warm = time.perf_counter() - started
    result = {"status": response.status_code, "kb": round(len(response.content) / 1024, 1),
              "queries": len(queries), "warmup_ms": round(warm * 1000, 1)}
    if warm > slow or repeat <= 0:
        times = [warm]
        result["single_run"] = True
    else:
        for _ in range(repeat):
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
        result.update(status=response.status_code, kb=round(len(response.content) / 1024, 1),
                      queries=len(queries))
    ordered = sorted(times)
    result["p50_ms"] = round(statistics.median(ordered) * 1000, 1)
    result["p95_ms"] = round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered) + 0.5) - 1)] * 1000, 1) \
        if len(ordered) > 1 else result["p50_ms"]
    result["runs"] = len(times)
    return result


def load_compare(path: str | None) -> dict:
    if not path:
        return {}
    data = json.loads(Path(path).read_text())
    return {(r["user"], r["page"]): r for r in data["results"]}


def main() -> None:
    args = parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "sepakat.settings"
    os.environ["DATABASE_URL"] = database_url(args.db, args.name)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    sidecar = sidecar_path(args.db, args.name)
    world = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    load = os.getloadavg()
    print(f"pages on {args.db} world {args.name} ({world.get('open_tasks', '?')} open tasks, "
          f"{world.get('events', '?')} events, {world.get('cases', '?')} cases); "
          f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M:%S} UTC; load {' '.join(f'{x:.2f}' for x in load)}; "
          f"repeat {args.repeat}", flush=True)
    ctx = context()
    before = load_compare(args.compare)
    wanted_pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    wanted_users = [u.strip() for u in args.users.split(",") if u.strip()]
    header = f"{'page':<28} {'user':<22} {'p50 ms':>9} {'p95 ms':>9} {'queries':>7} {'KB':>7} {'st':>4}"
    if before:
        header += f" | {'before p50':>10} {'q':>5} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    results = []
    user_model = get_user_model()
    for kind, username in ctx["users"].items():
        if kind in ("region_sekda", "central_drafter") and kind not in wanted_users:
            continue
        if wanted_users and kind not in wanted_users:
            continue
        client = Client()
        client.force_login(user_model.objects.get(username=username))
        for label, path in pages_for(kind, ctx):
            if wanted_pages and not any(w in label for w in wanted_pages):
                continue
            result = measure(client, path, args.repeat, args.slow)
            result.update(page=label, user=kind, username=username, path=path)
            results.append(result)
            line = (f"{label:<28} {kind:<22} {result['p50_ms']:>9.1f} {result['p95_ms']:>9.1f} "
                    f"{result['queries']:>7} {result['kb']:>7.1f} {result['status']:>4}"
                    f"{' (1 run)' if result.get('single_run') else ''}")
            old = before.get((kind, label))
            if old:
                ratio = result["p50_ms"] / old["p50_ms"] if old["p50_ms"] else 0
                line += f" | {old['p50_ms']:>10.1f} {old['queries']:>5} {ratio:>5.2f}x"
            print(line, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "db": args.db, "name": args.name, "load": load, "repeat": args.repeat,
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "world": {k: world.get(k) for k in ("open_tasks", "events", "cases", "regions", "programmes")},
            "context": ctx, "results": results}, indent=1))
        print(f"written {args.json}")
    slowest = sorted(results, key=lambda r: -r["p50_ms"])[:10]
    print("\nslowest:")
    for r in slowest:
        print(f"  {r['p50_ms']:>9.1f} ms  {r['queries']:>6} q  {r['kb']:>7.1f} KB  {r['status']}  {r['user']:<18} "
              f"{r['page']}")


if __name__ == "__main__":
    main()
