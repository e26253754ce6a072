"""Every state change of a case: open, claim, release, submit a draft, decide, close.

Services that act on a task take an activation whose lock the caller holds:
viewflow's task views take it for a POST, and `acting_on` takes it for code
(run_programme, tests).
"""

import logging
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from agreements import archival, signatures
from agreements.kinds import version_create
from agreements.models import NEEDS_NOTE, RETURNING, SIGNING, Decision, DecisionKind, Document, SignatureRecord
from agreements.paraf import paraf_copy
from agreements.services import letter_record, promulgation_record
from agreements.snapshots import long_date, wib
from agreements.tasks import audit_checkpoint
from audit.actions import AuditAction
from audit.services import event_record
from permissions.selectors import acting_basis, holders_of, is_head_for, user_holds_step_role
from permissions.steps import STEP_ROLES
from sepakat.queueing import by_scheduler, send_after_commit

from . import messages
from .models import STAGE_ORDER, Outcome, StageProcess, stage_after
from .selectors import previous_stage_case, stage_blocker, takes_part_in

logger = logging.getLogger(__name__)


class StepError(Exception):
    """A request the step refuses, with a message for the user."""


# What a step does (Step.action): each service below acts only on steps of its own kind,
# whatever URL or caller reached it.
DRAFT, DECIDE, LETTER, SIGN = "draft", "decide", "letter", "sign"


def flow_for(stage: str):
    from .flows import FLOWS

    return FLOWS[stage]


def case_start(*, activation, programme, stage: str, document: Document) -> StageProcess:
    """Fill in the new process record (called by the flow's start node)."""
    process = activation.process
    process.programme = programme
    process.stage = stage
    process.document = document
    return process


@transaction.atomic
def stage_open(*, programme, stage: str, opened_by=None) -> StageProcess:
    """Open a case of a stage. `opened_by` None means the system (chaining, seeding, commands)."""
    if opened_by is not None and not (
        opened_by.is_superuser or user_holds_step_role(opened_by, STEP_ROLES[stage]["draft"], programme.region)
    ):
        raise PermissionDenied(messages.ROLE_REQUIRED)
    blocker = stage_blocker(programme=programme, stage=stage)
    if blocker:
        raise StepError(blocker)
    document = Document.objects.create(programme=programme, kind=stage)
    process = flow_for(stage).start.run(programme=programme, document=document)
    event_record(
        actor=opened_by, action=AuditAction.CASE_OPENED, region=programme.region, process=process,
        details={"stage": stage, "document": document.identifier},
    )
    return process


def first_case_open(*, programme, opened_by=None) -> StageProcess:
    """Open the programme's first stage (the MoU), the one no earlier stage opens."""
    return stage_open(programme=programme, stage=STAGE_ORDER[0], opened_by=opened_by)


def stage_reopen(*, programme, stage: str, user) -> StageProcess:
    """An administrator reopens a rejected stage as a new case."""
    if not user.is_superuser:
        raise PermissionDenied(messages.ADMIN_ONLY)
    latest = StageProcess.objects.filter(programme=programme, stage=stage).order_by("-created").first()
    if latest is None or latest.outcome != Outcome.REJECTED:
        raise StepError(messages.NOTHING_TO_REOPEN)
    return stage_open(programme=programme, stage=stage, opened_by=user)


@contextmanager
def acting_on(task: Task):
    """Lock the task's process and yield its activation, as viewflow's views do."""
    flow_class = task.flow_task.flow_class
    with flow_class.lock(task.process_id), transaction.atomic():
        task.refresh_from_db()
        yield task.flow_task.activation_class(task)


def task_claim(*, activation, user) -> None:
    task, node = activation.task, activation.flow_task
    if task.status != STATUS.NEW or not activation.assign.can_proceed():
        raise StepError(messages.TASK_ALREADY_DONE if task.finished else messages.NOT_YOUR_TASK)
    if not node.can_assign(user, task) or not user_holds_step_role(user, node.step_role,
                                                                  activation.process.programme.region):
        raise PermissionDenied(messages.ROLE_REQUIRED)
    activation.assign(user)
    task.assigned = timezone.now()
    task.save(update_fields=["assigned"])
    _task_event(activation, user, AuditAction.TASK_CLAIMED)


