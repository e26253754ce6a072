"""The generator behind bench/world.py (imported after django.setup())."""

import datetime
import hashlib
import json
import os
import random
import secrets
import subprocess
import sys
import time
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from guardian.models import UserObjectPermission
from viewflow.workflow.fields import get_flow_ref, get_task_ref
from viewflow.workflow.models import Process, Task

from agreements.models import Agency, Decision, Document, Programme, Region, RegionKind, Version
from agreements.regions import REGIONAL_AGENCY_NAMES, region_slug
from audit.models import AuditEvent
from audit.services import GENESIS_HASH, _payload, event_hash
from bench._world_db import ROOT, Writer, sequences_reset
from bench._world_plan import programme_plan
from demo.world import CENTRAL_SEATS, DEMO_PASSWORD, _person, regional_seats, seed_world
from notices.models import Notice
from permissions.models import Official, RoleAssignment
from permissions.steps import STEPS
from workflows.deadlines import step_deadlines
from workflows.flows import FLOWS
from workflows.models import StageProcess, TaskDeadline
from workflows.workdays import WorkingCalendar

UTC = datetime.UTC
WIB = datetime.timedelta(hours=7)
HOUR = 3600.0
DAY = 86400.0

USERS = {  # what bench/pages.py logs in as, per kind of user
    "region_approver": "kota-banjar.kominfo",
    "region_sekda": "kota-banjar.sekda",
    "central_official": "laip.direktur",
    "central_drafter": "laip.staf",
    "regional_auditor": "kota-banjar.auditor",
    "national_auditor": "auditor",
    "administrator": "admin",
}
REGION_SLUG = "kota-banjar"

PREFIXES = ["Sungai", "Tanjung", "Bukit", "Muara", "Pulau", "Kuala", "Teluk", "Batu", "Air", "Lubuk", "Padang",
            "Karang", "Rantau", "Tanah", "Sei", "Labuhan", "Gunung", "Pasir", "Ujung", "Lembah"]
ROOTS = ["Jaya", "Indah", "Makmur", "Raya", "Sari", "Baru", "Mas", "Putih", "Hijau", "Agung", "Bening", "Permai",
         "Lestari", "Sejahtera", "Damai", "Harapan", "Mulia", "Timur", "Barat", "Utara", "Selatan", "Tengah"]
SUFFIXES = ["", " Hulu", " Hilir", " Pesisir", " Kepulauan"]
PROVINCES = ["Aceh", "Sumatera Utara", "Sumatera Barat", "Riau", "Jambi", "Sumatera Selatan", "Bengkulu", "Lampung",
             "Kepulauan Bangka Belitung", "Kepulauan Riau", "Banten", "Jawa Barat", "Jawa Tengah", "DI Yogyakarta",
             "Jawa Timur", "Bali", "Nusa Tenggara Barat", "Nusa Tenggara Timur", "Kalimantan Barat",
             "Kalimantan Tengah", "Kalimantan Selatan", "Kalimantan Timur", "Kalimantan Utara", "Sulawesi Utara",
             "Sulawesi Tengah", "Sulawesi Selatan", "Sulawesi Tenggara", "Gorontalo", "Sulawesi Barat", "Maluku",
             "Maluku Utara", "Papua", "Papua Barat"]
YEARS = [2024, 2023, 2022, 2021, 2020, 2019, 2018, 2017] + list(range(2025, 2101))
RETURN_NOTES = ["Mohon sesuaikan Pasal 3 dengan RPJMD yang berlaku.",
                "Ruang lingkup perlu dirinci per dimensi kota cerdas.",
                "Dasar hukum belum memuat peraturan terbaru; mohon diperbarui."]
STAGE_LABEL = {"mou": "Nota Kesepakatan", "regulation": "Peraturan Kepala Daerah",
               "masterplan": "Masterplan Kota Cerdas"}
PREFIX = {"mou": "MOU", "regulation": "PERKADA", "masterplan": "MP"}
SYSTEM = (None, "sistem", "")

T_REGION = ("id", "name", "kind", "slug", "province")
T_AGENCY = ("id", "region_id", "kind", "name", "short_name")
T_USER = ("id", "password", "last_login", "is_superuser", "username", "first_name", "last_name", "email",
          "is_staff", "is_active", "date_joined")
T_OFFICIAL = ("id", "user_id", "full_name", "nip", "post", "whatsapp_number")
T_ASSIGN = ("id", "role", "valid_from", "valid_until", "acting", "note", "agency_id", "user_id", "is_head")
T_UOP = ("id", "object_pk", "content_type_id", "permission_id", "user_id")
T_PROGRAMME = ("id", "region_id", "year", "created")
T_DOCUMENT = ("id", "programme_id", "kind", "created", "verification_token")
T_PROCESS = ("id", "flow_class", "status", "created", "finished", "data", "parent_task_id", "seed_content_type_id",
             "seed_object_id", "artifact_content_type_id", "artifact_object_id")
