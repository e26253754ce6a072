"""The step pages: claim, release, draft, decide, record a letter, sign, promulgate."""

from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views import generic
from viewflow.workflow.flow.views import AssignTaskView, UnassignTaskView

from agreements import signatures
from agreements.kinds import kind_spec, starting_draft
from agreements.models import SigningCredential
from agreements.services import next_free_numbers

from .. import forms, selectors, services
from .. import messages as texts
from .common import case_url, errors_of


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
        return kind_spec(self.stage).draft_form

    def _starting_text(self) -> dict:
        process = self.request.activation.process
        return self.get_form_class().initial_from(starting_draft(process.document, process.programme.region))

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
                for message in errors_of(error):
                    form.add_error(None, message)
            else:
                return self.done(texts.DRAFT_SUBMITTED % {"number": decision.version.number})
        return self.render_to_response(self.get_context_data(form=form, formsets=formsets))


class DecisionView(_StepViewMixin, generic.FormView):
    template_name = "workflows/decision.html"
    form_class = forms.DecisionForm

    @cached_property
    def shown_file(self):
        """The file this step decides on (its hash goes back with the form), or None."""
        if self.request.activation.flow_task.spec.is_paraf:
            return services.paraf_copy_of(self.request.activation.process)
        return None

    def get_initial(self):
        shown = self.shown_file
        return {**super().get_initial(), "document_sha256": shown.sha256 if shown else ""}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "decisions": self.request.activation.flow_task.decisions}

    def get_context_data(self, **kwargs):
        paraf = self.request.activation.flow_task.spec.is_paraf
        return super().get_context_data(paraf_copy=self.shown_file if paraf else None, **kwargs)

    def form_valid(self, form):
        try:
            decision = self.decide(form)
        except (services.StepError, ValidationError) as error:
            for message in errors_of(error):
                form.add_error(None, message)
            return self.form_invalid(form)
        return self.done(texts.DECISION_RECORDED % {"decision": decision.get_kind_display()})

    def decide(self, form):
        return services.step_decide(
            activation=self.request.activation,
            user=self.request.user,
            kind=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
            document_sha256=form.cleaned_data["document_sha256"],
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

    @cached_property
    def shown_file(self):
        version = self.request.activation.process.document.latest_version()
        return signatures.latest_revision(version) if version else None

    def get_initial(self):
        shown = self.shown_file
        return {**super().get_initial(), "document_sha256": shown.sha256 if shown else ""}

    def get_context_data(self, **kwargs):
        process = self.request.activation.process
        revision = self.shown_file
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
            document_sha256=form.cleaned_data["document_sha256"],
        )


class PromulgationView(_SigningMixin, _StepViewMixin, generic.FormView):
    """2.7: the Sekda assigns the numbers, signs and promulgates."""

    template_name = "workflows/promulgation.html"
    form_class = forms.PromulgationForm

    def get_initial(self):
        process = self.request.activation.process
        year = timezone.localdate().year
        number, berita_daerah = next_free_numbers(process.programme.region, year)
        return {**super().get_initial(), "number": number, "year": year, "berita_daerah_number": berita_daerah}

    def form_valid(self, form):
        try:
            decision = services.promulgate(activation=self.request.activation, user=self.request.user,
                                           **form.cleaned_data)
        except signatures.SigningRefused as error:
            return self.refuse(form, error)
        except (services.StepError, ValidationError) as error:
            for message in errors_of(error):
                form.add_error(None, message)
            return self.form_invalid(form)
        return self.done(texts.DECISION_RECORDED % {"decision": decision.get_kind_display()})


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
