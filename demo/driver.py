"""Acting on a case as the officials who hold each step's role, without a browser.

Used by run_programme, seed_demo and the tests. It goes through the same
services the views call, one locked transaction per action.
"""

import hashlib
import io
from dataclasses import dataclass

from django.utils import timezone
from pypdf import PdfWriter
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from agreements import signatures
from agreements.kinds import kind_spec
from agreements.models import APPROVING, DecisionKind, SigningCredential
from agreements.services import (
    next_free_numbers,
)
from agreements.uploads import CheckedPdf
from permissions.models import RoleAssignment
from workflows import services
from workflows.models import STAGE_ORDER, StageProcess

# The demo officials' signing passphrase, set for them the first time the driver
# signs in their name (a real official sets their own on first use).
DEMO_SIGNING_PASSPHRASE = "tte-demo-sepakat-2024"


class NoHolder(Exception):
    """Nobody holds the role a step needs."""


@dataclass
class Acted:
    stage: str
    step_title: str
    actor: str
    decision: str


def open_tasks(process: StageProcess):
    return Task.objects.filter(
        process=process, flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED]
    ).order_by("pk")


def holder_of(task: Task):
    """The first official who currently holds the task's role for its region."""
    node = task.flow_task
    region = task.process.coerced.programme.region
    assignments = RoleAssignment.objects.active().filter(
        role=node.step_role.role_kind, agency__kind=node.step_role.agency_kind
    )
    if node.step_role.is_central:
        assignments = assignments.filter(agency__region__isnull=True)
    else:
        assignments = assignments.filter(agency__region=region)
    assignment = assignments.select_related("user").order_by("pk").first()
    if assignment is None:
        raise NoHolder(f"{node.task_title}: {node.step_role}")
    return assignment.user


def default_draft(process: StageProcess):
    """The starter text of the case's stage, as the drafter would submit it unchanged."""
    return kind_spec(process.stage).starter(process.programme.region, timezone.localdate())


def letter_pdf(number: str) -> CheckedPdf:
    """A one-page PDF standing in for the law ministry's scanned letter."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"Surat harmonisasi {number}"})
    buffer = io.BytesIO()
    writer.write(buffer)
    content = buffer.getvalue()
    return CheckedPdf(name=f"surat-harmonisasi-{number.replace('/', '-')}.pdf", size=len(content),
                      sha256=hashlib.sha256(content).hexdigest(), content=content)


def claim(task: Task, user) -> None:
    with services.acting_on(task) as activation:
        services.task_claim(activation=activation, user=user)


def submit_draft(task: Task, user, data=None):
    with services.acting_on(task) as activation:
        services.task_begin(activation=activation, user=user)
        return services.draft_submit(
            activation=activation, user=user, data=data or default_draft(activation.process)
        )


def decide(task: Task, user, kind: str, note: str = ""):
    with services.acting_on(task) as activation:
        services.task_begin(activation=activation, user=user)
        return services.step_decide(activation=activation, user=user, kind=kind, note=note,
                                    document_sha256=file_shown(activation))


def record_letter(task: Task, user, kind: str = DecisionKind.LETTER_IN_LINE, note: str = ""):
    number = f"PPE.PP.01.03-{task.process_id}"
    with services.acting_on(task) as activation:
        services.task_begin(activation=activation, user=user)
        return services.letter_submit(
            activation=activation, user=user, kind=kind, note=note, letter_number=number,
            letter_date=timezone.localdate(), checked=letter_pdf(number),
        )


def file_shown(activation) -> str:
    """The hash of the file the step's page shows its official (who reads it before deciding)."""
    process, spec = activation.process, activation.flow_task.spec
    if spec.is_paraf:
        return services.paraf_copy_of(process).sha256
    if spec.signer is not None:
        revision = signatures.latest_revision(process.document.latest_version())
        return revision.sha256 if revision else ""
    return ""


def ensure_credential(user) -> None:
    """Enrol a demo official for signing with the demo passphrase, once (again after a revocation, as the
    official would by setting a new passphrase)."""
    if not SigningCredential.objects.filter(user=user, revoked_at__isnull=True).exists():
        signatures.credential_enrol(user=user, passphrase=DEMO_SIGNING_PASSPHRASE,
                                    confirmation=DEMO_SIGNING_PASSPHRASE)


