"""Scoped queries over cases and tasks: nothing leaves a user's regions."""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy
from viewflow.workflow import STATUS
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.models import Task

from agreements.kinds import kind_spec
from agreements.models import Attachment, Decision, ParafCopy, Programme, StoredPdf
from audit.actions import AuditAction
from permissions.backends import object_permissions
from permissions.memo import remembered
from permissions.selectors import region_scope, user_holds_step_role
from permissions.steps import STEP_ROLES

from . import messages
from .models import STAGE_ORDER, Outcome, Stage, StageProcess, TaskDeadline, stage_before


def processes_visible_to(user):
    return scope_processes(StageProcess.objects.all(), user)


def scope_processes(queryset, user):
    """Narrow a queryset of Process (or StageProcess) rows to the user's regions."""
    prefix = "" if issubclass(queryset.model, StageProcess) else "stageprocess__"
    return queryset.filter(region_scope(user, f"{prefix}programme__region", every=f"{prefix}programme"))


def scope_tasks(queryset, user):
    """Narrow a queryset of viewflow Task rows to the user's regions."""
    scope = region_scope(user, "process__stageprocess__programme__region", every="process__stageprocess")
    return queryset.filter(scope)


def task_visible(user, *, task_pk: int, process_pk: int | None = None, node=None) -> bool:
    """The task is in the user's regions (and of this process, and at this flow node, when given)."""
    def ask():
        tasks = scope_tasks(Task.objects.filter(pk=task_pk), user)
        if process_pk is not None:
            tasks = tasks.filter(process_id=process_pk)
        if node is not None:
            tasks = tasks.filter(flow_task=node)
        return tasks.exists()

    return remembered(user, ("task_visible", task_pk, process_pk, get_task_ref(node) if node else None), ask)


def process_visible(user, process_pk: int) -> bool:
    return remembered(user, ("process_visible", process_pk),
                      lambda: processes_visible_to(user).filter(pk=process_pk).exists())


def programmes_visible_to(user):
    return (
        Programme.objects.filter(region_scope(user, "region"))
        .select_related("region")
        .prefetch_related(
            Prefetch(
                "stage_processes",
                queryset=StageProcess.objects.order_by("created").prefetch_related(
                    Prefetch("task_set", queryset=Task.objects.filter(finished__isnull=True).select_related("owner"))
                ),
            )
        )
        .order_by("-year", "region__kind", "region__name")
    )


PROGRAMMES_PER_PAGE = 50
SEARCH_MAX_LENGTH = 100


def programme_rows(user, *, search: str = "", year: int | None = None):
    """The programme list's rows: programmes in the user's regions, newest cohort first, then by region;
    narrowed by a region's name (or its province) and a cohort year."""
    rows = (
        Programme.objects.filter(region_scope(user, "region"))
        .select_related("region")
        .order_by("-year", "region__kind", "region__name", "pk")
    )
    search = search.strip()[:SEARCH_MAX_LENGTH]
    if search:
        rows = rows.filter(Q(region__name__icontains=search) | Q(region__province__icontains=search))
    if year is not None:
        rows = rows.filter(year=year)
    return rows


def programme_years(user) -> list[int]:
    """The cohort years of the programmes in the user's regions, newest first (the list's year filter)."""
    return list(
        Programme.objects.filter(region_scope(user, "region")).order_by("-year").values_list("year", flat=True)
        .distinct()
    )


def with_current_cases(programmes: list) -> list:
    """Each programme of one page with `current_case` (its latest case, or None) and that case's
    `open_tasks` (open human tasks with their owners): two queries, whatever the page's size."""
    latest = {}
    cases = StageProcess.objects.filter(programme__in=programmes).order_by("programme_id", "created", "pk")
    for case in cases:
        latest[case.programme_id] = case
    open_tasks = {}
    for task in (Task.objects.filter(process__in=list(latest.values()), finished__isnull=True,
                                     flow_task_type="HUMAN").select_related("owner").order_by("created", "pk")):
        open_tasks.setdefault(task.process_id, []).append(task)
    for programme in programmes:
        programme.current_case = latest.get(programme.pk)
        if programme.current_case is not None:
            programme.current_case.open_tasks = open_tasks.get(programme.current_case.pk, [])
    return programmes


def case_for(user, process_pk: int) -> StageProcess:
    """The case if the user may see it; raises StageProcess.DoesNotExist otherwise."""
    return (
        processes_visible_to(user)
        .select_related("programme__region", "document", "final_pdf")
        .get(pk=process_pk)
    )


