"""Programmes and their cases: lists, a case's page, opening a stage, reassigning, retrying."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.views import generic
from viewflow.workflow import STATUS

from permissions.selectors import holders_of, is_head_for, regions_visible_to, user_holds_step_role

from .. import forms, selectors, services
from .. import messages as texts
from ..models import STAGE_ORDER
from .common import case_or_404, case_url


def _task_links(task, user, region) -> dict:
    """The claim / work / release / reassign links this user has on an open task."""
    node, args = task.flow_task, [task.process_id, task.pk]
    links = {}
    if task.status == STATUS.NEW and node.can_assign(user, task) and user_holds_step_role(user, node.step_role, region):
        links["claim"] = node.reverse("assign", args=args)
    if task.status == STATUS.ASSIGNED and node.can_execute(user, task):
        links.update(execute=node.reverse("execute", args=args), release=node.reverse("unassign", args=args))
    if task.status in (STATUS.NEW, STATUS.ASSIGNED) and is_head_for(user, node.step_role, region):
        links["reassign"] = reverse("sepakat:reassign", args=args)
    return links


class ProgrammeListView(generic.ListView):
    """The home page: the user's tasks, then the programmes of their regions, a page at a time."""

    template_name = "workflows/programme_list.html"
    context_object_name = "programmes"
    paginate_by = selectors.PROGRAMMES_PER_PAGE

    def filters(self) -> dict:
        search = self.request.GET.get("q", "")[: selectors.SEARCH_MAX_LENGTH]
        year = _count_or_none(self.request.GET.get("tahun"))
        return {"search": search, "year": year}

    def get_queryset(self):
        return selectors.programme_rows(self.request.user, **self.filters())

    def paginate_queryset(self, queryset, page_size):
        # A page number out of range or not a number shows the nearest page, not a 404.
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        page.object_list = list(page.object_list)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        selectors.with_current_cases(context["programmes"])
        mine = selectors.my_tasks(user)
        for task in mine["tasks"]:
            task.url = task.flow_task.reverse("index", args=[task.process_id, task.pk])
            task.case = task.process.stageprocess
        filters = self.filters()
        query = {key: value for key, value in (("q", filters["search"]), ("tahun", filters["year"])) if value}
        context.update(
            region_count=regions_visible_to(user).count(),
            my_tasks=mine,
            search=filters["search"],
            year=filters["year"],
            years=selectors.programme_years(user),
            filter_query=urlencode(query),
        )
        return context


class ProgrammeDetailView(generic.TemplateView):
    template_name = "workflows/programme_detail.html"

    def get_context_data(self, **kwargs):
        programme = (
            selectors.programmes_visible_to(self.request.user)
            .filter(region__slug=self.kwargs["region"], year=self.kwargs["year"])
            .first()
        )
        if programme is None:
            raise Http404
        return super().get_context_data(
            programme=programme,
            stages=selectors.programme_timeline(programme, self.request.user),
            **kwargs,
        )


class CaseOpenView(generic.View):
    """The drafters open the first stage; an administrator reopens a rejected one."""

    def post(self, request, region, year, stage):
        programme = selectors.programmes_visible_to(request.user).filter(region__slug=region, year=year).first()
        if programme is None or stage not in STAGE_ORDER:
            raise Http404
        reopen = request.POST.get("reopen") == "1"
        try:
            if reopen:
                process = services.stage_reopen(programme=programme, stage=stage, user=request.user)
            else:
                process = services.stage_open(programme=programme, stage=stage, opened_by=request.user)
        except services.StepError as error:
            messages.error(request, str(error))
            return redirect("sepakat:programme", region=region, year=year)
        messages.success(request, texts.STAGE_REOPENED if reopen else texts.CASE_OPENED)
        return redirect(case_url(process.pk))


def _day_or_none(value):
    try:
        return parse_date(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _count_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _history_details(item: dict) -> dict:
    """What the "Riwayat tugas" table says of an event beyond its label: the step's title (events name it under
    different keys), and of a Tenggat event the date, the working days late, the heads it went to."""
    details = item["event"].details or {}
    heads = details.get("heads") or []
    item.update(
        step=details.get("step_title") or details.get("title") or details.get("step", ""),
        due=_day_or_none(details.get("due")),
        overdue_days=_count_or_none(details.get("overdue_days")),
        heads=", ".join(str(head) for head in heads) if isinstance(heads, list) else str(heads),
    )
    return item


class CaseDetailView(generic.TemplateView):
    template_name = "workflows/case_detail.html"

    def get_context_data(self, **kwargs):
        case = case_or_404(self.request.user, self.kwargs["process_pk"])
        tasks = list(selectors.with_deadlines(selectors.case_tasks(case)))
        region = case.programme.region
        for task in tasks:
            task.links = _task_links(task, self.request.user, region) if task.finished is None else {}
        versions = list(selectors.case_versions(case))
        return super().get_context_data(
            case=case,
            tasks=tasks,
            decisions=selectors.case_decisions(case),
            versions=versions,
            attachments=selectors.case_attachments(case),
            task_history=[_history_details(item) for item in selectors.case_task_history(case)],
            attachment_form=forms.AttachmentForm(versions=versions) if versions else None,
            can_attach=selectors.takes_part_in(self.request.user, case),
            **kwargs,
        )


class ReassignView(generic.FormView):
    """An agency head moves a task to a holder of its role (another one, once claimed), with a reason."""

    template_name = "workflows/reassign.html"
    form_class = forms.ReassignForm

    def dispatch(self, request, *args, **kwargs):
        self.case = case_or_404(request.user, kwargs["process_pk"])
        self.task = selectors.case_tasks(self.case).filter(pk=kwargs["task_pk"]).first()
        if self.task is None:
            raise Http404
        self.step_role = self.task.flow_task.step_role
        if not is_head_for(request.user, self.step_role, self.case.programme.region):
            raise PermissionDenied(texts.REASSIGN_HEAD_ONLY)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        holders = [u for u in holders_of(self.step_role, self.case.programme.region) if u != self.task.owner]
        return {**super().get_form_kwargs(), "holders": holders}

    def get_context_data(self, **kwargs):
        return super().get_context_data(case=self.case, task=self.task, **kwargs)

    def form_valid(self, form):
        to = get_user_model().objects.get(pk=form.cleaned_data["to"])
        try:
            with services.acting_on(self.task) as activation:
                services.task_reassign(activation=activation, by=self.request.user, to=to,
                                       reason=form.cleaned_data["reason"])
        except services.StepError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, texts.TASK_REASSIGNED % {"name": to.get_full_name() or to.get_username()})
        return redirect(case_url(self.case.pk))


class SigningRetryView(generic.View):
    """Queue the document's preparation again after a failure."""

    def post(self, request, process_pk):
        case = case_or_404(request.user, process_pk)
        services.signing_preparation_retry(process=case, user=request.user)
        messages.info(request, texts.PREPARATION_QUEUED)
        return redirect(case_url(case.pk))