T_STAGE = ("process_ptr_id", "programme_id", "stage", "document_id", "outcome", "last_decision", "rejection_reason",
           "final_pdf_id", "preparation_error", "preparation_due", "preparation_attempts")
T_TASK = ("id", "flow_task", "flow_task_type", "status", "created", "started", "finished", "token",
          "external_task_id", "owner_permission", "owner_id", "process_id", "owner_permission_content_type_id",
          "owner_permission_obj_pk", "assigned", "artifact_content_type_id", "artifact_object_id", "data",
          "seed_content_type_id", "seed_object_id", "scheduled")
T_VERSION = ("id", "document_id", "number", "title", "author_id", "created", "number_ministry", "number_region",
             "preamble", "considerations", "legal_basis", "rpjmd_alignment")
T_DECISION = ("id", "version_id", "process_id", "task_id", "step", "step_title", "kind", "note", "actor_id",
              "actor_name", "actor_post", "actor_agency", "document_sha256", "created")
T_DEADLINE = ("task_id", "process_id", "due", "working_days", "escalate_after_days", "reminded_on",
              "overdue_reminded_on", "escalated_on")
T_NOTICE = ("id", "recipient_id", "kind", "title", "body", "url", "process_id", "region_id", "event_id", "key",
            "created", "read_at")
T_EVENT = ("id", "created", "actor_id", "actor_label", "actor_agency", "action", "region_id", "programme_id",
           "process_id", "task_id", "version_id", "details", "prev_hash", "hash")

TABLES = [
    (Region, T_REGION), (Agency, T_AGENCY), (get_user_model(), T_USER), (Official, T_OFFICIAL),
    (RoleAssignment, T_ASSIGN), (UserObjectPermission, T_UOP), (Programme, T_PROGRAMME), (Document, T_DOCUMENT),
    (Process, T_PROCESS), (StageProcess, T_STAGE), (Task, T_TASK), (Version, T_VERSION), (Decision, T_DECISION),
    (TaskDeadline, T_DEADLINE), (Notice, T_NOTICE), (AuditEvent, T_EVENT),
]


def _columns_check() -> None:
    """Every column list above is exactly its model's own columns (a new field fails here, not in an INSERT)."""
    for model, columns in TABLES:
        own = {f.column for f in model._meta.local_concrete_fields}
        if own != set(columns):
            raise SystemExit(f"{model._meta.db_table}: columns changed: missing {own - set(columns)}, "
                             f"extra {set(columns) - own}")


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