def case_tasks(process: StageProcess):
    return (
        Task.objects.filter(process=process, flow_task_type="HUMAN")
        .select_related("owner__official")
        .order_by("created", "pk")
    )


def case_decisions(process: StageProcess):
    return Decision.objects.filter(process=process).select_related("version").order_by("created", "pk")


def case_versions(process: StageProcess):
    return process.document.versions.select_related("author__official").order_by("-number")


def decided_file(process: StageProcess, sha256: str):
    """(version, file, label) of the case's paraf copy or signed revision with this hash, or None."""
    copy = ParafCopy.objects.filter(version__document=process.document, sha256=sha256).select_related("version").first()
    if copy is not None:
        return copy.version, copy.file, f"versi {copy.version.number} (diparaf)"
    revision = StoredPdf.objects.filter(document=process.document, sha256=sha256).select_related("version").first()
    if revision is not None:
        return revision.version, revision.file, f"revisi {revision.revision}"
    return None


def case_attachments(process: StageProcess):
    return (
        Attachment.objects.filter(version__document=process.document)
        .select_related("version", "uploaded_by__official")
        .order_by("created", "pk")
    )


def takes_part_in(user, process: StageProcess) -> bool:
    """The user holds one of the stage's acting roles for the case's region."""
    region = process.programme.region
    return any(user_holds_step_role(user, role, region) for role in STEP_ROLES[process.stage].values())


def version_context(version) -> dict:
    """What a page needs to show one version's text."""
    if version is None:
        return {"version": None}
    return {
        "version": version,
        "text_template": kind_spec(version.document.kind).text_template,
        "articles": list(version.articles.all()),
        "chapters": list(version.chapters.all()),
        "quick_wins": list(version.quick_wins.all()),
        "roadmap": list(version.roadmap.all()),
    }


def programme_timeline(programme, user) -> list[dict]:
    """The three stages of a programme, each with its cases (newest first) and what the user may do."""
    cases = list(programme.stage_processes.all())
    timeline = []
    for stage in STAGE_ORDER:
        stage_cases = sorted((c for c in cases if c.stage == stage), key=lambda c: c.created, reverse=True)
        latest = stage_cases[0] if stage_cases else None
        timeline.append({
            "stage": stage,
            "label": Stage(stage).label,
            "cases": stage_cases,
            "latest": latest,
            "can_open": stage_before(stage) is None and latest is None
            and can_open_stage(user=user, programme=programme, stage=stage),
            "can_reopen": user.is_superuser and latest is not None and latest.outcome == Outcome.REJECTED,
        })
    return timeline


TASK_ACTIONS = {
    AuditAction.TASK_CREATED: gettext_lazy("dibuat"),
    AuditAction.TASK_CLAIMED: gettext_lazy("diambil"),
    AuditAction.TASK_RELEASED: gettext_lazy("dilepaskan"),
    AuditAction.TASK_REASSIGNED: gettext_lazy("dialihkan"),
    AuditAction.TASK_FINISHED: gettext_lazy("diselesaikan"),
    AuditAction.TASK_DEADLINE_NEAR: gettext_lazy("pengingat: tenggat besok"),
    AuditAction.TASK_OVERDUE: gettext_lazy("pengingat: terlambat"),
    AuditAction.TASK_ESCALATED: gettext_lazy("dieskalasi ke kepala instansi"),
}


def case_task_history(process: StageProcess) -> list:
    """Who claimed, released, reassigned and finished which task, in order (from the audit log)."""
    from audit.models import AuditEvent

    events = AuditEvent.objects.filter(process_id=process.pk, action__in=TASK_ACTIONS).order_by("pk")
    return [{"event": e, "label": TASK_ACTIONS[e.action]} for e in events]


def previous_stage_case(programme, stage: str) -> StageProcess | None:
    """The completed case of the stage before, whose final PDF this stage follows."""
    before = stage_before(stage)
    if before is None:
        return None
    return (
        StageProcess.objects.filter(programme=programme, stage=before, outcome=Outcome.COMPLETED)
        .select_related("final_pdf")
        .first()
    )