def task_release(*, activation, user) -> None:
    if not activation.flow_task.can_unassign(user, activation.task):
        raise PermissionDenied(messages.NOT_YOUR_TASK)
    activation.unassign()
    activation.task.assigned = None
    activation.task.save(update_fields=["assigned"])
    _task_event(activation, user, AuditAction.TASK_RELEASED)


def task_reassign(*, activation, by, to, reason: str) -> None:
    """An agency head moves a task to a holder of the step's role: a claimed one to another holder, an
    unclaimed one (an overdue task escalated to the head, say) to the holder who is to do it."""
    task, node, region = activation.task, activation.flow_task, activation.process.programme.region
    if not is_head_for(by, node.step_role, region):
        raise PermissionDenied(messages.REASSIGN_HEAD_ONLY)
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        raise StepError(messages.REASSIGN_NOT_OPEN)
    if not reason.strip():
        raise StepError(messages.REASSIGN_REASON_REQUIRED)
    if to == task.owner or to not in holders_of(node.step_role, region):
        raise StepError(messages.REASSIGN_NOT_HOLDER)
    previous = task.owner
    if task.status == STATUS.NEW:
        activation.assign(user=to)
    else:
        activation.reassign(user=to)
    task.assigned = timezone.now()
    task.save(update_fields=["assigned"])
    _task_event(activation, by, AuditAction.TASK_REASSIGNED, from_user=previous.get_username() if previous else "",
                to_user=to.get_username(), reason=reason.strip())


def task_begin(*, activation, user) -> None:
    """Start the claimed task for its owner (viewflow's views do this themselves)."""
    if not activation.flow_task.can_execute(user, activation.task):
        raise StepError(messages.NOT_YOUR_TASK)
    activation.start(request=None)


def draft_submit(*, activation, user, data) -> Decision:
    _check_step(activation, DRAFT)
    _check_actor(activation, user)
    version = version_create(document=activation.process.document, author=user, data=data)
    decision = _record(activation, user, DecisionKind.SUBMITTED, note="", version=version)
    activation.execute()
    return decision


def step_decide(*, activation, user, kind: str, note: str = "", document_sha256: str = "") -> Decision:
    """A review or paraf decision. A paraf is on the version's PDF whose hash the page showed
    (``document_sha256``): refused when none is given or the case would now render another file."""
    _check_step(activation, DECIDE)
    _check_actor(activation, user)
    _check_decision(activation, kind, note)
    _check_not_own_draft(activation, user)
    version = activation.process.document.latest_version()
    read = ""
    if activation.flow_task.spec.is_paraf:
        read = _check_file_read(document_sha256, paraf_copy_of(activation.process).sha256)
    decision = _record(activation, user, kind, note=note.strip(), version=version, document_sha256=read)
    activation.execute()
    return decision


def paraf_copy_of(process: StageProcess):
    """The PDF a paraf step shows and records: the latest version as the case now stands."""
    previous = previous_stage_case(process.programme, process.stage)
    return paraf_copy(version=process.document.latest_version(),
                      previous_stage_sha256=previous.closing_sha256() if previous else "")


def _check_file_read(shown: str, current: str) -> str:
    if not shown:
        raise StepError(messages.DOCUMENT_NOT_READ)
    if shown != current:
        raise StepError(messages.DOCUMENT_CHANGED)
    return current


def letter_submit(*, activation, user, kind: str, note: str, letter_number: str, letter_date, checked) -> Decision:
    """Step 2.4: the law ministry's letter is kept, and its outcome moves the case."""
    _check_step(activation, LETTER)
    _check_actor(activation, user)
    _check_decision(activation, kind, note)
    version = activation.process.document.latest_version()
    letter_record(
        version=version, user=user, letter_number=letter_number, letter_date=letter_date,
        outcome="in_line" if kind == DecisionKind.LETTER_IN_LINE else "needs_changes", checked=checked,
    )
    detail = f"Surat {letter_number.strip()} tanggal {letter_date:%d-%m-%Y}"
    decision = _record(activation, user, kind, note="\n".join(filter(None, [detail, note.strip()])), version=version)
    activation.execute()
    return decision




