"""The bare viewflow flow bench/human_task.py measures Sepakat's MoU review against.

The same shape as MouFlow from its reviews to its first paraf: a start, a split into two human review
steps, a join, a gate on both decisions, a third human step (where the case waits, as the MoU waits at
paraf_laip) and an end. Plain viewflow: its own Process model (the decisions kept in `data`), its own
task views and templates, and `.Permission(...)`: a model permission checked by Django's backends, the
rule viewflow ships. No scoping, no audit events, no deadlines, no services.
"""

from django import forms
from django.http import HttpResponseRedirect
from django.views import generic
from viewflow import this
from viewflow.forms import FormAjaxCompleteMixin, FormDependentSelectMixin
from viewflow.views import FormLayoutMixin
from viewflow.workflow import flow
from viewflow.workflow.flow.views import mixins

PERMISSION_CODENAME = "bench_human_task_review"
PERMISSION = f"viewflow.{PERMISSION_CODENAME}"  # on viewflow's Process model: no migration of ours
APPROVED, RETURNED = "approved", "returned"


class BareDecisionForm(forms.Form):
    """A decision and a note, as Sepakat's review form has (without its document hash)."""

    decision = forms.ChoiceField(choices=[(APPROVED, "Setuju"), (RETURNED, "Kembalikan")], widget=forms.RadioSelect)
    note = forms.CharField(required=False, widget=forms.Textarea, max_length=2000)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == RETURNED and not cleaned.get("note", "").strip():
            self.add_error("note", "Catatan wajib diisi.")
        return cleaned


class BareDecisionView(
    FormLayoutMixin,
    FormAjaxCompleteMixin,
    FormDependentSelectMixin,
    mixins.SuccessMessageMixin,
    mixins.TaskSuccessUrlMixin,
    mixins.TaskViewTemplateNames,
    generic.FormView,
):
    """viewflow's UpdateProcessView, with a plain form: the decision goes into the process's `data`."""

    form_class = BareDecisionForm
    template_filename = "task.html"
    success_message = "Task {task} has been completed."

    def form_valid(self, form):
        activation = self.request.activation
        process = activation.process
        process.data = {**(process.data or {}), activation.flow_task.name: form.cleaned_data}
        process.save(update_fields=["data"])
        activation.execute()
        return HttpResponseRedirect(self.get_success_url())


def _step():
    return flow.View(BareDecisionView.as_view()).Permission(PERMISSION)


class BareReviewFlow(flow.Flow):
    process_title = "Bare review"
    process_description = "Two parallel reviews, then a paraf: the shape of the MoU's 1.2 and 1.3."

    start = flow.StartHandle(this.start_process).Next(this.reviews)
    reviews = flow.Split().Next(this.review_a).Next(this.review_b)
    review_a = _step().Annotation(title="Review A").Next(this.reviews_done)
    review_b = _step().Annotation(title="Review B").Next(this.reviews_done)
    reviews_done = flow.Join().Next(this.check_reviews)
    check_reviews = flow.If(this.reviews_approved).Then(this.paraf).Else(this.end)
    paraf = _step().Annotation(title="Paraf").Next(this.end)
    end = flow.End()

    def start_process(self, activation, **kwargs):
        activation.process.data = {}
        return activation.process

    def reviews_approved(self, activation):
        data = activation.process.data
        return all(data.get(step, {}).get("decision") == APPROVED for step in ("review_a", "review_b"))
