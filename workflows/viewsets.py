"""viewflow's frontend with every listing scoped to the user's regions.

Detail URLs (anything with a process or task id) are guarded by
ProcessScopeMiddleware; the listings below are the rest of the surface.
"""

from django.db.models import Count, Q
from django.urls import path
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views import generic
from viewflow.urls import Application
from viewflow.utils import viewprop
from viewflow.workflow import STATUS, chart
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.flow import FlowViewset, WorkflowAppViewset
from viewflow.workflow.flow import views as vf
from viewflow.workflow.models import Task

from agreements.views.enrolment import EnrolView
from permissions.views import DelegationEndView, DelegationView

from . import filters
from .selectors import queue_tasks, scope_processes, scope_tasks, with_deadlines
from .views import cases, documents, step_roles
from .views.common import case_url


class _ScopedTasks:
    bulk_actions = ()

    def get_filterset(self, filterset_class, queryset):
        # The filters' own queries (a case searched for) run on the rows the user may see.
        return super().get_filterset(filterset_class, scope_tasks(queryset, self.request.user))

    def get_filterset_kwargs(self, filterset_class):
        flow_classes = getattr(self, "flow_classes", None) or [self.flow_class]
        return {**super().get_filterset_kwargs(filterset_class), "flow_classes": flow_classes}

    def get_queryset(self):
        # The rows show each case's brief (its region): load it with the row, not per row.
        return scope_tasks(super().get_queryset(), self.request.user).select_related(
            "owner", "process__stageprocess__programme__region"
        )


class _TenggatColumn:
    """A "Tenggat" column, sortable, with a "Terlambat" badge past it (from the row's own query)."""

    filterset_class = filters.OpenTaskFilter

    def get_queryset(self):
        return with_deadlines(super().get_queryset())

    def tenggat(self, task):
        if task.due_on is None:
            return "—"
        day = formats.date_format(task.due_on, "d-m-Y")
        if task.is_overdue:
            return format_html('{} <span class="sp-badge sp-badge--overdue">{}</span>', day, _("Terlambat"))
        return day

    tenggat.short_description = _("Tenggat")
    tenggat.orderby_column = "deadline__due"

    # viewflow names these two columns in English only.
    def process_brief(self, task):
        return super().process_brief(task)

    process_brief.short_description = _("Kasus")

    def brief(self, task):
        return task.brief

    brief.short_description = _("Ringkasan")


# The Tenggat third: on a phone the table scrolls sideways, and the first columns are what shows.
class InboxView(_TenggatColumn, _ScopedTasks, vf.WorkflowInboxListView):
    columns = ("task_id", "flow_task", "tenggat", "process_brief", "brief", "created")

    def created(self, task):  # viewflow's "time since", under our header and sortable
        return super().created(task)

    created.short_description = _("Dibuat")
    created.orderby_column = "created"


class QueueView(_TenggatColumn, _ScopedTasks, vf.WorkflowQueueListView):
    columns = ("task_id", "process_brief", "tenggat", "flow_task", "brief", "created")

    @viewprop
    def queryset(self):
        user = self.request.user
        return queue_tasks(Task._default_manager.filter_available(self.flow_classes, user), user)


class ArchiveView(_ScopedTasks, vf.WorkflowArchiveListView):
    filterset_class = filters.ArchiveTaskFilter


class TaskListView(_ScopedTasks, vf.DashboardTaskListView):
    filterset_class = filters.FlowTaskFilter


class ProcessListView(vf.DashboardProcessListView):
    """A flow's cases, newest first. viewflow counts each case's open tasks with a GROUP BY over every case and
    task of the flow (2.4 s at national scale); here they are counted for the page's cases only."""

    def get_queryset(self):
        queryset = super(vf.DashboardProcessListView, self).get_queryset().filter(flow_class=self.flow_class)
        return scope_processes(queryset, self.request.user).select_related("programme__region").order_by("-created")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context.get("page_obj")
        cases = list(page.object_list if page is not None else context["object_list"])
        self.open_task_counts = dict(
            Task.objects.filter(process__in=cases, finished__isnull=True).order_by()
            .values("process").annotate(count=Count("pk")).values_list("process", "count")
        )
        return context

    def active_tasks(self, process):
        return self.open_task_counts.get(process.pk, 0)

    active_tasks.short_description = _("Tugas aktif")