def step_sign(*, activation, user, kind: str, note: str = "", passphrase: str = "", promulgation=None,
              document_sha256: str = "") -> Decision:
    """A signature step: signing decisions sign the document with the user's passphrase.

    The signer signs the revision whose hash the page showed (``document_sha256``).

    A wrong passphrase raises SigningRefused after its failure is counted; the
    rest happens in a savepoint, so a failed signature leaves nothing behind.
    """
    _check_step(activation, SIGN)
    _check_actor(activation, user)
    _check_decision(activation, kind, note)
    if (kind == DecisionKind.PROMULGATED) != (promulgation is not None):
        raise StepError(messages.WRONG_STEP)
    process = activation.process
    if kind not in SIGNING:
        return _finish(activation, user, kind, note)
    _check_signs_once(activation, user)
    revision = signing_revision(process)
    _check_file_read(document_sha256, revision.sha256)
    signer, credential = signatures.unlock_signer(user=user, passphrase=passphrase)
    try:
        return _sign_and_finish(activation, user, kind, note, revision, signer, credential, promulgation)
    except signatures.SigningRefused as refusal:
        # The savepoint is gone; the failure itself must stay on record.
        _task_event(activation, user, AuditAction.DOCUMENT_SIGNING_FAILED, version=revision.version,
                    reason=str(refusal))
        raise
    except (StepError, PermissionDenied, ValidationError):
        raise
    except Exception as error:  # the signer, the TSA, a full disk: the signer is told, the operator can see why
        logger.exception("signing %s at %s failed unexpectedly", process.document.identifier,
                         activation.flow_task.name)
        # The class only: the message may hold paths or values that the permanent log must not keep.
        _task_event(activation, user, AuditAction.DOCUMENT_SIGNING_FAILED, version=revision.version,
                    reason=f"{error.__class__.__name__} (kesalahan sistem; rinciannya di log)")
        raise signatures.SigningRefused(messages.SIGNING_UNEXPECTED % {"error": error.__class__.__name__}) \
            from error


def _sign_and_finish(activation, user, kind, note, revision, signer, credential, promulgation) -> Decision:
    process = activation.process
    with transaction.atomic():
        basis = acting_basis(user, activation.flow_task.step_role, process.programme.region)
        name, post = basis.identity(user)
        now = timezone.now()
        nip = _nip_line(user)
        stamp = [str(messages.SIGNED_BY), name, post, *([nip] if nip else []), wib(now)]
        # "number": a party's MoU number, when the draft left it blank; derived from the document, so the same
        # each time it is asked for (it is in the signed PDF, and party_number gives it again).
        values = {"date": long_date(now), "name": name, "as": basis.capacity(user), "nip": nip,
                  "number": party_number(process.document, activation.flow_task.step_role)}
        if promulgation is not None:
            record = promulgation_record(document=process.document, user=user, **promulgation)
            values.update(number=str(record.number), year=str(record.year), bd_year=str(record.year),
                          bd_number=str(record.berita_daerah_number))
        signatures.document_sign(
            revision=revision, user=user, signer=signer, credential=credential, step=activation.flow_task.name,
            field_name=signature_field(activation.flow_task.name), signer_name=name, signer_post=post,
            stamp_lines=tuple(stamp), location=process.programme.region.display_name, fill_values=values,
        )
        return _finish(activation, user, kind, note, document_sha256=revision.sha256)


def _nip_line(user) -> str:
    nip = getattr(getattr(user, "official", None), "nip", "")
    return f"NIP. {nip}" if nip else ""


def party_number(document: Document, step_role) -> str:
    """A party's number of a document it signs without one typed in the draft: unique per document and party
    ("007/NK/DITJEN_APTIKA/2024"; a region's party also names the region)."""
    programme = document.programme
    kind = str(step_role.agency_kind.value).upper()
    party = kind if step_role.is_central else f"{kind}/{programme.region.slug.upper()}"
    return f"{document.pk:03d}/NK/{party}/{programme.year}"


def promulgate(*, activation, user, number: int, year: int, berita_daerah_number: int, note: str = "",
               passphrase: str = "", document_sha256: str = "") -> Decision:
    """Step 2.7: the Sekda numbers the regulation, signs and promulgates it."""
    return step_sign(
        activation=activation, user=user, kind=DecisionKind.PROMULGATED, note=note, passphrase=passphrase,
        document_sha256=document_sha256,
        promulgation={"number": number, "year": year, "berita_daerah_number": berita_daerah_number},
    )


def signature_field(step: str) -> str:
    return f"ttd_{step}"


def signature_slots(process: StageProcess) -> list[dict]:
    """One empty cell on the approval sheet per signing step, in the sheet's order."""
    region = process.programme.region
    return [
        {"field": signature_field(spec.name), "label": str(spec.signer.label), "post": spec.signer.post_in(region),
         "name": ""}
        for spec in flow_for(process.stage).signing_steps()
    ]


