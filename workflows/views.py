"""Thin views: parse the request, call a service, render."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import generic
from viewflow.workflow import STATUS
from viewflow.workflow.flow.views import AssignTaskView, UnassignTaskView

from agreements import compare, signatures, starter_text
from agreements.models import DecisionKind, SigningCredential
from agreements.services import attachment_add, draft_pdf, next_free_numbers
from audit.services import event_record
from permissions.delegation import delegable_assignments, delegation_create, delegation_end
from permissions.models import Delegation
from permissions.roles import AgencyKind, RoleKind
from permissions.selectors import holders_of, is_head_for, regions_visible_to, user_holds_step_role

from . import forms, selectors, services
from . import messages as texts
from .models import STAGE_ORDER, StageProcess


def case_url(process_pk: int) -> str:
    return reverse("sepakat:case_detail", kwargs={"process_pk": process_pk})


def _case_or_404(user, process_pk) -> StageProcess:
    try:
        return selectors.case_for(user, process_pk)
    except StageProcess.DoesNotExist as missing:
        raise Http404 from missing


def _errors_of(error) -> list[str]:
    return list(getattr(error, "messages", [str(error)]))


class _StepViewMixin:
    """Context shared by every step page: the case, its current text, the notes so far."""

    def get_context_data(self, **kwargs):
        process = self.request.activation.process
        return super().get_context_data(
            case=process,
            **selectors.version_context(process.document.latest_version()),
            decisions=selectors.case_decisions(process),
            **kwargs,
        )

    def done(self, message):
        messages.success(self.request, message)
        return redirect(case_url(self.request.activation.process.pk))


class DraftView(_StepViewMixin, generic.FormView):
    """The drafter writes the next version of the stage's document."""

    template_name = "workflows/draft.html"

    @property
    def stage(self) -> str:
        return self.request.activation.process.stage

    def get_form_class(self):
        return forms.DRAFT_FORMS[self.stage]

    def _starting_text(self) -> dict:
        process = self.request.activation.process
        version = process.document.latest_version()
        if version is not None:
            return selectors.version_as_form_data(version)
        region = process.programme.region
        if self.stage == "mou":
            return {
                "title": starter_text.default_title(region),
                "preamble": starter_text.default_preamble(region),
                "articles": starter_text.default_articles(region),
            }
        if self.stage == "regulation":
            return starter_text.default_regulation(region)
        return selectors.masterplan_starter(region, timezone.localdate())

    def get_initial(self):
        start = self._starting_text()
        return {key: value for key, value in start.items() if not isinstance(value, list)}

    def _formsets(self, data=None):
        start = {} if data is not None else self._starting_text()
        return {
            name: formset_class(data, prefix=name, initial=start.get(name))
            for name, formset_class in self.get_form_class().formsets.items()
        }

    def get_context_data(self, **kwargs):
        kwargs.setdefault("formsets", self._formsets())
        return super().get_context_data(stage=self.stage, **kwargs)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        formsets = self._formsets(request.POST)
        if form.is_valid() and all(f.is_valid() for f in formsets.values()):
            try:
                decision = services.draft_submit(
                    activation=request.activation, user=request.user, data=form.draft_data(formsets)
                )
            except (services.StepError, ValidationError) as error:
                for message in _errors_of(error):
                    form.add_error(None, message)
            else:
                return self.done(texts.DRAFT_SUBMITTED % {"number": decision.version.number})
        return self.render_to_response(self.get_context_data(form=form, formsets=formsets))


class DecisionView(_StepViewMixin, generic.FormView):
    template_name = "workflows/decision.html"
    form_class = forms.DecisionForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "decisions": self.request.activation.flow_task.decisions}

    def form_valid(self, form):
        try:
            decision = self.decide(form)
        except (services.StepError, ValidationError) as error:
            for message in _errors_of(error):
                form.add_error(None, message)
            return self.form_invalid(form)
        return self.done(texts.DECISION_RECORDED % {"decision": decision.get_kind_display()})

    def decide(self, form):
        return services.step_decide(
            activation=self.request.activation,
            user=self.request.user,
            kind=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
        )