def stage_blocker(*, programme, stage: str):
    """Why the stage cannot open now, or None."""
    cases = StageProcess.objects.filter(programme=programme, stage=stage)
    if cases.filter(outcome=Outcome.COMPLETED).exists():
        return messages.STAGE_ALREADY_DONE
    if cases.filter(outcome=Outcome.OPEN).exists():
        return messages.CASE_ALREADY_OPEN
    if stage_before(stage) and previous_stage_case(programme, stage) is None:
        return messages.PREVIOUS_STAGE_NOT_DONE
    return None


def can_open_stage(*, user, programme, stage: str) -> bool:
    """The stage's drafters open it (the first one; later stages open by themselves)."""
    drafter = STEP_ROLES[stage]["draft"]
    return user_holds_step_role(user, drafter, programme.region) and stage_blocker(
        programme=programme, stage=stage
    ) is None


# Tenggat and the tasks a user may act on -------------------------------------------------------------

DUE_OVERDUE = "overdue"
DUE_THIS_WEEK = "this_week"
MY_TASKS_SHOWN = 20  # the home page lists the most urgent; the inbox and the queue have the rest


def week_end(day: datetime.date) -> datetime.date:
    """The Sunday of the day's week: "this week" runs from today to it (a Tenggat is always a working day,
    so up to Sunday and up to Friday select the same tasks)."""
    return day + datetime.timedelta(days=6 - day.weekday())


def tasks_due(queryset, which: str, today: datetime.date | None = None):
    """Open tasks past their Tenggat (DUE_OVERDUE: today is after it), or due from today to the end of this
    week (DUE_THIS_WEEK); the queryset unchanged for anything else."""
    today = today or timezone.localdate()
    if which == DUE_OVERDUE:
        return queryset.filter(finished__isnull=True, deadline__due__lt=today)
    if which == DUE_THIS_WEEK:
        return queryset.filter(finished__isnull=True, deadline__due__range=(today, week_end(today)))
    return queryset


def with_deadlines(queryset, today: datetime.date | None = None):
    """Each task with its Tenggat (`due_on`, None for a task without one) and whether it is open past it
    (`is_overdue`), in the same query."""
    today = today or timezone.localdate()
    # A subquery, not a join: a list's page count (COUNT over every row in scope) then reads no Tenggat at all.
    due = Subquery(TaskDeadline.objects.filter(task=OuterRef("pk")).values("due")[:1])
    return queryset.annotate(due_on=due).annotate(
        is_overdue=ExpressionWrapper(Q(finished__isnull=True, due_on__lt=today), output_field=BooleanField()),
    )


def signing_nodes() -> list:
    """The flows' paraf and signature steps: what "Perlu tanda tangan" counts."""
    from .flows import FLOWS  # the flows import this module

    return [
        node
        for flow_class in FLOWS.values()
        for node in flow_class.instance.nodes()
        if getattr(node, "spec", None) is not None and (node.spec.signer is not None or node.spec.is_paraf)
    ]


# More (permission, object) pairs than this and the queue asks viewflow's way (one string per row compared).
QUEUE_PAIRS_MAX = 500


def _permission_branches(user, *, as_holder: bool = False) -> list[Q] | None:
    """viewflow's rule for who may claim a task (TaskQuerySet.user_queue), on the same guardian permissions, as
    conditions an index answers: the user is its owner, it needs no permission, it needs one the user holds for
    every region, or one the user holds for its region (each (permission, object) pair its own condition on the
    two columns, index workflows 0005; viewflow compares "<permission>_<object pk>" built for every row).
    None: no condition (a superuser) — or too many pairs, and the caller asks viewflow's way. `as_holder`: a
    superuser too only by the roles they hold (their synced permissions), not by being a superuser."""
    if user.is_superuser and not as_holder:
        return None
    pairs = _object_permission_pairs(user)
    if len(pairs) > QUEUE_PAIRS_MAX:
        return None
    branches = [Q(owner_permission__isnull=True), Q(owner=user)]
    if user.is_superuser:  # the permissions their roles gave them (permissions.services syncs them for everyone)
        global_permissions = {f"{app}.{codename}" for app, codename in user.user_permissions.values_list(
            "content_type__app_label", "codename")}
    else:
        global_permissions = user.get_all_permissions()
    if global_permissions:
        branches.append(Q(owner_permission__in=sorted(global_permissions)))
    branches += [Q(owner_permission=permission, owner_permission_obj_pk=object_pk) for permission, object_pk in pairs]
    return branches


def _object_permission_pairs(user) -> list[tuple[str, str]]:
    """("<app>.<codename>", object pk) of the user's object permissions, as viewflow names a task's."""
    return sorted({(f"{ContentType.objects.get_for_id(content_type_id).app_label}.{codename}", object_pk)
                   for content_type_id, object_pk, codename in object_permissions(user)})