def signing_revision(process: StageProcess):
    """The latest revision of the document to sign, as signing_prepare rendered it (never on the request path)."""
    revision = signatures.latest_revision(process.document.latest_version())
    if revision is None:
        raise signatures.SigningRefused(process.preparation_error or signatures.NOT_PREPARED)
    return revision


def _render_for_signing(process: StageProcess):
    previous = previous_stage_case(process.programme, process.stage)
    return signatures.render_for_signing(
        version=process.document.latest_version(),
        slots=signature_slots(process),
        previous_stage_sha256=previous.closing_sha256() if previous else "",
    )


# Preparing a document (rendering it for its signers) runs in a worker. Its state is on the process:
# preparation_due is when the sweeper sends the job (again) if the document is still not prepared (None: nothing
# pending); preparation_attempts counts the jobs sent. A job is lost if it is not done PREPARATION_LOST_AFTER
# after it was sent (not queued because the broker was down, or its worker died; the broker's visibility
# timeout, sepakat.settings, redelivers an unacknowledged one sooner). A failed job is sent again after
# preparation_backoff. After PREPARATION_MAX_ATTEMPTS the error and the retry button are shown.
PREPARATION_LOST_AFTER = timedelta(minutes=10)
PREPARATION_MAX_ATTEMPTS = 5


def preparing_in_process() -> bool:
    """The embedded default: Celery runs each job in the process that sends it, and no beat sweeps."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def preparation_backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** (attempts - 1))  # 1, 2, 4, 8 minutes


def signing_prepare(*, process_id: int, even_if_given_up: bool = False) -> None:
    """Celery task body: render the document before its first signer opens the step. ``even_if_given_up``: the
    demo driver, rendering in its own process whatever became of the job."""
    with transaction.atomic():
        process = StageProcess.objects.select_for_update().get(pk=process_id)
        if process.preparation_due is None and process.preparation_error and not even_if_given_up:
            return  # given up (a copy of the job still in the broker): the retry button starts it afresh
        if process.outcome == Outcome.OPEN:
            _render_for_signing(process)
        process.preparation_error = ""
        process.preparation_due = None
        process.preparation_attempts = 0
        process.save(update_fields=["preparation_error", "preparation_due", "preparation_attempts"])


def signing_preparation_failed(*, process_id: int, error: Exception) -> None:
    """A preparation job failed: sent again after a pause, or, after the last attempt, shown to the participants
    with its error and the retry button. Every failure is an audit event."""
    reason = f"{messages.PREPARATION_FAILED} ({error.__class__.__name__}: {error})"
    with transaction.atomic():
        process = StageProcess.objects.select_related("programme__region").select_for_update(of=("self",)) \
            .get(pk=process_id)
        if process.preparation_due is None or is_prepared(process):
            return  # a stale copy of the job failed after another one prepared the document, or after giving up
        # The embedded default has no scheduler to send it again: its first failure is the last.
        final = process.preparation_attempts >= PREPARATION_MAX_ATTEMPTS or preparing_in_process()
        if final:
            _preparation_given_up(process, reason)
        else:
            _preparation_paused(process)
        event_record(actor=None, action=AuditAction.DOCUMENT_RENDER_FAILED, region=process.programme.region,
                     process=process, details={"error": reason, "attempt": process.preparation_attempts,
                                               "final": final})


def is_prepared(process: StageProcess) -> bool:
    """The document its signers will sign has been rendered (for the version now under signature)."""
    version = process.document.latest_version() if process.document_id else None
    return version is not None and signatures.latest_revision(version) is not None


def _preparation_paused(process: StageProcess) -> None:
    process.preparation_due = timezone.now() + preparation_backoff(max(process.preparation_attempts, 1))
    process.save(update_fields=["preparation_due"])


def _preparation_given_up(process: StageProcess, reason: str) -> None:
    process.preparation_error = reason
    process.preparation_due = None
    process.save(update_fields=["preparation_error", "preparation_due"])


def preparations_sweep(*, limit: int = 200) -> int:
    """Send again every preparation that is due (lost or paused after a failure); give up on one sent
    PREPARATION_MAX_ATTEMPTS times. Run every minute by Celery beat; returns how many were sent."""
    now = timezone.now()
    due = StageProcess.objects.filter(preparation_due__lte=now).order_by("preparation_due")
    sent = 0
    for process_id in due.values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            process = StageProcess.objects.select_related("programme__region").select_for_update(
                of=("self",), skip_locked=True).filter(pk=process_id, preparation_due__lte=now).first()
            if process is None:  # being prepared right now, or done meanwhile
                continue
            if process.outcome != Outcome.OPEN:
                process.preparation_due = None
                process.save(update_fields=["preparation_due"])
                continue
            if process.preparation_attempts >= PREPARATION_MAX_ATTEMPTS:
                reason = str(messages.PREPARATION_LOST % {"attempts": process.preparation_attempts})
                _preparation_given_up(process, reason)
                event_record(actor=None, action=AuditAction.DOCUMENT_RENDER_FAILED,
                             region=process.programme.region, process=process,
                             details={"error": reason, "attempt": process.preparation_attempts, "final": True})
                continue
            _preparation_send(process)
            sent += 1
    return sent


@transaction.atomic
def signing_preparation_retry(*, process: StageProcess, user) -> None:
    """A participant asks for a failed preparation to run again: recorded, then queued."""
    if not takes_part_in(user, process):
        raise PermissionDenied(messages.ROLE_REQUIRED)
    process = StageProcess.objects.select_for_update().get(pk=process.pk)
    previous_error = process.preparation_error
    process.preparation_error = ""
    process.save(update_fields=["preparation_error"])
    event_record(actor=user, action=AuditAction.DOCUMENT_PREPARATION_RETRIED, region=process.programme.region,
                 process=process, details={"old": {"preparation_error": previous_error},
                                           "new": {"preparation_error": ""}})
    signing_prepare_queue(process)


def signing_prepare_queue(process: StageProcess) -> None:
    """Render off the request path once the transaction that reached a signing step commits: by a worker, or
    in the embedded default by the scheduler's next sweep (the case is due at once)."""
    if by_scheduler():  # the embedded default: manage.py schedule renders it
        StageProcess.objects.filter(pk=process.pk).update(preparation_attempts=0, preparation_due=timezone.now(),
                                                          preparation_error="")
        return
    _preparation_send(process, sent_before=0, preparation_error="")


