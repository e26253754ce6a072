"""viewflow's frontend with every listing scoped to the user's regions.

Detail URLs (anything with a process or task id) are guarded by
ProcessScopeMiddleware; the listings below are the rest of the surface.
"""

from django.db.models import Q
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views import generic
from viewflow.urls import Application
from viewflow.workflow import STATUS, chart
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.flow import FlowViewset, WorkflowAppViewset
from viewflow.workflow.flow import views as vf

from agreements.views.enrolment import EnrolView
from permissions.views import DelegationEndView, DelegationView

from .selectors import scope_processes, scope_tasks
from .views import cases, documents, step_roles
from .views.common import case_url


class _ScopedTasks:
    bulk_actions = ()

    def get_queryset(self):
        # The rows show each case's brief (its region): load it with the row, not per row.
        return scope_tasks(super().get_queryset(), self.request.user).select_related(
            "owner", "process__stageprocess__programme__region"
        )


class InboxView(_ScopedTasks, vf.WorkflowInboxListView):
    pass


class QueueView(_ScopedTasks, vf.WorkflowQueueListView):
    pass


class ArchiveView(_ScopedTasks, vf.WorkflowArchiveListView):
    pass


class TaskListView(_ScopedTasks, vf.DashboardTaskListView):
    pass


class ProcessListView(vf.DashboardProcessListView):
    def get_queryset(self):
        # GROUP BY (the active-task count) drops Meta.ordering, so order explicitly.
        return (
            scope_processes(super().get_queryset(), self.request.user)
            .select_related("programme__region")
            .order_by("-created")
        )


class DashboardView(vf.DashboardView):
    """The per-flow kanban, built from scoped task queries."""

    def get_context_data(self, **kwargs):
        user = self.request.user
        flow_tasks = self.flow_class.task_class._default_manager.filter(process__flow_class=self.flow_class)
        tasks = scope_tasks(flow_tasks, user)
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


class ScopedFlowViewset(FlowViewset):
    process_detail_view_class = ProcessDetailView
    dashboard_view_class = DashboardView
    process_list_view_class = ProcessListView
    task_list_view_class = TaskListView
    process_cancel_path = None


class ScopedWorkflowApp(WorkflowAppViewset):
    title = _("Alur Kerja")
    inbox_view_class = InboxView
    queue_view_class = QueueView
    archive_view_class = ArchiveView
    # Bulk claim/release would bypass the services that record each claim.
    tasks_assign_path = None
    tasks_unassign_path = None

    def get_context_data(self, request):
        # Counters in the menu, scoped like the lists themselves.
        context = super().get_context_data(request)
        return {key: scope_tasks(value, request.user) for key, value in context.items()}


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
