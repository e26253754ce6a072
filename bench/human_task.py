"""A human task through HTTP: Sepakat's MoU review against a bare viewflow flow of the same shape.

Usage: .venv/bin/python bench/human_task.py --db sqlite|postgres [--tasks 200] [--warmup 10]
                                            [--profile] [--profile-tasks 40]

Builds a throwaway database (SQLite in a temporary folder, or the PostgreSQL database bench_human_task on
postgres://postgres@127.0.0.1:5432, dropped and made again, dropped at the end), migrates, seeds the demo
world and opens, for each region and cohort year 2025 onwards, one MoU case whose draft is submitted (by
the demo driver), so that its two review tasks wait (1.2: review_diskominfo, review_legal). The bare flow
(bench/human_task_flow.py) has the same shape: a split into two human reviews, a join, a gate, a third
human step; it lives on viewflow's own Process model under /bare/ (bench/human_task_urls.py; the settings are
sepakat.settings with the bench package as an app, which viewflow needs to store a flow: human_task_settings).

One human task is what the official does for one review step, as Django's test client in this process:
  task link    GET  .../<task>/            viewflow's index: redirects to the claim page
  claim page   GET  .../<task>/assign/
  claim        POST .../<task>/assign/
  execute page GET  .../<task>/execute/
  decision     POST .../<task>/execute/    decision=approved
The second review of a case also moves the flow on (join, gate, the next human task) in both flows.
Each task is done by the official holding the step's role (the bare flow's model permission is given to
the same officials), each with a client logged in once. Sepakat's requests go through the whole of
sepakat.settings.MIDDLEWARE; the bare flow's through Django's default stack plus viewflow's two
(SiteMiddleware, HotwireTurboMiddleware), with Sepakat's receivers on Task saves (audit events and
Tenggat of each new task) disconnected, as in a project that has only viewflow. DEBUG is off, as in
production; mail goes to memory. After a warm-up, Sepakat and bare tasks alternate (which goes first
alternates too). Queries are counted with CaptureQueriesContext, around each request, on both sides.

--profile then runs `--profile-tasks` more Sepakat tasks under cProfile, and attributes every query they
issue to the functions of ours on its stack: the top functions of ours and of viewflow/guardian by
cumulative time, calls per task, and queries per task by function and by the line that issued them.
--queued runs Celery as production does (not eager; the broker here is in memory): what the decision queues
(notice delivery by mail) is then published, not done, in the request.
Not a test: it prints figures, never fails on time.
"""

import argparse
import cProfile
import datetime
import gc
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
POSTGRES_DATABASE = "bench_human_task"


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tasks", type=int, default=200, help="measured tasks on each side (even)")
    parser.add_argument("--warmup", type=int, default=10, help="tasks on each side before measuring (even)")
    parser.add_argument("--queued", action="store_true",
                        help="Celery not eager (in-memory broker): queued jobs (notice delivery) leave the request, "
                             "as in production")
    parser.add_argument("--profile", action="store_true", help="profile Sepakat tasks after the measurement")
    parser.add_argument("--profile-tasks", type=int, default=40, help="Sepakat tasks under the profiler (even)")
    arguments = parser.parse_args()
    for name in ("tasks", "warmup", "profile_tasks"):
        value = getattr(arguments, name)
        setattr(arguments, name, max(2, value + value % 2))  # two review tasks per case
    return arguments


ARGS = parse_arguments()
WORKDIR = Path(tempfile.mkdtemp(prefix="sepakat-bench-human-task-"))


def postgres_recreate(drop_only=False) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
        if not drop_only:
            admin.execute(f"CREATE DATABASE {POSTGRES_DATABASE}")


if ARGS.db == "postgres":
    postgres_recreate()
    DATABASE_URL = f"{POSTGRES_SERVER}/{POSTGRES_DATABASE}"
else:
    DATABASE_URL = f"sqlite:///{WORKDIR / 'human_task.sqlite3'}"

sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.human_task_settings"  # sepakat.settings, and the bare flow
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DEBUG"] = "false"
os.environ["MEDIA_ROOT"] = str(WORKDIR / "media")
os.environ["SIGNING_AUTHORITY_DIR"] = str(WORKDIR / "pki")
os.environ["SEPAKAT_AUTHORITY_SECRET_FILE"] = str(WORKDIR / "authority-secret")
os.environ["EMAIL_URL"] = "memorymail://"
if ARGS.queued:
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"  # the broker stays memory://: .delay() only publishes
os.environ.setdefault("LOG_LEVEL", "WARNING")  # the apps' INFO lines would flood the figures