def _preparation_send(process: StageProcess, *, sent_before: int | None = None, **also) -> None:
    """Count the attempt and send the job once this transaction commits. If the broker refuses it, it is due at
    once: the sweeper sends it when the broker is back."""
    from .tasks import prepare_signing  # the task module imports this one

    attempts = (process.preparation_attempts if sent_before is None else sent_before) + 1
    StageProcess.objects.filter(pk=process.pk).update(preparation_attempts=attempts,
                                                      preparation_due=timezone.now() + PREPARATION_LOST_AFTER, **also)
    process_id = process.pk

    def due_now():
        if preparing_in_process():  # no sweeper: the job failed in process and could not say why
            StageProcess.objects.filter(pk=process_id, preparation_error="").update(
                preparation_due=None, preparation_error=str(messages.PREPARATION_FAILED))
        else:
            StageProcess.objects.filter(pk=process_id, preparation_due__isnull=False) \
                .update(preparation_due=timezone.now())

    send_after_commit(prepare_signing, process_id, on_failure=due_now)


def _finish(activation, user, kind: str, note: str, document_sha256: str = "") -> Decision:
    decision = _record(activation, user, kind, note=note.strip(),
                       version=activation.process.document.latest_version(), document_sha256=document_sha256)
    activation.execute()
    return decision


def round_has_no_return(process: StageProcess) -> bool:
    """No reviewer returned the version under review."""
    version = process.document.latest_version()
    return not Decision.objects.filter(process=process, version=version, kind__in=RETURNING).exists()


def case_close(*, process: StageProcess) -> None:
    """The last signed revision, with its validation data and an archive timestamp (PAdES B-LTA), becomes the
    final PDF; the stage is done and the next one opens."""
    signed = signatures.latest_revision(process.document.latest_version())
    try:
        stored = archival.final_archive(signed, reason="tahap selesai")
    except archival.ArchiveError as error:  # the last signature is rolled back with it: nothing half-closed
        raise signatures.SigningRefused(messages.ARCHIVE_FAILED % {"why": error}) from error
    process.final_pdf = stored
    process.outcome = Outcome.COMPLETED
    process.save(update_fields=["final_pdf", "outcome"])
    event_record(
        actor=None, action=AuditAction.CASE_COMPLETED, region=process.programme.region, process=process,
        details={"final_pdf_sha256": stored.sha256},
    )
    # The history up to this close, sealed and timestamped once it is committed.
    send_after_commit(audit_checkpoint, "tahap selesai")  # a missed one is made by the hourly schedule
    following = stage_after(process.stage)
    if following and stage_blocker(programme=process.programme, stage=following) is None:
        stage_open(programme=process.programme, stage=following)


