"""Thin views: parse the request, call a service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import generic
from viewflow.workflow import STATUS
from viewflow.workflow.flow.views import AssignTaskView, UnassignTaskView

from agreements import mou_text, pdf
from agreements.snapshots import mou_snapshot
from permissions.selectors import regions_visible_to

from . import forms, selectors, services
from . import messages as texts
from .models import StageProcess


def case_url(process_pk: int) -> str:
    return reverse("sepakat:case_detail", kwargs={"process_pk": process_pk})


class _StepViewMixin:
    """Context shared by every step page: the case, its current text, the notes so far."""

    def get_context_data(self, **kwargs):
        process = self.request.activation.process
        version = process.mou.latest_version()
        return super().get_context_data(
            case=process,
            version=version,
            articles=version.articles.all() if version else [],
            decisions=selectors.case_decisions(process),
            **kwargs,
        )

    def done(self, message):
        messages.success(self.request, message)
        return redirect(case_url(self.request.activation.process.pk))


class DraftView(_StepViewMixin, generic.FormView):
    template_name = "workflows/mou/draft.html"
    form_class = forms.MouDraftForm

    def get_initial(self):
        process = self.request.activation.process
        version = process.mou.latest_version()
        if version is None:
            region = process.programme.region
            return {"title": mou_text.default_title(region), "preamble": mou_text.default_preamble(region)}
        return {
            "title": version.title,
            "number_ministry": version.number_ministry,
            "number_region": version.number_region,
            "preamble": version.preamble,
        }

    def _article_initial(self):
        version = self.request.activation.process.mou.latest_version()
        if version is None:
            return mou_text.default_articles(self.request.activation.process.programme.region)
        return [{"heading": a.heading, "body": a.body} for a in version.articles.all()]

    def get_context_data(self, **kwargs):
        kwargs.setdefault("formset", forms.ArticleFormSet(prefix="articles", initial=self._article_initial()))
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        formset = forms.ArticleFormSet(request.POST, prefix="articles")
        if not (form.is_valid() and formset.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        try:
            decision = services.draft_submit(
                activation=request.activation, user=request.user, data=forms.draft_data(form, formset)
            )
        except (services.StepError, ValidationError) as error:
            for message in getattr(error, "messages", [str(error)]):
                form.add_error(None, message)
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        return self.done(texts.DRAFT_SUBMITTED % {"number": decision.version.number})


class DecisionView(_StepViewMixin, generic.FormView):
    template_name = "workflows/mou/decision.html"
    form_class = forms.DecisionForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "decisions": self.request.activation.flow_task.decisions}

    def form_valid(self, form):
        try:
            decision = services.step_decide(
                activation=self.request.activation,
                user=self.request.user,
                kind=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except services.StepError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        return self.done(texts.DECISION_RECORDED % {"decision": decision.get_kind_display()})


class ClaimTaskView(AssignTaskView):
    """viewflow's claim page, going through our service so the claim is recorded."""

    def form_valid(self, form):
        try:
            services.task_claim(activation=self.request.activation, user=self.request.user)
        except services.StepError as error:
            messages.error(self.request, str(error))
            return redirect(case_url(self.request.activation.process.pk))
        messages.success(self.request, texts.TASK_CLAIMED)
        return redirect(self.request.activation.flow_task.reverse(
            "execute", args=[self.request.activation.process.pk, self.request.activation.task.pk]
        ))


class ReleaseTaskView(UnassignTaskView):
    def form_valid(self, form):
        services.task_release(activation=self.request.activation, user=self.request.user)
        messages.success(self.request, texts.TASK_RELEASED)
        return redirect(case_url(self.request.activation.process.pk))


def _task_links(task, user) -> dict:
    """The claim / work / release links this user has on an open task."""
    node, args = task.flow_task, [task.process_id, task.pk]
    if task.status == STATUS.NEW and node.can_assign(user, task):
        return {"claim": node.reverse("assign", args=args)}
    if task.status == STATUS.ASSIGNED and node.can_execute(user, task):
        return {"execute": node.reverse("execute", args=args), "release": node.reverse("unassign", args=args)}
    return {}


class ProgrammeListView(generic.TemplateView):
    template_name = "workflows/programme_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        programmes = list(selectors.programmes_visible_to(user))
        for programme in programmes:
            cases = list(programme.stage_processes.all())
            programme.current_case = cases[-1] if cases else None
        return super().get_context_data(
            programmes=programmes,
            region_count=regions_visible_to(user).count(),
            **kwargs,
        )


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
        cases = programme.stage_processes.all()
        return super().get_context_data(
            programme=programme,
            cases=cases,
            can_open_mou=services.can_open_mou(user=self.request.user, programme=programme),
            **kwargs,
        )


class CaseOpenView(generic.View):
    """Direktorat LAIP opens the MoU stage of a programme."""

    def post(self, request, region, year):
        programme = selectors.programmes_visible_to(request.user).filter(region__slug=region, year=year).first()
        if programme is None:
            raise Http404
        try:
            process = services.mou_case_open(programme=programme, opened_by=request.user)
        except services.StepError as error:
            messages.error(request, str(error))
            return redirect("sepakat:programme", region=region, year=year)
        messages.success(request, texts.CASE_OPENED)
        return redirect(case_url(process.pk))


class CaseDetailView(generic.TemplateView):
    template_name = "workflows/case_detail.html"

    def get_context_data(self, **kwargs):
        try:
            case = selectors.case_for(self.request.user, self.kwargs["process_pk"])
        except StageProcess.DoesNotExist as missing:
            raise Http404 from missing
        tasks = list(selectors.case_tasks(case))
        for task in tasks:
            task.links = _task_links(task, self.request.user)
        return super().get_context_data(
            case=case,
            tasks=tasks,
            decisions=selectors.case_decisions(case),
            versions=case.mou.versions.select_related("author__official").order_by("-number") if case.mou else [],
            **kwargs,
        )


class VersionPdfView(generic.View):
    """Any version of the case's document, as a PDF with the DRAF watermark."""

    def get(self, request, process_pk, number):
        try:
            case = selectors.case_for(request.user, process_pk)
        except StageProcess.DoesNotExist as missing:
            raise Http404 from missing
        version = case.mou.versions.filter(number=number).first()
        if version is None:
            raise Http404
        content = pdf.render_mou_pdf(mou_snapshot(version, status_label="Draf"), draft=True)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{case.mou.identifier}-v{number}-draf.pdf"'
        return response


class FinalPdfView(generic.View):
    def get(self, request, process_pk):
        try:
            case = selectors.case_for(request.user, process_pk)
        except StageProcess.DoesNotExist as missing:
            raise Http404 from missing
        if case.final_pdf is None:
            raise Http404
        return FileResponse(
            case.final_pdf.file.open("rb"),
            content_type="application/pdf",
            filename=f"{case.mou.identifier}-final.pdf",
        )