import django  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at")  # static files: not measured

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models.signals import post_save, pre_save  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from viewflow.workflow import STATUS  # noqa: E402
from viewflow.workflow.models import Process, Task  # noqa: E402

from agreements.models import Programme, Region  # noqa: E402
from bench.human_task_flow import PERMISSION_CODENAME, BareReviewFlow  # noqa: E402
from demo import driver  # noqa: E402
from demo.world import COHORT_YEAR, seed_world  # noqa: E402
from workflows import audit_receivers, services  # noqa: E402
from workflows.flows import MouFlow  # noqa: E402
from workflows.models import Stage  # noqa: E402

BARE_MIDDLEWARE = [  # django-admin startproject's stack, and the two viewflow's frontend asks for
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
]
KINDS = ["task link", "claim page", "claim", "execute page", "decision"]
SEPAKAT, BARE = "Sepakat", "bare"
# (Sepakat node, bare node, the seat acting on it)
STEPS = [(MouFlow.review_diskominfo, BareReviewFlow.review_a, "kominfo"),
         (MouFlow.review_legal, BareReviewFlow.review_b, "hukum")]
SEPAKAT_DECISION = {"decision": "approved", "note": "", "document_sha256": ""}
BARE_DECISION = {"decision": "approved", "note": ""}
APP_PREFIX = str(ROOT) + os.sep
ORM_FILES = ("/django/utils/asyncio.py", "/contextlib.py", "/bench/human_task.py")  # with django/db/: not an issuer
OURS_EXCLUDED = (str(ROOT / ".venv") + os.sep, str(ROOT / "bench") + os.sep)


# --- the world --------------------------------------------------------------------------------------------

TASK_RECEIVERS = [(post_save, "workflows.audit_receivers.record_task_created"),
                  (pre_save, "workflows.audit_receivers.snapshot_status"),
                  (post_save, "workflows.audit_receivers.record_status_change")]


@contextmanager
def bare_project():
    """As in a project with viewflow alone: none of Sepakat's receivers on Task saves."""
    for signal, uid in TASK_RECEIVERS:
        signal.disconnect(sender=Task, dispatch_uid=uid)
    try:
        yield
    finally:
        audit_receivers.connect()


def sepakat_cases(count: int, years):
    """`count` MoU cases at their reviews: one per region and cohort year, the draft submitted."""
    regions = list(Region.objects.order_by("slug"))
    cases = []
    for index in range(count):
        region = regions[index % len(regions)]
        programme, _ = Programme.objects.get_or_create(region=region, year=next(years[region.pk]))
        process = services.stage_open(programme=programme, stage=Stage.MOU)
        driver.act(driver.open_tasks(process).get())  # 1.1: the drafter submits the starter text
        cases.append((process, region.slug))
    return cases


def bare_cases(count: int):
    with bare_project():
        return [BareReviewFlow.start.run() for _ in range(count)]


def open_task(process, node) -> Task:
    return Task.objects.get(process=process, flow_task=node, status=STATUS.NEW)


class Clients:
    """One logged-in client per official and side: Sepakat's middleware, or the bare stack."""

    def __init__(self):
        self.clients = {}

    def get(self, side: str, username: str) -> Client:
        key = (side, username)
        if key not in self.clients:
            client = Client()
            client.force_login(get_user_model().objects.get(username=username))
            if side == BARE:
                with override_settings(MIDDLEWARE=BARE_MIDDLEWARE):
                    client.handler.load_middleware()
            self.clients[key] = client
        return self.clients[key]