class DashboardView(vf.DashboardView):
    """The per-flow kanban, built from scoped task queries."""

    # Ten cards a column, then "…" and "Show all" (the task list, paged and filtered): viewflow's 25 made a
    # 400 KB page of a flow with many steps at national scale.
    MAX_ROWS = 11

    def get_context_data(self, **kwargs):
        user = self.request.user
        flow_tasks = self.flow_class.task_class._default_manager.filter(process__flow_class=self.flow_class)
        # Each card shows the case's brief and the claim / work links: load the case, programme and region with it.
        tasks = scope_tasks(flow_tasks, user).select_related("owner", "process__stageprocess__programme__region")
        sorted_nodes, _ = chart.topsort(self.flow_class)
        end_nodes = [node for node in sorted_nodes if node.task_type == "END"]
        columns = [
            {
                "node": node,
                "node_ref": get_task_ref(node),
                "tasks": tasks.filter(Q(finished__isnull=True) | Q(status=STATUS.ERROR), flow_task=node)[
                    : self.MAX_ROWS
                ],
            }
            for node in sorted_nodes
            if node.task_type in ["HUMAN", "JOB", "SUBPROCESS"]
        ]
        context = super(vf.DashboardView, self).get_context_data(**kwargs)
        context.update(
            columns=columns,
            start_nodes=[],
            end_nodes=end_nodes,
            finished=tasks.filter(finished__isnull=False, flow_task__in=end_nodes)[: self.MAX_ROWS],
        )
        return context


class ProcessDetailView(generic.RedirectView):
    """One detail page per case: viewflow's process page leads to ours."""

    def get_redirect_url(self, *args, process_pk, **kwargs):
        return case_url(process_pk)


def menu_counters(flow_classes, user) -> dict:
    """The inbox and queue counters of the menus, scoped like the lists themselves."""
    manager = Task._default_manager
    return {
        "user_inbox": scope_tasks(manager.inbox(flow_classes, user), user),
        "user_queue": scope_tasks(queue_tasks(manager.filter_available(flow_classes, user), user), user),
    }


class ScopedFlowViewset(FlowViewset):
    process_detail_view_class = ProcessDetailView
    dashboard_view_class = DashboardView
    process_list_view_class = ProcessListView
    task_list_view_class = TaskListView
    process_cancel_path = None

    def get_context_data(self, request):
        return menu_counters([self._flow_class], request.user)


class ScopedWorkflowApp(WorkflowAppViewset):
    title = _("Alur Kerja")
    inbox_view_class = InboxView
    queue_view_class = QueueView
    archive_view_class = ArchiveView
    # Bulk claim/release would bypass the services that record each claim.
    tasks_assign_path = None
    tasks_unassign_path = None

    def get_context_data(self, request):
        return menu_counters(self.flow_classes, request.user)


class ProgrammeApp(Application):
    """Our own pages: programmes, cases with their history, documents."""

    app_name = "sepakat"
    title = _("Program Kota Cerdas")
    icon = "location_city"
    menu_template_name = "sepakat/app_menu.html"

    index_path = path("", cases.ProgrammeListView.as_view(), name="index")
    programme_path = path("program/<slug:region>/<int:year>/", cases.ProgrammeDetailView.as_view(), name="programme")
    case_open_path = path(
        "program/<slug:region>/<int:year>/<slug:stage>/mulai/", cases.CaseOpenView.as_view(), name="case_open"
    )
    case_path = path("kasus/<int:process_pk>/", cases.CaseDetailView.as_view(), name="case_detail")
    version_pdf_path = path(
        "kasus/<int:process_pk>/versi/<int:number>/pdf/", documents.VersionPdfView.as_view(), name="version_pdf"
    )
    final_pdf_path = path("kasus/<int:process_pk>/final.pdf", documents.FinalPdfView.as_view(), name="final_pdf")
    signing_pdf_path = path("kasus/<int:process_pk>/untuk-ditandatangani.pdf", documents.SigningPdfView.as_view(),
                            name="signing_pdf")
    decided_file_path = path("kasus/<int:process_pk>/berkas/<slug:sha256>.pdf", documents.DecidedFileView.as_view(),
                             name="decided_file")
    enrol_path = path("tanda-tangan/passphrase/", EnrolView.as_view(), name="enrol")
    signing_retry_path = path("kasus/<int:process_pk>/siapkan-ulang/", cases.SigningRetryView.as_view(),
                              name="signing_retry")
    reassign_path = path("kasus/<int:process_pk>/tugas/<int:task_pk>/alihkan/", cases.ReassignView.as_view(),
                         name="reassign")
    delegations_path = path("delegasi/", DelegationView.as_view(), name="delegations")
    delegation_end_path = path("delegasi/<int:pk>/akhiri/", DelegationEndView.as_view(), name="delegation_end")
    step_roles_path = path("peran/", step_roles.StepRolesView.as_view(), name="step_roles")
    compare_path = path("kasus/<int:process_pk>/bandingkan/", documents.CompareView.as_view(), name="compare")
    attachment_upload_path = path(
        "kasus/<int:process_pk>/lampiran/", documents.AttachmentUploadView.as_view(), name="attachment_upload"
    )
    attachment_path = path(
        "kasus/<int:process_pk>/lampiran/<int:attachment_pk>/", documents.AttachmentDownloadView.as_view(),
        name="attachment",
    )