class LetterView(DecisionView):
    """2.4: upload the law ministry's harmonisation letter and record its outcome."""

    form_class = forms.LetterForm

    def decide(self, form):
        return services.letter_submit(
            activation=self.request.activation,
            user=self.request.user,
            kind=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
            letter_number=form.cleaned_data["letter_number"],
            letter_date=form.cleaned_data["letter_date"],
            checked=form.cleaned_data["letter_file"],
        )


class _SigningMixin:
    """Signature steps: show whether the document is ready and whether the user can sign."""

    def get_context_data(self, **kwargs):
        process = self.request.activation.process
        version = process.document.latest_version()
        revision = signatures.latest_revision(version) if version else None
        return super().get_context_data(
            signing_ready=revision is not None,
            signing_revision=revision,
            preparation_error=process.preparation_error,
            has_credential=SigningCredential.objects.filter(user=self.request.user).exists(),
            **kwargs,
        )

    def refuse(self, form, error):
        # Returned, not raised: the failed attempt counted by the service must be committed.
        form.add_error(None, str(error))
        return self.form_invalid(form)


class SignView(_SigningMixin, DecisionView):
    template_name = "workflows/sign.html"
    form_class = forms.SignForm

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except signatures.SigningRefused as error:
            return self.refuse(form, error)

    def decide(self, form):
        return services.step_sign(
            activation=self.request.activation,
            user=self.request.user,
            kind=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
            passphrase=form.cleaned_data["passphrase"],
        )


class PromulgationView(_SigningMixin, _StepViewMixin, generic.FormView):
    """2.7: the Sekda assigns the numbers, signs and promulgates."""

    template_name = "workflows/promulgation.html"
    form_class = forms.PromulgationForm

    def get_initial(self):
        process = self.request.activation.process
        year = timezone.localdate().year
        number, berita_daerah = next_free_numbers(process.programme.region, year)
        return {"number": number, "year": year, "berita_daerah_number": berita_daerah}

    def form_valid(self, form):
        try:
            decision = services.promulgate(activation=self.request.activation, user=self.request.user,
                                           **form.cleaned_data)
        except signatures.SigningRefused as error:
            return self.refuse(form, error)
        except (services.StepError, ValidationError) as error:
            for message in _errors_of(error):
                form.add_error(None, message)
            return self.form_invalid(form)
        return self.done(texts.DECISION_RECORDED % {"decision": decision.get_kind_display()})


class EnrolView(generic.FormView):
    """First use: the official sets a signing passphrase and receives a certificate."""

    template_name = "workflows/enrol.html"
    form_class = forms.EnrolForm

    def get_context_data(self, **kwargs):
        eligible = signatures.may_enrol(self.request.user)
        return super().get_context_data(
            credential=SigningCredential.objects.filter(user=self.request.user).first(),
            minimum=settings.SIGNING["PASSPHRASE_MIN_LENGTH"],
            eligible=eligible,
            not_eligible=None if eligible else signatures.NOT_ELIGIBLE,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            signatures.credential_enrol(user=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in _errors_of(error):
                form.add_error(None, message)
            return self.form_invalid(form)
        messages.success(self.request, texts.PASSPHRASE_SET)
        next_url = self.request.GET.get("next", "")
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={self.request.get_host()}):
            return redirect(next_url)
        return redirect("sepakat:index")


class SigningRetryView(generic.View):
    """Queue the document's preparation again after a failure."""

    def post(self, request, process_pk):
        case = _case_or_404(request.user, process_pk)
        if not selectors.takes_part_in(request.user, case):
            raise PermissionDenied
        StageProcess.objects.filter(pk=case.pk).update(preparation_error="")
        services.signing_prepare_queue(case)
        messages.info(request, texts.PREPARATION_QUEUED)
        return redirect(case_url(case.pk))


class ClaimTaskView(AssignTaskView):
    """viewflow's claim page, going through our service so the claim is recorded."""

    def form_valid(self, form):
        activation = self.request.activation
        try:
            services.task_claim(activation=activation, user=self.request.user)
        except services.StepError as error:
            messages.error(self.request, str(error))
            return redirect(case_url(activation.process.pk))
        messages.success(self.request, texts.TASK_CLAIMED)
        return redirect(activation.flow_task.reverse("execute", args=[activation.process.pk, activation.task.pk]))


class ReleaseTaskView(UnassignTaskView):
    def form_valid(self, form):
        services.task_release(activation=self.request.activation, user=self.request.user)
        messages.success(self.request, texts.TASK_RELEASED)
        return redirect(case_url(self.request.activation.process.pk))


def _task_links(task, user, region) -> dict:
    """The claim / work / release / reassign links this user has on an open task."""
    node, args = task.flow_task, [task.process_id, task.pk]
    links = {}
    if task.status == STATUS.NEW and node.can_assign(user, task) and user_holds_step_role(user, node.step_role, region):
        links["claim"] = node.reverse("assign", args=args)
    if task.status == STATUS.ASSIGNED and node.can_execute(user, task):
        links.update(execute=node.reverse("execute", args=args), release=node.reverse("unassign", args=args))
    if task.status == STATUS.ASSIGNED and is_head_for(user, node.step_role, region):
        links["reassign"] = reverse("sepakat:reassign", args=args)
    return links


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


class CaseDetailView(generic.TemplateView):
    template_name = "workflows/case_detail.html"

    def get_context_data(self, **kwargs):
        case = _case_or_404(self.request.user, self.kwargs["process_pk"])
        tasks = list(selectors.case_tasks(case))
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
            task_history=selectors.case_task_history(case),
            attachment_form=forms.AttachmentForm(versions=versions) if versions else None,
            can_attach=selectors.takes_part_in(self.request.user, case),
            **kwargs,
        )