def build_tasks(count: int, years, bare_users: set):
    """`count` (Sepakat task, bare task, username) triples: the two reviews of count/2 cases of each."""
    triples = []
    for (process, slug), bare_process in zip(sepakat_cases(count // 2, years), bare_cases(count // 2), strict=True):
        for sepakat_node, bare_node, seat in STEPS:
            username = f"{slug}.{seat}"
            bare_users.add(username)
            triples.append((process, sepakat_node, bare_process, bare_node, username))
    return triples


# --- one task ---------------------------------------------------------------------------------------------

def do_task(client: Client, process, node, decision: dict, on_request=None) -> list[tuple[str, float, int]]:
    """The official's five requests on the step's open task: (kind, seconds, queries) of each."""
    task = open_task(process, node)
    args = [task.process_id, task.pk]
    index, assign, execute = (node.reverse(name, args=args) for name in ("index", "assign", "execute"))
    requests = [
        ("task link", client.get, index, {}, 302, assign),
        ("claim page", client.get, assign, {}, 200, None),
        ("claim", client.post, assign, {}, 302, None),  # Sepakat goes on to the execute page, viewflow to the case
        ("execute page", client.get, execute, {}, 200, None),
        ("decision", client.post, execute, decision, 302, None),
    ]
    measured = []
    for kind, method, url, data, status, location in requests:
        if on_request:
            on_request(kind)
        connection.queries_log.clear()  # DEBUG is off: the log keeps 9000 queries, and counts would stop there
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = method(url, data) if data else method(url)
            elapsed = time.perf_counter() - started
        if response.status_code != status or (location and response["Location"] != location):
            body = response.content.decode(errors="replace")[:2000]
            raise SystemExit(f"{node}: {kind} {url} answered {response.status_code} "
                             f"{response.get('Location', '')}\n{body}")
        measured.append((kind, elapsed, len(queries)))
    task.refresh_from_db()
    if task.status != STATUS.DONE:
        raise SystemExit(f"{node}: task {task.pk} is {task.status} after the decision")
    return measured


def run_pair(clients, triple, sepakat_first: bool, record):
    process, sepakat_node, bare_process, bare_node, username = triple

    def sepakat():
        record(SEPAKAT, do_task(clients.get(SEPAKAT, username), process, sepakat_node, SEPAKAT_DECISION))

    def bare():
        with bare_project():
            record(BARE, do_task(clients.get(BARE, username), bare_process, bare_node, BARE_DECISION))

    for side in (sepakat, bare) if sepakat_first else (bare, sepakat):
        side()


# --- figures ----------------------------------------------------------------------------------------------

def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values_ms):
    return percentile(values_ms, 0.5), statistics.fmean(values_ms), percentile(values_ms, 0.95)


def print_table(results):
    header = (f"{'request':<13} | {'Sepakat ms p50':>14} {'mean':>6} {'p95':>6} {'q':>6} | "
              f"{'bare ms p50':>11} {'mean':>6} {'p95':>6} {'q':>5} | {'ratio ms':>8} {'ratio q':>7}")
    print(header)
    print("-" * len(header))
    for kind in [*KINDS, "whole task"]:
        row = f"{kind:<13} |"
        means = {}
        for side in (SEPAKAT, BARE):
            times = [t * 1000 for t in results[side]["time"][kind]]
            queries = results[side]["queries"][kind]
            p50, mean, p95 = summary(times)
            means[side] = (mean, statistics.fmean(queries))
            width = 14 if side == SEPAKAT else 11
            row += f" {p50:>{width}.1f} {mean:>6.1f} {p95:>6.1f} {means[side][1]:>{6 if side == SEPAKAT else 5}.1f} |"
        ratio_ms = means[SEPAKAT][0] / means[BARE][0]
        ratio_q = means[SEPAKAT][1] / means[BARE][1] if means[BARE][1] else float("inf")
        print(f"{row} {ratio_ms:>8.2f} {ratio_q:>7.2f}")
    sepakat_q = results[SEPAKAT]["queries"]["whole task"]
    bare_q = results[BARE]["queries"]["whole task"]
    print(f"queries per whole task: Sepakat min {min(sepakat_q)} max {max(sepakat_q)}, "
          f"bare min {min(bare_q)} max {max(bare_q)} (the second review of a case also moves its flow on)")


def new_results():
    return {side: {"time": defaultdict(list), "queries": defaultdict(list)} for side in (SEPAKAT, BARE)}


def recorder(results):
    def record(side, measured):
        total_time = total_queries = 0
        for kind, elapsed, queries in measured:
            results[side]["time"][kind].append(elapsed)
            results[side]["queries"][kind].append(queries)
            total_time += elapsed
            total_queries += queries
        results[side]["time"]["whole task"].append(total_time)
        results[side]["queries"]["whole task"].append(total_queries)

    return record


# --- profile ----------------------------------------------------------------------------------------------

def ours(filename: str) -> bool:
    return filename.startswith(APP_PREFIX) and not filename.startswith(OURS_EXCLUDED)


def short(filename: str) -> str:
    if filename.startswith(APP_PREFIX):
        filename = filename[len(APP_PREFIX):]
    return filename.split("site-packages/", 1)[-1]


def frame_label(frame) -> str:
    return f"{frame.f_code.co_name} ({short(frame.f_code.co_filename)}:{frame.f_lineno})"


class QueryAttribution:
    """An execute wrapper: each query counted against every function of ours on its stack (inclusive), and
    against its issuer: the first caller outside Django's ORM (ours, viewflow's, guardian's, Django's
    sessions or auth) with the nearest function of ours above it, and the request kind it was issued in."""

    def __init__(self):
        self.inclusive = Counter()
        self.issuer = Counter()
        self.issuer_kinds = defaultdict(Counter)
        self.kind = ""

    def __call__(self, execute, sql, params, many, context):
        frame = sys._getframe(1)
        caller = nearest_ours = None
        seen = set()
        while frame is not None:
            filename = frame.f_code.co_filename
            if caller is None and not filename.endswith(ORM_FILES) and "/django/db/" not in filename:
                caller = frame_label(frame)
            if ours(filename):
                if nearest_ours is None:
                    nearest_ours = frame_label(frame)
                seen.add((short(filename), frame.f_code.co_firstlineno, frame.f_code.co_name))
            frame = frame.f_back
        verb = sql.split(None, 1)[0].upper() if sql else "?"
        issuer = (caller, nearest_ours if nearest_ours != caller else "", verb)
        self.issuer[issuer] += 1
        self.issuer_kinds[issuer][self.kind] += 1
        for key in seen:
            self.inclusive[key] += 1
        return execute(sql, params, many, context)


def profile(clients, triples):
    profiler = cProfile.Profile()
    attribution = QueryAttribution()

    def on_request(kind):
        attribution.kind = kind

    for process, sepakat_node, _bare_process, _bare_node, username in triples:
        client = clients.get(SEPAKAT, username)
        with connection.execute_wrapper(attribution):
            profiler.enable()
            do_task(client, process, sepakat_node, SEPAKAT_DECISION, on_request=on_request)
            profiler.disable()
    tasks = len(triples)
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append((filename, line, name, ncalls, tottime, cumtime))
    total = max(cumtime for *_, cumtime in rows)  # the outermost frame: the whole of the requests
    print(f"\nProfile: {tasks} Sepakat tasks under cProfile, {total * 1000 / tasks:.1f} ms per task "
          "(profiled, so slower than above); per task: calls, cumulative and own ms, queries issued under it")

    def show(title, selected, limit):
        print(f"\n{title}")
        print(f"{'calls':>7} {'cum ms':>8} {'own ms':>7} {'queries':>7}  function")
        selected.sort(key=lambda row: -row[5])
        for filename, line, name, ncalls, tottime, cumtime in selected[:limit]:
            queries = attribution.inclusive.get((short(filename), line, name), 0)
            print(f"{ncalls / tasks:>7.1f} {cumtime * 1000 / tasks:>8.2f} {tottime * 1000 / tasks:>7.2f} "
                  f"{queries / tasks:>7.1f}  {name} ({short(filename)}:{line})")

    def passes_through(row):  # a middleware's __call__ and the like: nearly all the time, almost none its own
        return row[5] > total / 2 and row[4] < total / 1000

    show("Top 25 functions of ours by cumulative time (leaving out the middleware layers that only pass the "
         "request on)", [r for r in rows if ours(r[0]) and not passes_through(r)], 25)
    show("Top 25 functions of viewflow and guardian by cumulative time",
         [r for r in rows if "/viewflow/" in r[0] or "/guardian/" in r[0]], 25)
    watched = ("has_view_permission", "regions_visible_to", "acting_basis", "process_visible", "task_visible",
               "user_holds_step_role", "has_perm", "can_assign", "can_execute", "get_context_data")
    show("Named in the issue, and their neighbours (ours, viewflow, guardian, Django's auth)",
         [r for r in rows if r[2] in watched and ("/viewflow/" in r[0] or "/guardian/" in r[0] or ours(r[0])
                                                  or r[0].endswith("auth/models.py"))], 40)
    print("\nQueries per task by issuer: the first caller outside Django's ORM <- the nearest line of ours above it")
    print(f"{'queries':>7}  issuer  [per request kind]")
    for (caller, nearest, verb), count in attribution.issuer.most_common(50):
        kinds = ", ".join(f"{kind} {n / tasks:.1f}" for kind, n in attribution.issuer_kinds[(caller, nearest, verb)]
                          .most_common())
        print(f"{count / tasks:>7.1f}  {verb:<9} {caller}{'  <- ' + nearest if nearest else ''}  [{kinds}]")
    verbs = Counter()
    for (_caller, _nearest, verb), count in attribution.issuer.items():
        verbs[verb] += count
    print("by statement: " + ", ".join(f"{verb} {count / tasks:.1f}" for verb, count in verbs.most_common()))
    print(f"{sum(attribution.issuer.values()) / tasks:>7.1f}  in all")

    # The same tasks' twins in the bare flow: which of Sepakat's queries it has too, by their issuer.
    bare = QueryAttribution()
    for _process, _sepakat_node, bare_process, bare_node, username in triples:
        bare.kind = ""
        with bare_project(), connection.execute_wrapper(bare):
            do_task(clients.get(BARE, username), bare_process, bare_node, BARE_DECISION,
                    on_request=lambda kind: setattr(bare, "kind", kind))
    bare_by_caller = Counter()
    for (caller, _nearest, verb), count in bare.issuer.items():
        bare_by_caller[(caller, verb)] += count
    sepakat_by_caller = Counter()
    for (caller, _nearest, verb), count in attribution.issuer.items():
        sepakat_by_caller[(caller, verb)] += count
    extra = Counter({key: count - bare_by_caller[key] for key, count in sepakat_by_caller.items()
                     if count > bare_by_caller[key]})
    print(f"\nThe bare twins of these tasks: {sum(bare.issuer.values()) / tasks:.1f} queries per task. Sepakat's "
          f"beyond them, by issuer (Sepakat's count less the bare flow's at the same line): "
          f"{sum(extra.values()) / tasks:.1f} per task")
    for (caller, verb), count in extra.most_common(40):
        print(f"{count / tasks:>7.1f}  {verb:<9} {caller}")
    fewer = {key: bare_by_caller[key] - sepakat_by_caller[key] for key in bare_by_caller
             if bare_by_caller[key] > sepakat_by_caller[key]}
    if fewer:
        print("bare's beyond Sepakat's: " + ", ".join(f"{verb} {caller} {count / tasks:.1f}"
                                                     for (caller, verb), count in sorted(fewer.items(),
                                                                                         key=lambda i: -i[1])[:8]))


# --- main -------------------------------------------------------------------------------------------------

def main() -> None:
    started = time.perf_counter()
    print(f"bench/human_task.py --db {ARGS.db} --tasks {ARGS.tasks} --warmup {ARGS.warmup}"
          f"{' --queued' if ARGS.queued else ''}{' --profile' if ARGS.profile else ''}")
    print(f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z}, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs, "
          f"database {connection.vendor} {'(' + DATABASE_URL + ')' if ARGS.db == 'postgres' else 'in ' + str(WORKDIR)}")
    call_command("migrate", verbosity=0)
    seed_world()
    permission, _ = Permission.objects.get_or_create(
        codename=PERMISSION_CODENAME, content_type=ContentType.objects.get_for_model(Process),
        defaults={"name": "Can review (bench human_task)"},
    )
    years = defaultdict(lambda: iter(range(COHORT_YEAR + 1, 2101)))
    bare_users: set[str] = set()
    warm = build_tasks(ARGS.warmup, years, bare_users)
    measured = build_tasks(ARGS.tasks, years, bare_users)
    profiled = build_tasks(ARGS.profile_tasks, years, bare_users) if ARGS.profile else []
    view_process = Permission.objects.get(codename="view_process", content_type__app_label="viewflow")
    for user in get_user_model().objects.filter(username__in=bare_users):  # viewflow's rules: see the flow, act
        user.user_permissions.add(view_process, permission)
    print(f"set up in {time.perf_counter() - started:.0f} s: {len(warm) + len(measured) + len(profiled)} tasks "
          f"on each side, {Process.objects.count()} processes; DEBUG={settings.DEBUG}, "
          f"Celery eager={settings.CELERY_TASK_ALWAYS_EAGER}, "
          f"{len(settings.MIDDLEWARE)} middleware for Sepakat, {len(BARE_MIDDLEWARE)} for bare")

    clients = Clients()
    ignore = recorder(new_results())
    for index, triple in enumerate(warm):
        run_pair(clients, triple, sepakat_first=index % 2 == 0, record=ignore)
    results = new_results()
    record = recorder(results)
    gc.collect()
    for index, triple in enumerate(measured):
        run_pair(clients, triple, sepakat_first=index % 2 == 0, record=record)
    print(f"\n{ARGS.tasks} tasks on each side, interleaved, after {ARGS.warmup} of each to warm up "
          f"({connection.vendor}; ms per request and per whole task, queries per request, mean)\n")
    print_table(results)
    if profiled:
        profile(clients, profiled)
    print(f"\nload average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        if ARGS.db == "postgres":
            postgres_recreate(drop_only=True)
        shutil.rmtree(WORKDIR, ignore_errors=True)