def queue_tasks(queryset, user, *, as_holder: bool = False):
    """The user's queue: tasks waiting to be claimed that they may claim (the status in each branch, so that
    each is one range of the index (status, permission, object))."""
    queryset = queryset.filter(flow_task_type="HUMAN")
    branches = _permission_branches(user, as_holder=as_holder)
    if branches is None:
        queue = queryset if user.is_superuser else queryset.user_queue(user)
        return queue.filter(status=STATUS.NEW)
    waiting = Q()
    for branch in branches:
        waiting |= Q(status=STATUS.NEW) & branch
    return queryset.filter(waiting)


def actionable_tasks(user):
    """Open human tasks the user may act on now, in their regions: claimed by them (their inbox), or waiting
    to be claimed at a step whose role they hold or are delegated (their queue). The queue's rule is
    viewflow's own (queue_tasks, on the guardian permissions synced from role assignments and
    delegations), so the home page, the inbox and the queue always agree (for everyone but a superuser)."""
    # (claimed by them) or (waiting and permitted): each branch a condition that an index answers.
    claimed = Task.objects.filter(flow_task_type="HUMAN", status=STATUS.ASSIGNED, owner=user)
    # A superuser (an administrator) is told of the steps of the roles they hold, not of every task in the
    # country that being a superuser lets them claim (viewflow's queue still lists those).
    waiting = queue_tasks(Task.objects.all(), user, as_holder=True)
    return scope_tasks(claimed | waiting, user)


# Up to this many tasks to act on, "Tugas saya" reads their ids and Tenggat and sorts here (index lookups only);
# past it (an administrator of every region) the database sorts them.
MY_TASKS_SORTED_HERE = 5000


def my_tasks(user, *, limit: int = MY_TASKS_SHOWN, today: datetime.date | None = None) -> dict:
    """The home page's "Tugas saya": the most urgent tasks (overdue first, then by Tenggat; those without a
    Tenggat last) and the counters, in three queries whatever the number of tasks.

    A central official acts on thousands of tasks across the country: joining them in SQL to their Tenggat
    made the database read every Tenggat ever set (a hash join), so the ids and Tenggat are read by index
    and the most urgent picked here; only those are loaded whole."""
    today = today or timezone.localdate()
    tasks = actionable_tasks(user)
    signing = {get_task_ref(node) for node in signing_nodes()}
    found = list(tasks.values_list("pk", "flow_task", "created")[:MY_TASKS_SORTED_HERE + 1])
    if len(found) > MY_TASKS_SORTED_HERE:
        return _my_tasks_sorted_by_the_database(tasks, limit=limit, today=today)
    dues = dict(TaskDeadline.objects.filter(task_id__in=[pk for pk, _node, _created in found])
                .values_list("task_id", "due"))
    counts = {
        "action": len(found),
        "signing": sum(1 for _pk, node, _created in found if get_task_ref(node) in signing),
        "overdue": sum(1 for pk, _node, _created in found if pk in dues and dues[pk] < today),
    }
    never = datetime.date.max
    urgent = sorted(found, key=lambda row: (dues.get(row[0], never), row[0] not in dues, row[2], row[0]))[:limit]
    order = {pk: position for position, (pk, _node, _created) in enumerate(urgent)}
    rows = sorted(
        with_deadlines(Task.objects.filter(pk__in=order), today)
        .select_related("owner", "process__stageprocess__programme__region"),
        key=lambda task: order[task.pk],
    )
    return {"tasks": rows, "counts": counts, "more": max(counts["action"] - len(rows), 0)}


def _my_tasks_sorted_by_the_database(tasks, *, limit: int, today: datetime.date) -> dict:
    late = Exists(TaskDeadline.objects.filter(task=OuterRef("pk"), due__lt=today))
    counts = tasks.aggregate(
        action=Count("pk"),
        signing=Count("pk", filter=Q(flow_task__in=signing_nodes())),
        overdue=Count("pk", filter=late),
    )
    rows = list(
        with_deadlines(tasks, today)
        .select_related("owner", "process__stageprocess__programme__region")
        .order_by(F("deadline__due").asc(nulls_last=True), "created", "pk")[:limit]
    )
    return {"tasks": rows, "counts": counts, "more": max(counts["action"] - len(rows), 0)}