class AttachmentUploadView(generic.View):
    def post(self, request, process_pk):
        case = _case_or_404(request.user, process_pk)
        if not selectors.takes_part_in(request.user, case):
            raise PermissionDenied(texts.NOT_A_PARTICIPANT)
        versions = list(selectors.case_versions(case))
        form = forms.AttachmentForm(request.POST, request.FILES, versions=versions)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(case_url(case.pk))
        version = next(v for v in versions if v.number == form.cleaned_data["version"])
        checked = form.cleaned_data["file"]
        attachment_add(version=version, user=request.user, checked=checked)
        messages.success(request, texts.ATTACHMENT_ADDED % {"name": checked.name, "number": version.number})
        return redirect(case_url(case.pk))


class AttachmentDownloadView(generic.View):
    def get(self, request, process_pk, attachment_pk):
        case = _case_or_404(request.user, process_pk)
        attachment = selectors.case_attachments(case).filter(pk=attachment_pk).first()
        if attachment is None:
            raise Http404
        _downloaded(request, case, attachment.version, name=attachment.original_name, sha256=attachment.sha256)
        return FileResponse(attachment.file.open("rb"), content_type="application/pdf",
                            as_attachment=True, filename=attachment.original_name)


class CompareView(generic.TemplateView):
    """Two versions side by side, per article or chapter, with the notes on each."""

    template_name = "workflows/compare.html"

    def get_context_data(self, **kwargs):
        case = _case_or_404(self.request.user, self.kwargs["process_pk"])
        versions = list(selectors.case_versions(case))
        if len(versions) < 2:
            raise Http404
        by_number = {v.number: v for v in versions}
        try:
            old = by_number[int(self.request.GET.get("dari", versions[1].number))]
            new = by_number[int(self.request.GET.get("ke", versions[0].number))]
        except (KeyError, ValueError) as missing:
            raise Http404 from missing
        rows = compare.compare_sections(selectors.version_sections(old), selectors.version_sections(new))
        decisions = list(selectors.case_decisions(case))
        return super().get_context_data(
            case=case, versions=versions, old_version=old, new_version=new, rows=rows,
            old_notes=[d for d in decisions if d.version_id == old.pk],
            new_notes=[d for d in decisions if d.version_id == new.pk],
            **kwargs,
        )


def _downloaded(request, case, version, *, name: str, sha256: str) -> None:
    event_record(actor=request.user, action="document.downloaded", region=case.programme.region, process=case,
                 version=version, details={"file": name, "sha256": sha256})