def ensure_prepared(process: StageProcess) -> None:
    """Render the document to sign here if the worker has not yet (the task body, in this process).

    With eager Celery it was rendered when the case reached its first signing step. Under production
    settings the rendering is queued for a worker, which may not run while the demo is seeded: the
    signature would be refused as still being prepared. Rendering is once per version, so the queued
    task finds the document ready and does nothing.
    """
    if not services.is_prepared(process):
        services.signing_prepare(process_id=process.pk, even_if_given_up=True)


def sign(task: Task, user, kind: str, note: str = ""):
    ensure_credential(user)
    ensure_prepared(task.process.coerced)
    with services.acting_on(task) as activation:
        services.task_begin(activation=activation, user=user)
        return services.step_sign(activation=activation, user=user, kind=kind, note=note,
                                  passphrase=DEMO_SIGNING_PASSPHRASE, document_sha256=file_shown(activation))


def promulgate(task: Task, user):
    ensure_credential(user)
    ensure_prepared(task.process.coerced)
    region = task.process.coerced.programme.region
    year = timezone.localdate().year
    number, berita_daerah = next_free_numbers(region, year)
    with services.acting_on(task) as activation:
        services.task_begin(activation=activation, user=user)
        return services.promulgate(activation=activation, user=user, number=number, year=year,
                                   berita_daerah_number=berita_daerah, passphrase=DEMO_SIGNING_PASSPHRASE,
                                   document_sha256=file_shown(activation))


def act(task: Task, user=None, kind: str | None = None, note: str = "") -> Acted:
    """Claim the task (if needed) and take the approving decision, or the one given."""
    user = user or holder_of(task)
    if task.owner_id is None:
        claim(task, user)
        task.refresh_from_db()
    node = task.flow_task
    if DecisionKind.SUBMITTED in node.decisions:
        decision = submit_draft(task, user)
    elif DecisionKind.PROMULGATED in node.decisions:
        decision = promulgate(task, user)
    elif DecisionKind.LETTER_IN_LINE in node.decisions:
        decision = record_letter(task, user, kind or DecisionKind.LETTER_IN_LINE, note)
    else:
        kind = kind or next(k for k in node.decisions if k in APPROVING)
        signing_step = node.spec.signer is not None
        decision = (sign if signing_step else decide)(task, user, kind, note)
    return Acted(task.process.coerced.get_stage_display(), str(node.task_title), decision.actor_name,
                 decision.get_kind_display())


def advance(process: StageProcess, *, until_step: str | None = None, on_step=None) -> StageProcess:
    """Act on open tasks, approving, until the case ends or `until_step` is reached."""
    while True:
        process.refresh_from_db()
        tasks = list(open_tasks(process))
        if not tasks or any(t.flow_task.name == until_step for t in tasks):
            return process
        for task in tasks:
            acted = act(task)
            if on_step:
                on_step(acted)


def open_case(programme) -> StageProcess | None:
    return StageProcess.objects.filter(programme=programme, outcome="open").order_by("created").first()


def run_programme(programme, *, stop_stage: str | None = None, stop_step: str | None = None,
                  only_stage: str | None = None, on_step=None) -> list[StageProcess]:
    """Drive the programme forward, stage after stage, as the seeded officials.

    Stops before `stop_step` of `stop_stage`, after `only_stage` completes, or when
    no case is open any more (programme done, or a stage rejected). Returns the
    cases it worked on, in order.
    """
    worked: list[StageProcess] = []
    if not StageProcess.objects.filter(programme=programme).exists():
        services.stage_open(programme=programme, stage=STAGE_ORDER[0])
    while (process := open_case(programme)) is not None:
        if only_stage and process.stage != only_stage:
            break
        until = stop_step if process.stage == stop_stage else None
        process = advance(process, until_step=until, on_step=on_step)
        worked.append(process)
        if until or process.stage == only_stage:
            break
    return worked
