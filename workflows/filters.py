"""The filters of the task lists (inbox, queue, archive, a flow's task list), bounded at any scale.

viewflow's own filters list every process the user can see in a drop-down (a hundred thousand options for a
central official) and read the step choices with a DISTINCT over every task row on each page. Here a case is
searched for by its number or its region's name, and the steps are the flows' own human steps.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import CharFilter, ChoiceFilter, FilterSet
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.flow.views.filters import (
    DashboardTaskListViewFilter,
    FlowArchiveListFilter,
    FlowUserTaskListFilter,
)

from .selectors import DUE_OVERDUE, DUE_THIS_WEEK, tasks_due

CASE_SEARCH_MAX_LENGTH = 100


def step_choices(flow_classes) -> list[tuple[str, str]]:
    """Every human step of these flows, as "<flow>/<step title>"."""
    return [
        (get_task_ref(node), f"{flow_class.process_title}/{node.task_title}")
        for flow_class in flow_classes
        for node in flow_class.instance.nodes()
        if node.task_type == "HUMAN"
    ]


def case_search(queryset, value: str, *, process_field: str = "process"):
    """Tasks of the case with this number ("#12" or "12"), or of the cases of regions whose name has the text."""
    value = (value or "").strip().lstrip("#")[:CASE_SEARCH_MAX_LENGTH]
    if not value:
        return queryset
    if value.isdigit():
        return queryset.filter(**{f"{process_field}_id": int(value)})
    region = f"{process_field}__stageprocess__programme__region"
    return queryset.filter(Q(**{f"{region}__name__icontains": value}) | Q(**{f"{region}__province__icontains": value}))


class _FlowStepChoices:
    """Step choices from the flows (passed by the view as flow_classes), not from the rows."""

    def __init__(self, *args, flow_classes=(), **kwargs):
        FilterSet.__init__(self, *args, **kwargs)  # not viewflow's __init__: its DISTINCT over every task
        self.filters["flow_task"].field.choices = step_choices(flow_classes)


class OpenTaskFilter(_FlowStepChoices, FlowUserTaskListFilter):
    """The inbox's and the queue's filters, with the Tenggat."""

    process = CharFilter(label=_("Kasus"), method="filter_case",
                         help_text=_("Nomor kasus atau nama daerah"), max_length=CASE_SEARCH_MAX_LENGTH)
    tenggat = ChoiceFilter(
        label=_("Tenggat"),
        empty_label=_("Semua"),
        choices=[(DUE_OVERDUE, _("Terlambat")), (DUE_THIS_WEEK, _("Jatuh tempo minggu ini"))],
        method="filter_tenggat",
    )

    def filter_case(self, queryset, name, value):
        return case_search(queryset, value)

    def filter_tenggat(self, queryset, name, value):
        return tasks_due(queryset, value)


class ArchiveTaskFilter(_FlowStepChoices, FlowArchiveListFilter):
    pass


class FlowTaskFilter(_FlowStepChoices, DashboardTaskListViewFilter):
    pass
