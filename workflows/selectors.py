"""Scoped queries over cases and tasks: nothing leaves a user's regions."""

from django.db.models import Prefetch
from viewflow.workflow.models import Task

from agreements.models import Decision, Programme
from permissions.selectors import regions_visible_to

from .models import StageProcess


def processes_visible_to(user):
    return StageProcess.objects.filter(programme__region__in=regions_visible_to(user))


def scope_processes(queryset, user):
    """Narrow a queryset of Process (or StageProcess) rows to the user's regions."""
    prefix = "" if issubclass(queryset.model, StageProcess) else "stageprocess__"
    return queryset.filter(**{f"{prefix}programme__region__in": regions_visible_to(user)})


def scope_tasks(queryset, user):
    """Narrow a queryset of viewflow Task rows to the user's regions."""
    return queryset.filter(process__stageprocess__programme__region__in=regions_visible_to(user))


def task_visible(user, *, task_pk: int, process_pk: int | None = None) -> bool:
    tasks = scope_tasks(Task.objects.filter(pk=task_pk), user)
    if process_pk is not None:
        tasks = tasks.filter(process_id=process_pk)
    return tasks.exists()


def process_visible(user, process_pk: int) -> bool:
    return processes_visible_to(user).filter(pk=process_pk).exists()


def programmes_visible_to(user):
    return (
        Programme.objects.filter(region__in=regions_visible_to(user))
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


def case_for(user, process_pk: int) -> StageProcess:
    """The case if the user may see it; raises StageProcess.DoesNotExist otherwise."""
    return processes_visible_to(user).select_related("programme__region", "mou", "final_pdf").get(pk=process_pk)


def case_tasks(process: StageProcess):
    return (
        Task.objects.filter(process=process, flow_task_type="HUMAN")
        .select_related("owner__official")
        .order_by("created", "pk")
    )


def case_decisions(process: StageProcess):
    return Decision.objects.filter(process=process).select_related("version").order_by("created", "pk")