class Generator:
    def __init__(self, args, clock):
        self.args, self.clock = args, clock
        self.rng = random.Random(args.seed)
        self.now = timezone.now().replace(microsecond=0)
        self.today = timezone.localdate()
        self.events: list[tuple] = []  # (created, actor_id, label, agency, action, region, programme, process,
        #                                 task, version, details_json, notice_index)
        self.notices: list[list] = []
        self.rows: dict[str, list] = {}
        self.case_refs: list[tuple] = []
        self.stats = {"open_tasks": 0, "overdue_open_tasks": 0, "cases": 0, "open_cases": 0, "programmes": 0,
                      "human_tasks": 0, "open_by_status": {"NEW": 0, "ASSIGNED": 0}, "approver_region_open": 0,
                      "cases_by_outcome": {}, "open_by_stage": {}}

    # --- phases -------------------------------------------------------------------------------------------
    def run(self) -> None:
        _columns_check()
        call_command("migrate", verbosity=0)
        self.clock.done("migrate")
        call_command("init_pki", verbosity=0)
        self.clock.done("init_pki")
        # One PBKDF2 hash of the demo password for every seeded account (seed_world hashes it per user: ~0.3 s each).
        hashed = make_password(DEMO_PASSWORD)
        with mock.patch("django.contrib.auth.base_user.make_password", lambda *args, **kwargs: hashed):
            seed_world()
        user_model = get_user_model()
        if not user_model.objects.filter(username="admin").exists():
            with mock.patch("django.contrib.auth.base_user.make_password", lambda *args, **kwargs: hashed):
                user_model.objects.create_superuser("admin", "admin@sepakat.local", DEMO_PASSWORD)
        self.clock.done("seed_world + admin", f"{user_model.objects.count()} users")
        self.writer = Writer(connection)
        self._context()
        self._regions()
        self.clock.done("regions + officials (plan)", f"{len(self.regions)} regions")
        self._programmes()
        self.clock.done("programmes + cases (plan)", f"{self.stats['cases']} cases, "
                        f"{self.stats['open_tasks']} open tasks, {len(self.events)} events")
        self._padding()
        self._write_world()
        self.clock.done("insert world rows")
        self._write_events()
        self.clock.done("hash + insert events + notices", f"{self.event_count} events")
        sequences_reset(connection, [m for m, _ in TABLES if m is not TaskDeadline])
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            old = connection.connection.autocommit
            connection.connection.autocommit = True
            with connection.connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            connection.connection.autocommit = old
        else:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.clock.done("sequences + analyze")
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "manage.py", "verify_audit"], cwd=ROOT, capture_output=True, text=True,
            env=os.environ.copy())
        self.chain = (result.stdout + result.stderr).strip().splitlines()[:3]
        self.clock.done("manage.py verify_audit", f"rc={result.returncode} {' / '.join(self.chain)}")

    # --- context from the seeded world -------------------------------------------------------------------
    def _context(self) -> None:
        self.ct_region = ContentType.objects.get_for_model(Region).id
        self.flow_ref = {stage: get_flow_ref(flow) for stage, flow in FLOWS.items()}
        self.node_ref = {}
        for stage, flow in FLOWS.items():
            for node in flow.instance.nodes():
                self.node_ref[stage, node.name] = (get_task_ref(node), node.task_type)
        self.deadline_table = step_deadlines()
        self.specs = {stage: {name: spec for name, spec in steps.items()} for stage, steps in STEPS.items()}
        users = {u.username: u for u in get_user_model().objects.select_related("official")}
        self.password = users[USERS["region_approver"]].password
        self.actor = {}  # user id -> (id, label, agency name, full name, post)
        agency_of = {}
        for assignment in RoleAssignment.objects.select_related("agency"):
            agency_of.setdefault(assignment.user_id, assignment.agency.name)
        for user in users.values():
            official = getattr(user, "official", None)
            if official is None:
                continue
            self.actor[user.id] = (user.id, f"{official.full_name} ({official.post})", agency_of.get(user.id, ""),
                                   official.full_name, official.post)
        self.central = {}
        for seat in CENTRAL_SEATS:
            for role in seat.roles:
                self.central[seat.agency, role] = users[seat.suffix].id
        self.seat_of_role = {}
        template = Region.objects.get(slug=REGION_SLUG)
        for seat in regional_seats(template):
            for role in seat.roles:
                self.seat_of_role.setdefault((seat.agency, role), seat.suffix)
        # What each regional seat holds, copied to the new regions' officials.
        self.seat_perms = {}
        for seat in regional_seats(template):
            user = users[f"{REGION_SLUG}.{seat.suffix}"]
            self.seat_perms[seat.suffix] = list(UserObjectPermission.objects.filter(user=user).values_list(
                "permission_id", flat=True))
        self.holders = {}  # (region id, agency kind, role kind) -> user id
        self.regions = []  # (id, kind, name, slug, display)
        for region in Region.objects.all():
            self.regions.append((region.id, region.kind, region.name, region.slug, region.display_name))
            for (agency_kind, role), suffix in self.seat_of_role.items():
                self.holders[region.id, agency_kind, role] = users[f"{region.slug}.{suffix}"].id
        self.demo_programmes = {(p.region_id, p.year): p.id for p in Programme.objects.all()}
        self.approver_region = template.id
        self.ids = {table: self.writer.max_id(table, "task_id" if table == "workflows_taskdeadline" else "id")
                    for table in ("agreements_region", "agreements_agency", "auth_user", "permissions_official",
                                  "permissions_roleassignment", "guardian_userobjectpermission",
                                  "agreements_programme", "agreements_document", "viewflow_process",
                                  "viewflow_task", "agreements_version", "agreements_decision", "notices_notice")}
        self.first_seq = self.writer.max_id("audit_auditevent")
        start = self.today - datetime.timedelta(days=4 * 365)
        self.calendar = WorkingCalendar(None, start, self.today + datetime.timedelta(days=90))
        self._due_cache = {}

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def add(self, table: str, row: tuple) -> None:
        self.rows.setdefault(table, []).append(row)

    def event(self, when, actor, action, region=None, programme=None, process=None, task=None, version=None,
              details=None, notice=-1) -> None:
        actor_id, label, agency = actor[:3]
        self.events.append((when, actor_id, label, agency, action, region, programme, process, task, version,
                            json.dumps(details or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
                            notice))

    def when(self, seconds: float) -> datetime.datetime:
        return self.base + datetime.timedelta(seconds=seconds)

    def due(self, created: datetime.datetime, days: int) -> datetime.date:
        local = (created + WIB).date()
        key = (local, days)
        if key not in self._due_cache:
            try:
                self._due_cache[key] = self.calendar.add_working_days(local, days)
            except ValueError:  # older than the calendar: weekdays only
                day, added = local, 0
                while added < days:
                    day += datetime.timedelta(days=1)
                    added += day.weekday() < 5
                self._due_cache[key] = day
        return self._due_cache[key]

    # --- regions, agencies, officials ----------------------------------------------------------------------
    def _regions(self) -> None:
        rng = self.rng
        wanted = self.args.regions - len(self.regions)
        names = [(p + " " + r + s).strip() for s in SUFFIXES for p in PREFIXES for r in ROOTS]
        rng.shuffle(names)
        taken = {(kind, name) for _, kind, name, _, _ in self.regions}
        t = self.now - datetime.timedelta(days=3 * 365)
        index = 200
        made = 0
        for name in names * 2:
            if made >= wanted:
                break
            kind = RegionKind.KOTA if rng.random() < 0.2 else RegionKind.KABUPATEN
            if (kind, name) in taken:
                continue
            taken.add((kind, name))
            made += 1
            region_id = self.next_id("agreements_region")
            slug = region_slug(kind, name)
            display = f"{'Kota' if kind == RegionKind.KOTA else 'Kabupaten'} {name}"
            province = PROVINCES[rng.randrange(len(PROVINCES))]
            self.add("agreements_region", (region_id, name, kind, slug, province))
            self.regions.append((region_id, kind, name, slug, display))
            t += datetime.timedelta(seconds=rng.uniform(60, 600))
            agencies = {}
            for agency_kind, (pattern, short) in REGIONAL_AGENCY_NAMES.items():
                agency_id = self.next_id("agreements_agency")
                agencies[agency_kind] = (agency_id, pattern.format(r=display))
                self.add("agreements_agency", (agency_id, region_id, agency_kind, pattern.format(r=display), short))
            self.event(t, SYSTEM, "region.created", region=region_id, details={
                "new": {"kind": kind, "name": name, "slug": slug, "province": province},
                "agencies": [a[1] for a in agencies.values()]})
            head_title = ("Wali Kota " if kind == RegionKind.KOTA else "Bupati ") + name
            region_obj = Region(kind=kind, name=name, slug=slug)
            for seat in regional_seats(region_obj):
                index += 1
                full_name, nip = _person(index)
                username = f"{slug}.{seat.suffix}"
                user_id = self.next_id("auth_user")
                first, _, last = full_name.partition(" ")
                email = f"{username}@sepakat.example"
                t += datetime.timedelta(seconds=rng.uniform(0.2, 2))
                self.add("auth_user", (user_id, self.password, None, False, username, first, last, email, False,
                                       True, t))
                post = seat.post if seat.suffix != "kdh" else head_title
                self.add("permissions_official", (self.next_id("permissions_official"), user_id, full_name, nip,
                                                  post, ""))
                agency_id, agency_name = agencies[seat.agency]
                for role in seat.roles:
                    self.add("permissions_roleassignment", (self.next_id("permissions_roleassignment"), role,
                                                            datetime.date(2024, 1, 1), None, False, "", agency_id,
                                                            user_id, seat.head))
                    key = (seat.agency, role)
                    if self.seat_of_role.get(key) == seat.suffix:
                        self.holders[region_id, seat.agency, role] = user_id
                for permission_id in self.seat_perms[seat.suffix]:
                    self.add("guardian_userobjectpermission", (self.next_id("guardian_userobjectpermission"),
                                                               str(region_id), self.ct_region, permission_id, user_id))
                self.actor[user_id] = (user_id, f"{full_name} ({post})", agency_name, full_name, post)
                via = {"via": "sistem", "user": username, "user_id": user_id}
                self.event(t, SYSTEM, "user.created", details={**via, "new": {
                    "username": username, "email": "", "first_name": "", "last_name": "", "is_active": True,
                    "is_staff": False, "is_superuser": False, "password_usable": False}})
                self.event(t, SYSTEM, "user.password_set", details={**via, "old": {"password_usable": False},
                                                                    "new": {"password_usable": True}})
                self.event(t, SYSTEM, "user.changed", details={**via, "old": {"first_name": "", "last_name": ""},
                                                               "new": {"first_name": first, "last_name": last}})
                self.event(t, SYSTEM, "official.created", details={
                    "via": "sistem", "user": username, "official_id": user_id,
                    "new": {"full_name": full_name, "post": post, "nip": nip}})
                self.event(t, SYSTEM, "user.changed", details={**via, "old": {"email": ""}, "new": {"email": email}})

    # --- programmes and cases -------------------------------------------------------------------------------
    def _programmes(self) -> None:
        rng = self.rng
        target = self.args.open_tasks
        regions = list(self.regions)
        self.years_used = []
        for year in YEARS:
            if self.stats["open_tasks"] >= target:
                break
            self.years_used.append(year)
            rng.shuffle(regions)
            for region in regions:
                if self.stats["open_tasks"] >= target:
                    break
                self._programme(region, year)

    def _programme(self, region, year) -> None:
        rng = self.rng
        region_id, _kind, _name, slug, display = region
        plan = programme_plan(rng)
        is_open = plan[-1].outcome == "open"
        age = min(rng.expovariate(1 / (6 * DAY)), 45 * DAY) + rng.uniform(600, 3 * HOUR)
        schedule, open_at, end = self._schedule(plan, age if is_open else None)
        if is_open:
            self.base = self.now - datetime.timedelta(seconds=age + open_at)
        else:
            self.base = self.now - datetime.timedelta(days=rng.uniform(3, 900), seconds=end)
        programme_id = self.demo_programmes.get((region_id, year))
        if programme_id is None:
            programme_id = self.next_id("agreements_programme")
            self.add("agreements_programme", (programme_id, region_id, year, self.when(-DAY * rng.uniform(5, 60))))
        self.stats["programmes"] += 1
        for case, (start, times, finish) in zip(plan, schedule, strict=True):
            self._case(case, start, times, finish, region_id, slug, display, programme_id, year)

    def _schedule(self, plan, age):
        """Relative times (seconds) of every task: (created, assigned, started, finished) per task of each case."""
        rng = self.rng
        t, out, open_at = 0.0, [], 0.0

        def finished_task(created, span=None):
            if span:
                claim, work = rng.uniform(0.02, 0.3) * span, rng.uniform(0.02, 0.3) * span
            else:
                claim, work = rng.uniform(0.3, 30) * HOUR, rng.uniform(0.2, 20) * HOUR
            assigned = created + claim
            started = assigned + rng.uniform(5, 120)
            return (created, assigned, started, started + work)

        for case in plan:
            start = t
            t += 1
            times = []
            i = 0
            while i < len(case.tasks):
                task = case.tasks[i]
                if task.parallel:
                    pair = case.tasks[i:i + 2]
                    i += 2
                    both_done = all(x.decision for x in pair)
                    span = None if both_done else age
                    got = [finished_task(t + 0.01 * n, span) if x.decision else (t + 0.01 * n, None, None, None)
                           for n, x in enumerate(pair)]
                    times += got
                    if both_done:
                        t = max(g[3] for g in got) + 1
                    else:
                        open_at = t
                else:
                    i += 1
                    if task.decision:
                        got = finished_task(t)
                        times.append(got)
                        t = got[3] + 1
                    else:
                        times.append((t, None, None, None))
                        open_at = t
            out.append((start, times, t if case.outcome != "open" else None))
            t += 1
        return out, open_at, t

    def _holder(self, stage, step, region_id):
        role = self.specs[stage][step].role
        if role.is_central:
            return self.central[role.agency_kind, role.role_kind]
        return self.holders[region_id, role.agency_kind, role.role_kind]

    def _case(self, case, start, times, finish, region_id, slug, display, programme_id, year) -> None:
        rng = self.rng
        stage = case.stage
        where = {"region": region_id, "programme": programme_id}
        process_id = self.next_id("viewflow_process")
        document_id = self.next_id("agreements_document")
        where["process"] = process_id
        identifier = f"{PREFIX[stage]}-{slug}-{year}-{document_id}"
        created = self.when(start)
        self.add("agreements_document", (document_id, programme_id, stage, created, secrets.token_urlsafe(16)))
        status = "NEW" if case.outcome == "open" else "DONE"
        finished = self.when(finish) if finish is not None else None
        self.add("viewflow_process", (process_id, self.flow_ref[stage], status, created, finished, "{}", None, None,
                                      None, None, None))
        self.add("workflows_stageprocess", (process_id, programme_id, stage, document_id, case.outcome,
                                            case.last_decision, RETURN_NOTES[0] if case.outcome == "rejected" else "",
                                            None, "", None, 0))
        self.stats["cases"] += 1
        self.case_refs.append((region_id, programme_id, process_id))
        self.stats["cases_by_outcome"][case.outcome] = self.stats["cases_by_outcome"].get(case.outcome, 0) + 1
        ref = self.node_ref
        self._task_row(process_id, ref[stage, "start"], "DONE", created, created, created, "start")
        specs = self.specs[stage]
        version_id, version_number = None, 0
        split_id, join_open = None, None
        titles = {"mou": f"Sinergi Program Gerakan Menuju Kota Cerdas di {display}",
                  "regulation": f"Peraturan tentang Penyelenggaraan Kota Cerdas di {display}",
                  "masterplan": f"Masterplan Kota Cerdas {display} {year}-{year + 10}"}
        opened_event = False
        for task, (c, a, s, f) in zip(case.tasks, times, strict=True):
            spec = specs[task.step]
            holder = self._holder(stage, task.step, region_id)
            actor = self.actor[holder]
            if task.parallel == 1:
                split_id = self._task_row(process_id, ref[stage, "reviews"], "DONE", self.when(c - 0.005), None,
                                          self.when(c - 0.004), "start")
                join_open = None
            token = f"start/{split_id}_{task.parallel}" if task.parallel else "start"
            c_dt = self.when(c)
            open_task = task.decision is None
            if open_task:
                self.stats["open_tasks"] += 1
                self.stats["open_by_stage"][stage] = self.stats["open_by_stage"].get(stage, 0) + 1
                if region_id == self.approver_region:
                    self.stats["approver_region_open"] += 1
                claimed = rng.random() < 0.45
                status_ = "ASSIGNED" if claimed else "NEW"
                self.stats["open_by_status"][status_] += 1
                a_dt = self.when(c + rng.uniform(0.05, 0.6) * (self.now - c_dt).total_seconds()) if claimed else None
                task_id = self._task_row(process_id, ref[stage, task.step], status_, c_dt, None, None, token,
                                         owner=holder if claimed else None, assigned=a_dt, spec=spec,
                                         region_id=region_id)
            else:
                a_dt, s_dt, f_dt = self.when(a), self.when(s), self.when(f)
                task_id = self._task_row(process_id, ref[stage, task.step], "DONE", c_dt, s_dt, f_dt, token,
                                         owner=holder, assigned=a_dt, spec=spec, region_id=region_id)
            self.stats["human_tasks"] += 1
            days, escalate_after = self.deadline_table.get((stage, task.step), (spec.deadline_days, 3))
            due = self.due(c_dt, days)
            notice = self._notice(holder, stage, task.step, spec, display, year, process_id, task_id, region_id,
                                  c_dt, due, read=None if open_task and rng.random() < 0.6 else (a_dt or c_dt))
            self.event(c_dt, SYSTEM, "task.created", task=task_id, details={
                "step": task.step, "title": str(spec.title), "due": due.isoformat(), "working_days": days},
                notice=notice, **where)
            if not opened_event:
                opened_event = True
                self.event(self.when(c + 0.008), SYSTEM, "case.opened", details={"stage": stage,
                                                                                  "document": identifier}, **where)
            reminded = overdue_on = escalated = None
            if open_task:
                if a_dt is not None:
                    self.event(a_dt, actor, "task.claimed", task=task_id, details={"step": task.step}, **where)
                reminded, overdue_on, escalated = self._reminders(task_id, task.step, spec, due, escalate_after,
                                                                  c_dt, where)
            self.add("workflows_taskdeadline", (task_id, process_id, due, days, escalate_after, reminded,
                                                overdue_on, escalated))
            if open_task:
                if task.parallel and join_open is None and any(
                        x.decision for x in case.tasks if x.parallel and x.round_no == task.round_no):
                    join_open = True
                continue
            # a finished task: claim, (version), start, (paraf copy / signature), finish, decision
            self.event(a_dt, actor, "task.claimed", task=task_id, details={"step": task.step}, **where)
            note = ""
            if task.step == "draft":
                version_number += 1
                version_id = self.next_id("agreements_version")
                self.add("agreements_version", (version_id, document_id, version_number, titles[stage], holder,
                                                self.when(f - 2), "", "", f"Pembukaan {titles[stage]}.", "", "", ""))
                self.event(self.when(f - 1.5), actor, "document.version_created", version=version_id, details={
                    "document": identifier, "number": version_number}, **where)
            elif task.decision in ("returned", "letter_needs_changes", "rejected"):
                note = RETURN_NOTES[rng.randrange(len(RETURN_NOTES))]
            self.event(self.when(f - 1), actor, "task.started", task=task_id, details={
                "step": task.step, "started": s_dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")},
                **where)
            sha = ""
            if spec.is_paraf and task.decision == "initialled":
                sha = _hex(rng)
                self.event(self.when(f - 0.6), actor, "document.paraf_copy_made", version=version_id, details={
                    "sha256": sha, "size": rng.randrange(30000, 45000), "data_sha256": _hex(rng)}, **where)
            if spec.signer is not None and task.decision in ("signed", "promulgated", "accepted"):
                sha = _hex(rng)
                self.event(self.when(f - 0.5), actor, "document.signed", version=version_id, details={
                    "sha256": sha, "parent_sha256": _hex(rng), "field": f"ttd_{task.step}",
                    "certificate": _hex(rng)}, **where)
            details = {"step": task.step, "decision": task.decision, "note": note}
            if sha and spec.is_paraf:
                details["document_sha256"] = sha
            self.event(self.when(f - 0.4), actor, "task.finished", task=task_id, version=version_id,
                       details=details, **where)
            self.add("agreements_decision", (self.next_id("agreements_decision"), version_id, process_id, task_id,
                                             task.step, str(spec.title), task.decision, note, holder, actor[3],
                                             actor[4], actor[2], sha, self.when(f - 0.45)))
            if task.parallel:
                pair_done = all(x.decision for x in case.tasks if x.parallel and x.round_no == task.round_no)
                if pair_done and task.parallel == 2:
                    self._task_row(process_id, ref[stage, "reviews_done"], "DONE", self.when(f), self.when(f),
                                   self.when(f + 0.5), "start")
        if join_open:
            self._task_row(process_id, ref[stage, "reviews_done"], "STARTED", self.when(start + 1),
                           self.when(start + 1), None, "start")
        if case.outcome == "completed":
            self._task_row(process_id, ref[stage, "close"], "DONE", finished, finished, finished, "start")
            self._task_row(process_id, ref[stage, "end"], "DONE", finished, finished, finished, "start")
            self.event(finished, SYSTEM, "document.archive_timestamped", version=version_id,
                       details={"sha256": _hex(rng), "reason": "tahap selesai"}, **where)
            self.event(finished, SYSTEM, "case.completed", details={"final_pdf_sha256": _hex(rng)}, **where)
        elif case.outcome == "rejected":
            self._task_row(process_id, ref[stage, "rejected"], "DONE", finished, finished, finished, "start")
        else:
            self.stats["open_cases"] += 1

    def _task_row(self, process_id, node, status, created, started, finished, token, *, owner=None, assigned=None,
                  spec=None, region_id=None) -> int:
        task_id = self.next_id("viewflow_task")
        ref, kind = node
        permission = spec.role.permission if spec else None
        self.add("viewflow_task", (task_id, ref, kind, status, created, started, finished, token, None, permission,
                                   owner, process_id, self.ct_region if spec else None,
                                   str(region_id) if spec else None, assigned, None, None, "{}", None, None, None))
        return task_id

    def _notice(self, recipient, stage, step, spec, display, year, process_id, task_id, region_id, created, due,
                read) -> int:
        case = f"{STAGE_LABEL[stage]} {display} ({year})"
        self.notices.append([self.next_id("notices_notice"), recipient, "task_created",
                             f"Tugas baru: {spec.title} — {case}",
                             f"Kasus {case} menunggu tindakan pada langkah {spec.title}. Tenggat: {due:%d-%m-%Y}.",
                             f"/workflow/flows/{stage}/{process_id}/{step}/{task_id}/", process_id, region_id,
                             None, None, created, read])
        return len(self.notices) - 1

    def _reminders(self, task_id, step, spec, due, escalate_after, created, where):
        """The sweep's events on an open task: the day before its Tenggat, then each working day overdue."""
        calendar = self.calendar
        details = {"step": step, "title": str(spec.title), "due": due.isoformat()}
        reminded = overdue_on = escalated = None
        near = calendar.previous_working_day(due)
        if near <= self.today and near >= (created + WIB).date():
            at = datetime.datetime.combine(near, datetime.time(1, 0), UTC)
            if at > created and at < self.now:
                reminded = near
                self.event(at, SYSTEM, "task.deadline_near", task=task_id, details=details, **where)
        if due < self.today:
            self.stats["overdue_open_tasks"] += 1
            day, late = due, 0
            while day < self.today and late < 5:  # the sweep goes on daily; five are enough here
                day += datetime.timedelta(days=1)
                if not calendar.is_working_day(day):
                    continue
                late += 1
                at = datetime.datetime.combine(day, datetime.time(1, 5), UTC)
                if at >= self.now:
                    break
                overdue_on = day
                self.event(at, SYSTEM, "task.overdue", task=task_id, details={**details, "overdue_days": late},
                           **where)
                if late == escalate_after:
                    escalated = day
                    self.event(at + datetime.timedelta(seconds=1), SYSTEM, "task.escalated", task=task_id, details={
                        **details, "overdue_days": late, "escalate_after_days": escalate_after,
                        "heads": ["Kepala instansi"]}, **where)
        return reminded, overdue_on, escalated

    # --- padding and writing --------------------------------------------------------------------------------
    def _padding(self) -> None:
        """Logins, logouts and document downloads, spread over the last year, up to --events."""
        missing = self.args.events - (self.first_seq + len(self.events))
        if missing <= 0:
            return
        rng = self.rng
        actors = list(self.actor.values())
        cases = self.case_refs
        span = 365 * DAY
        while missing > 0:
            actor = actors[rng.randrange(len(actors))]
            at = self.now - datetime.timedelta(seconds=rng.uniform(60, span))
            kind = rng.random()
            if kind < 0.45:
                self.event(at, actor, "auth.login")
                missing -= 1
            elif kind < 0.75:
                self.event(at, actor, "auth.logout")
                missing -= 1
            elif cases:
                region_id, programme_id, process_id = cases[rng.randrange(len(cases))]
                self.event(at, actor, "document.downloaded", region=region_id, programme=programme_id,
                           process=process_id,
                           details={"file": "final.pdf", "sha256": _hex(rng)})
                missing -= 1
        self.padded = True

    def _write_world(self) -> None:
        for model, columns in TABLES:
            table = model._meta.db_table
            if table in ("notices_notice", "audit_auditevent"):
                continue
            rows = self.rows.pop(table, [])
            if rows:
                started = time.perf_counter()
                self.writer.insert(table, columns, rows)
                print(f"    {table:<34} {len(rows):>9} rows {time.perf_counter() - started:6.1f} s", flush=True)

    def _write_events(self) -> None:
        started = time.perf_counter()
        self.events.sort(key=lambda e: e[0])
        print(f"    sorted {len(self.events)} events {time.perf_counter() - started:.1f} s", flush=True)
        last = AuditEvent.objects.order_by("-pk").values_list("pk", "hash").first()
        seq, prev = last or (0, GENESIS_HASH)
        notices = self.notices
        sha256 = hashlib.sha256
        dumps = json.dumps

        def rows():
            nonlocal seq, prev
            checked = 0
            for (when, actor_id, label, agency, action, region, programme, process, task, version, details,
                 notice) in self.events:
                seq += 1
                body = (f'{{"action":{dumps(action)},"actor":{dumps(actor_id)},"actor_agency":'
                        f'{dumps(agency, ensure_ascii=False)},"actor_label":{dumps(label, ensure_ascii=False)},'
                        f'"created":"{when.isoformat()}","details":{details},"process":{dumps(process)},'
                        f'"programme":{dumps(programme)},"region":{dumps(region)},"seq":{seq},'
                        f'"task":{dumps(task)},"version":{dumps(version)}}}')
                digest = sha256(f"{prev}\n{body}".encode()).hexdigest()
                if checked < 300:  # the same hash as audit.services computes
                    checked += 1
                    expected = event_hash(prev, _payload(seq, when, actor_id, label, agency, action, region,
                                                         programme, process, task, version, json.loads(details)))
                    if expected != digest:
                        raise SystemExit(f"hash mismatch at {seq}: {body}")
                if notice >= 0:
                    notices[notice][8] = seq
                    notices[notice][9] = f"{seq}:task_created:{notices[notice][1]}"
                yield (seq, when, actor_id, label, agency, action, region, programme, process, task, version,
                       details, prev, digest)
                prev = digest

        count = self.writer.insert("audit_auditevent", T_EVENT, rows())
        print(f"    audit_auditevent {count:>9} rows {time.perf_counter() - started:6.1f} s", flush=True)
        self.event_count = seq
        started = time.perf_counter()
        self.writer.insert("notices_notice", T_NOTICE, (tuple(n) for n in notices))
        print(f"    notices_notice {len(notices):>9} rows {time.perf_counter() - started:6.1f} s", flush=True)
        self.events = []

    def summary(self) -> dict:
        counts = {}
        with connection.cursor() as cursor:
            for model, _ in TABLES:
                cursor.execute(f'SELECT COUNT(*) FROM "{model._meta.db_table}"')  # noqa: S608
                counts[model._meta.db_table] = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM viewflow_task WHERE flow_task_type = 'HUMAN' "
                           "AND status IN ('NEW', 'ASSIGNED')")
            open_tasks = cursor.fetchone()[0]
        sample = list(StageProcess.objects.filter(programme__region__slug=REGION_SLUG).order_by("pk")
                      .values_list("pk", "stage", "outcome")[:20])
        programme = Programme.objects.filter(region__slug=REGION_SLUG).order_by("-year").first()
        busiest = list(Programme.objects.filter(region__slug=REGION_SLUG).values_list("year", flat=True))
        return {
            "users": USERS, "approver_region": REGION_SLUG, "password": DEMO_PASSWORD,
            "open_tasks": open_tasks, "events": self.event_count, "stats": self.stats, "chain": self.chain,
            "regions": counts["agreements_region"], "cases": counts["workflows_stageprocess"],
            "programmes": counts["agreements_programme"], "years": sorted(self.years_used),
            "tables": counts,
            "sample_cases": {"region": REGION_SLUG, "programme": [programme.region.slug, programme.year],
                             "cases": sample, "programme_years": sorted(busiest)},
        }