class VersionPdfView(generic.View):
    """Any version of the case's document, as a PDF with the DRAF watermark."""

    def get(self, request, process_pk, number):
        case = _case_or_404(request.user, process_pk)
        version = case.document.versions.filter(number=number).first()
        if version is None:
            raise Http404
        previous = services.previous_stage_case(case.programme, case.stage)
        content = draft_pdf(version, previous_stage_sha256=previous.final_pdf.sha256 if previous else "")
        _downloaded(request, case, version, name=f"versi {number} (draf)", sha256=hashlib.sha256(content).hexdigest())
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{case.document.identifier}-v{number}-draf.pdf"'
        return response


class FinalPdfView(generic.View):
    def get(self, request, process_pk):
        case = _case_or_404(request.user, process_pk)
        if case.final_pdf is None:
            raise Http404
        _downloaded(request, case, case.final_pdf.version, name="final", sha256=case.final_pdf.sha256)
        return FileResponse(
            case.final_pdf.file.open("rb"),
            content_type="application/pdf",
            filename=f"{case.document.identifier}-final.pdf",
        )


class ReassignView(generic.FormView):
    """An agency head moves a claimed task to another holder of its role, with a reason."""

    template_name = "workflows/reassign.html"
    form_class = forms.ReassignForm

    def dispatch(self, request, *args, **kwargs):
        self.case = _case_or_404(request.user, kwargs["process_pk"])
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


class DelegationView(generic.FormView):
    """Officials delegate their own roles (a.n. / Plt.) and see what was delegated to them."""

    template_name = "workflows/delegations.html"
    form_class = forms.DelegationForm

    def get_form_kwargs(self):
        # Everyone is listed (oneself too): the delegation's own rules say clearly what is not allowed.
        candidates = get_user_model().objects.filter(official__isnull=False).select_related("official") \
            .order_by("username")
        return {**super().get_form_kwargs(), "assignments": delegable_assignments(self.request.user),
                "candidates": candidates}

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            given=Delegation.objects.filter(assignment__user=user).select_related(
                "assignment__agency", "delegate__official"),
            received=Delegation.objects.filter(delegate=user).select_related(
                "assignment__agency", "assignment__user__official"),
            today=timezone.localdate(),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        assignment = delegable_assignments(self.request.user).filter(pk=data["assignment"]).first()
        if assignment is None:
            raise PermissionDenied
        try:
            delegation_create(
                actor=self.request.user, assignment=assignment,
                delegate=get_user_model().objects.get(pk=data["delegate"]), kind=data["kind"],
                valid_from=data["valid_from"], valid_until=data["valid_until"], reason=data["reason"],
            )
        except ValidationError as error:
            for message in _errors_of(error):
                form.add_error(None, message)
            return self.form_invalid(form)
        messages.success(self.request, texts.DELEGATION_CREATED)
        return redirect("sepakat:delegations")


class DelegationEndView(generic.View):
    def post(self, request, pk):
        delegation = Delegation.objects.filter(pk=pk, assignment__user=request.user).first()
        if delegation is None:
            raise Http404
        delegation_end(actor=request.user, delegation=delegation)
        messages.success(request, texts.DELEGATION_ENDED)
        return redirect("sepakat:delegations")


class StepRolesView(generic.TemplateView):
    """Which role of which agency acts at each step of each stage (permissions/roles.py, read live)."""

    template_name = "workflows/step_roles.html"

    def get_context_data(self, **kwargs):
        from .flows import FLOWS
        from .nodes import Step

        stages = []
        for flow_class in FLOWS.values():
            steps = [node for node in flow_class.instance.nodes() if isinstance(node, Step)]
            steps.sort(key=lambda node: str(node.task_title))
            stages.append({
                "label": flow_class.process_title,
                "steps": [{
                    "title": node.task_title,
                    "agency": AgencyKind(node.step_role.agency_kind).label,
                    "role": RoleKind(node.step_role.role_kind).label,
                    "scope": _("pusat (semua daerah)") if node.step_role.is_central else _("daerah"),
                    "decisions": [DecisionKind(k).label for k in node.decisions],
                    "signs": node.name in flow_class.signing,
                } for node in steps],
            })
        return super().get_context_data(stages=stages, **kwargs)
