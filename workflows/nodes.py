"""Building blocks of our flows: a scoped flow base and a role-aware step node."""

from contextlib import contextmanager
from functools import update_wrapper

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path
from viewflow import this
from viewflow.workflow import STATUS, flow, lock
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.flow import utils
from viewflow.workflow.models import Task

from agreements.models import APPROVING, DecisionKind, Region
from audit.services import chain_lock
from permissions.roles import StepRole
from permissions.selectors import user_holds_step_role, visible_region_ids
from permissions.steps import StepSpec, signing_steps

from . import messages as texts
from . import services
from .models import StageProcess
from .selectors import process_visible
from .services import DECIDE, DRAFT, LETTER, SIGN
from .views import steps
from .views.common import case_url


def region_of(process):
    """The region whose officials act on a process (object for guardian checks); read once per process object
    (viewflow asks for it at every permission check of a request)."""
    region = getattr(process, "_sepakat_region", None)
    if region is None:
        programme = _loaded_programme(process)
        if programme is not None and "region" in programme._state.fields_cache:
            region = programme.region
        else:
            region = Region.objects.get(programmes__stage_processes=process.pk)
        process._sepakat_region = region
    return region


def _loaded_programme(process):
    """The case's programme if it was loaded with the process (a list's select_related), else None."""
    case = process if isinstance(process, StageProcess) else process._state.fields_cache.get("stageprocess")
    return case._state.fields_cache.get("programme") if case is not None else None


def _loaded_region_id(process):
    """The case's region id if its programme was loaded with it, else None."""
    programme = _loaded_programme(process)
    return programme.region_id if programme is not None else None


class ProcessThenChainLock(lock.SelectForUpdateLock):
    """The process row, then the audit chain: every flow transaction takes its locks in this order.

    The chain's lock is held from a transaction's first event to its commit. Taken at the first event,
    it came after whatever that transaction had locked before (a regulation number's index entry), and two
    promulgations deadlocked. Taken here, right after the process row, it comes before every other lock
    of a step (docs/adr/0012).
    """

    @contextmanager
    def __call__(self, flow_class, process_pk):
        with super().__call__(flow_class, process_pk):
            chain_lock()
            yield


class StageFlow(flow.Flow):
    """A stage's flow: locked per process, then on the audit chain; visible only within the user's regions."""

    process_class = StageProcess
    lock_impl = ProcessThenChainLock()

    def has_view_permission(self, user, obj=None):
        if not user.is_authenticated:
            return False
        regions = visible_region_ids(user)
        if obj is None:
            return regions is None or bool(regions)
        if regions is None:
            return True  # every region's cases, and obj is one of this flow's cases
        region_id = _loaded_region_id(obj)
        if region_id is not None:
            return region_id in regions
        return process_visible(user, obj.pk)

    stage: str = ""
    process_summary_template = "{{ process.programme.region }} — {{ process.get_outcome_display }}"

    def start_case(self, activation, programme, document):
        return services.case_start(activation=activation, programme=programme, stage=self.stage, document=document)

    def reviews_approved(self, activation):
        return services.round_has_no_return(activation.process)

    def approved(self, activation):
        return activation.process.last_decision in APPROVING

    def was_rejected(self, activation):
        return activation.process.last_decision == DecisionKind.REJECTED

    @classmethod
    def signing_steps(cls) -> list[StepSpec]:
        """The signing steps, in the order of their cells on the approval sheet."""
        return signing_steps(cls.stage)

    def prepare_signing(self, activation):
        services.signing_prepare_queue(activation.process)

    def close_stage(self, activation):
        services.case_close(process=activation.process)

    def has_manage_permission(self, user, obj=None):
        # Undo, cancel and revive are off for everyone: a step goes back by a decision
        # (return or reject), a task moves by reassignment, a failed preparation is
        # retried by "siapkan ulang"; an undo would leave decisions and signed PDFs that
        # no longer match the flow.
        return False


class Step(flow.View):
    """A human step of a stage: one role of one agency acts on it."""

    assign_view_class = steps.ClaimTaskView
    unassign_view_class = steps.ReleaseTaskView
    cancel_view_class = None
    undo_view_class = None
    revive_view_class = None

    spec: StepSpec | None = None

    def Spec(self, spec: StepSpec) -> "Step":
        """Title, role, decisions and signature cell of the step, from its specification."""
        self.spec = spec
        self.Annotation(title=spec.title)
        if spec.signer is not None:
            self.onCreate(this.prepare_signing)  # render the document its signers will sign
        return self.Permission(spec.role.permission, obj=region_of)

    @property
    def step_role(self) -> StepRole | None:
        return self.spec.role if self.spec else None

    @property
    def decisions(self) -> tuple[str, ...]:
        return self.spec.decisions if self.spec else ()

    @property
    def action(self) -> str:
        """What the step's service does: the only service that may act on its tasks."""
        if DecisionKind.SUBMITTED in self.decisions:
            return DRAFT
        if DecisionKind.LETTER_IN_LINE in self.decisions:
            return LETTER
        if self.spec.signer is not None:
            return SIGN
        return DECIDE

    @property
    def assign_path(self):
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/assign/",
            _tell_when_taken(self, utils.wrap_task_view(self, self.assign_view, permission=self.can_assign)),
            name="assign",
        )

    @property
    def view_path(self):
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/",
            _redirect_when_done(utils.wrap_view(self, self.view)),
            name="execute",
        )


def _case_busy(request, process_pk):
    """The case's row stayed locked through every retry (a long signature or rendering on it): nothing was done."""
    messages.warning(request, texts.CASE_BUSY)
    return redirect(case_url(process_pk))


def _tell_when_taken(node, view):
    """The losers of a claim race (and anyone clicking "Ambil" on a stale page) are told who took the task."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except FlowLockFailed:
            return _case_busy(request, kwargs["process_pk"])
        except PermissionDenied:
            task = Task.objects.select_related("owner__official", "process").filter(pk=kwargs["task_pk"]).first()
            if task is None or task.owner_id is None or task.flow_task is not node:
                raise
            if task.owner_id == request.user.pk:
                return redirect(node.reverse("execute", args=[task.process_id, task.pk]))
            if not user_holds_step_role(request.user, node.step_role, region_of(task.process)):
                raise  # someone who could never have claimed it learns nothing about it
            official = getattr(task.owner, "official", None)
            messages.warning(request, texts.TASK_TAKEN % {"name": official.full_name if official
                                                            else task.owner.get_username()})
            return redirect(case_url(task.process_id))

    update_wrapper(wrapped, view)
    return wrapped


def _redirect_when_done(view):
    """A second submit of a finished task lands on the case, not on a 403."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except FlowLockFailed:
            return _case_busy(request, kwargs["process_pk"])
        except PermissionDenied:
            task = Task.objects.filter(pk=kwargs["task_pk"]).first()
            if task is None or task.status not in (STATUS.DONE, STATUS.CANCELED):
                raise
            messages.info(request, texts.TASK_ALREADY_DONE)
            return redirect(case_url(task.process_id))

    update_wrapper(wrapped, view)
    return wrapped