def _check_decision(activation, kind: str, note: str) -> None:
    if kind not in activation.flow_task.decisions or kind == DecisionKind.SUBMITTED:
        raise StepError(messages.DECISION_NOT_ALLOWED)
    if kind in NEEDS_NOTE and not note.strip():
        raise StepError(messages.NOTE_REQUIRED)


def _check_step(activation, action: str) -> None:
    if getattr(activation.flow_task, "action", None) != action:
        raise StepError(messages.WRONG_STEP)


def _check_actor(activation, user) -> None:
    node = activation.flow_task
    if not node.can_execute(user, activation.task):
        raise StepError(messages.NOT_YOUR_TASK)
    basis = acting_basis(user, node.step_role, activation.process.programme.region)
    if basis is None:
        raise PermissionDenied(messages.ROLE_REQUIRED)
    if basis.delegation is not None:
        today = timezone.localdate()
        problems = basis.delegation.duty_problems(today, today)
        if problems:
            raise StepError(problems[0])


def _same_person(user) -> Q:
    """Accounts of the same natural person: the user, and any account with the user's NIP."""
    nip = getattr(getattr(user, "official", None), "nip", "")
    return Q(pk=user.pk) | Q(official__nip=nip) if nip else Q(pk=user.pk)


def _check_not_own_draft(activation, user) -> None:
    """A drafter does not review or initial the text they wrote."""
    authors = activation.process.document.versions.values("author")
    if get_user_model().objects.filter(_same_person(user), pk__in=authors).exists():
        raise StepError(messages.OWN_DRAFT)


def _check_signs_once(activation, user) -> None:
    """One natural person signs a document once, whatever roles or parties they hold."""
    version = activation.process.document.latest_version()
    signers = SignatureRecord.objects.filter(pdf__version=version).values("signer")
    if get_user_model().objects.filter(_same_person(user), pk__in=signers).exists():
        raise StepError(messages.SIGNS_TWICE)


def _check_signature_made(activation, user, version) -> None:
    """A signing decision stands only on a signature made, and verified, during this task."""
    if not SignatureRecord.objects.filter(pdf__version=version, signer=user, step=activation.flow_task.name,
                                          validation_ok=True, created__gte=activation.task.created).exists():
        raise StepError(messages.SIGNATURE_MISSING)


def _record(activation, user, kind: str, *, note: str, version, document_sha256: str = "") -> Decision:
    node, process = activation.flow_task, activation.process
    if kind in SIGNING:
        _check_signature_made(activation, user, version)
    basis = acting_basis(user, node.step_role, process.programme.region)
    name, post = basis.identity(user)
    decision = Decision.objects.create(
        version=version,
        process=process,
        task=activation.task,
        step=node.name,
        step_title=str(node.task_title),
        kind=kind,
        note=note,
        actor=user,
        actor_name=name,
        actor_post=post,
        actor_agency=basis.assignment.agency.name,
        document_sha256=document_sha256,
    )
    process.last_decision = kind
    fields = ["last_decision"]
    if kind == DecisionKind.REJECTED:
        process.outcome = Outcome.REJECTED
        process.rejection_reason = note
        fields += ["outcome", "rejection_reason"]
    process.save(update_fields=fields)
    # viewflow starts a task on every request to its page and keeps the start only with the
    # decision (Task.started, set in memory by its start transition): the start is recorded here,
    # once, from that field, never by asking the log whether it was recorded before.
    _task_event(activation, user, AuditAction.TASK_STARTED, started=activation.task.started)
    read = {"document_sha256": document_sha256} if document_sha256 else {}
    _task_event(activation, user, AuditAction.TASK_FINISHED, version=version, decision=kind, note=note, **read)
    return decision


def _task_event(activation, user, action: str, *, version=None, **details) -> None:
    event_record(
        actor=user,
        action=action,
        region=activation.process.programme.region,
        process=activation.process,
        task=activation.task,
        version=version,
        details={"step": activation.flow_task.name, **details},
    )
