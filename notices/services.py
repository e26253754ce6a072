"""Notices made from audit events, and the officials' own settings.

Every state change of Sepakat writes one audit event (architecture.md); the event is where every path
passes, so notices are made from it (notices.receivers), in its transaction: a change rolled back tells
nobody, a committed one tells everyone it concerns. Each notice is made once per event and recipient
(Notice.key); its e-mail and WhatsApp deliveries are sent by workers after the commit (notices.delivery).
Notices are written in Bahasa Indonesia, the language of the officials' correspondence.
"""

import datetime
import logging
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from agreements.models import DecisionKind
from audit.actions import AuditAction
from audit.models import AuditEvent
from audit.services import event_record
from permissions.models import Delegation
from permissions.roles import RoleKind
from workflows.models import StageProcess, TaskDeadline
from workflows.views.common import case_url

from . import delivery, recipients
from .models import Channel, Delivery, DeliveryState, DigestMode, Notice, NoticeKind, NoticePreference

logger = logging.getLogger(__name__)

REJECTING = {DecisionKind.REJECTED}


def preference_of(user) -> NoticePreference:
    """The user's settings (defaults, unsaved, for someone who never chose)."""
    try:
        return user.notice_preference
    except NoticePreference.DoesNotExist:
        return NoticePreference(user=user)


def _deliveries_for(notice: Notice, preference: NoticePreference) -> list[Delivery]:
    user = notice.recipient
    waiting = DeliveryState.DIGEST if preference.mode == DigestMode.DAILY else DeliveryState.PENDING
    now = timezone.now()
    wanted = []
    if preference.by_email and user.email:
        wanted.append(Delivery(notice=notice, channel=Channel.EMAIL, address=user.email, state=waiting,
                               next_attempt_at=now if waiting == DeliveryState.PENDING else None))
    official = getattr(user, "official", None)
    number = getattr(official, "whatsapp_number", "")
    if preference.by_whatsapp and number:
        wanted.append(Delivery(notice=notice, channel=Channel.WHATSAPP, address=number, state=waiting,
                               next_attempt_at=now if waiting == DeliveryState.PENDING else None))
    return wanted


def notice_create(*, recipient, kind: str, key: str, title: str, body: str, url: str = "", process=None,
                  region=None, event: AuditEvent | None = None) -> Notice | None:
    """One notice for one recipient (None when this key was already told: nothing is sent twice)."""
    if not recipient.is_active:
        return None
    # Not get_or_create (its own savepoint per notice): notices are made under the audit chain's lock, one
    # writer at a time, inside notices_from_event's savepoint.
    if Notice.objects.filter(key=key[:200]).exists():
        return None
    notice = Notice.objects.create(key=key[:200], recipient=recipient, kind=kind, title=title[:300], body=body,
                                   url=url[:500], process=process, region=region, event=event,
                                   created=timezone.now())
    deliveries = Delivery.objects.bulk_create(_deliveries_for(notice, preference_of(recipient)))
    immediate = [d.pk for d in deliveries if d.state == DeliveryState.PENDING]
    if immediate:
        delivery.queue_after_commit(immediate)
    return notice


# From events ------------------------------------------------------------------------------------------


def _case_label(process: StageProcess) -> str:
    return f"{process.get_stage_display()} {process.programme.region.display_name} ({process.programme.year})"


def _day(value) -> str:
    return formats.date_format(value, "l, j F Y")


def _iso_date(value: str):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _due_text(task_id) -> str:
    due = TaskDeadline.objects.filter(task_id=task_id).values_list("due", flat=True).first()
    return _("Tenggat: %(day)s.") % {"day": _day(due)} if due else ""


def _task_url(task: Task) -> str:
    import_module(settings.ROOT_URLCONF)  # viewflow's nodes reverse only once the URLconf is built (a fresh worker)
    try:
        return task.flow_task.reverse("index", args=[task.process_id, task.pk])
    except Exception:  # a node without its own URLs: the case page has every open task
        return case_url(task.process_id)


def _tell(users, event: AuditEvent, kind: str, title: str, body: str, url: str, process=None, exclude=(),
          key_also: str = "") -> int:
    told = 0
    for user in users:
        if user is None or user.pk in exclude:
            continue
        key = f"{event.pk}:{kind}:{user.pk}" + (f":{key_also}" if key_also else "")
        if notice_create(recipient=user, kind=kind, key=key, title=title, body=body,
                         url=url, process=process, region=event.region, event=event):
            told += 1
    return told


def _task_and_process(event: AuditEvent):
    task = Task.objects.select_related("owner", "process").filter(pk=event.task_id).first()
    if task is None:
        return None, None
    process = task.process.coerced
    return (task, process) if isinstance(process, StageProcess) else (None, None)


def _on_task_created(event: AuditEvent) -> None:
    task, process = _task_and_process(event)
    if task is None:
        return
    step = str(task.flow_task.task_title)
    title = _("Tugas baru: %(step)s — %(case)s") % {"step": step, "case": _case_label(process)}
    body = " ".join(filter(None, [
        _("Kasus %(case)s menunggu tindakan pada langkah %(step)s.") % {"case": _case_label(process), "step": step},
        _due_text(task.pk)]))
    _tell(recipients.step_holders(task, event.region), event, NoticeKind.TASK_CREATED, title, body, _task_url(task),
          process, exclude=_told_of_the_return(process, event))


def _told_of_the_return(process: StageProcess, event: AuditEvent) -> set[int]:
    """A return makes the draft task again: its drafter, just told of the return with its note, is not told twice."""
    finished = AuditEvent.objects.filter(process_id=process.pk, action=AuditAction.TASK_FINISHED, pk__lt=event.pk) \
        .order_by("-pk").values_list("pk", flat=True).first()
    if finished is None:
        return set()
    return set(Notice.objects.filter(event_id=finished, kind=NoticeKind.DRAFT_RETURNED)
               .values_list("recipient_id", flat=True))


def _on_task_finished(event: AuditEvent) -> None:
    process = StageProcess.objects.select_related("programme__region").filter(pk=event.process_id).first()
    decision = event.details.get("decision", "")
    if process is None or not decision or decision == DecisionKind.SUBMITTED:
        return
    label = DecisionKind(decision).label if decision in DecisionKind.values else decision
    case, step = _case_label(process), event.details.get("step_title") or _step_title(process, event)
    note = (event.details.get("note") or "").strip()
    note_line = _("Catatan: %(note)s") % {"note": note} if note else ""
    url = case_url(process.pk)
    actor = event.actor_label
    exclude = {event.actor_id}
    if decision in REJECTING:
        title = _("Kasus ditolak: %(case)s") % {"case": case}
        body = "\n".join(filter(None, [_("%(actor)s menolak kasus %(case)s pada langkah %(step)s.") % {
            "actor": actor, "case": case, "step": step}, note_line]))
        taking_part = recipients.participants(process.pk, process.programme.region)
        _tell(taking_part, event, NoticeKind.CASE_REJECTED, title, body, url, process, exclude)
        return
    told = set(exclude)
    if decision in (DecisionKind.RETURNED, DecisionKind.LETTER_NEEDS_CHANGES):
        drafter = recipients.drafter(process.pk)
        if drafter is not None:
            title = _("Draf dikembalikan: %(case)s") % {"case": case}
            body = "\n".join(filter(None, [_("%(actor)s mengembalikan draf pada langkah %(step)s untuk diperbaiki.") % {
                "actor": actor, "step": step}, note_line]))
            _tell([drafter], event, NoticeKind.DRAFT_RETURNED, title, body, url, process, told)
            told.add(drafter.pk)
    title = _("%(decision)s: %(case)s") % {"decision": label, "case": case}
    body = "\n".join(filter(None, [_("%(actor)s memutuskan \"%(decision)s\" pada langkah %(step)s.") % {
        "actor": actor, "decision": label, "step": step}, note_line]))
    taking_part = recipients.participants(process.pk, process.programme.region)
    _tell(taking_part, event, NoticeKind.DECISION_MADE, title, body, url, process, told)


def _step_title(process, event) -> str:
    task = Task.objects.filter(pk=event.task_id).first()
    return str(task.flow_task.task_title) if task else event.details.get("step", "")


def _on_case_completed(event: AuditEvent) -> None:
    process = StageProcess.objects.select_related("programme__region").filter(pk=event.process_id).first()
    if process is None:
        return
    case = _case_label(process)
    title = _("Kasus selesai: %(case)s") % {"case": case}
    body = _("Semua langkah %(case)s telah diputus dan dokumen finalnya ditandatangani.") % {"case": case}
    taking_part = recipients.participants(process.pk, process.programme.region)
    _tell(taking_part, event, NoticeKind.CASE_COMPLETED, title, body, case_url(process.pk),
          process)


def _on_delegation_changed(event: AuditEvent) -> None:
    """An administrator's change of a delegation: a new delegate is given it and the one before loses it; a
    shortened or lengthened one is told to its delegate as given, with its new period."""
    old, new = event.details.get("old", {}), event.details.get("new", {})
    if "delegate" in old and old["delegate"] != event.details.get("delegate"):
        _on_delegation(event, NoticeKind.DELEGATION_ENDED, delegate_name=old["delegate"])
    if set(new) & {"delegate", "valid_from", "valid_until", "role", "agency"}:
        _on_delegation(event, NoticeKind.DELEGATION_GIVEN)


def _delegation_facts(event: AuditEvent) -> dict:
    """Who, which role, for when: from the event (its old and new values too) and the delegation as it is now."""
    details = event.details
    facts = {**details.get("old", {}), **details.get("new", {}),
             **{key: value for key, value in details.items() if key not in ("old", "new")}}
    delegation = (Delegation.objects.select_related("assignment__agency").filter(pk=details.get("delegation")).first()
                  if details.get("delegation") else None)
    if delegation is not None:
        facts.update(role=delegation.assignment.role, agency=delegation.assignment.agency.name,
                     valid_from=str(delegation.valid_from), valid_until=str(delegation.valid_until))
    return facts


def _on_delegation(event: AuditEvent, kind: str, delegate_name: str = "") -> None:
    facts = _delegation_facts(event)
    delegate = recipients.user_named(delegate_name or facts.get("delegate", ""))
    if delegate is None:
        return
    role = facts.get("role", "")
    role_label = str(RoleKind(role).label) if role in RoleKind.values else role
    what = " ".join(filter(None, [role_label, facts.get("agency", "")]))
    if kind == NoticeKind.DELEGATION_GIVEN:
        delegator = recipients.user_named(facts.get("delegator", ""))
        title = _("Anda menerima delegasi dari %(actor)s") % {"actor": _name(delegator) if delegator
                                                               else event.actor_label}
        body = _("Peran %(what)s didelegasikan kepada Anda, %(start)s sampai %(end)s.") % {
            "what": what, "start": _day_text(facts.get("valid_from", "")),
            "end": _day_text(facts.get("valid_until", ""))}
    else:
        title = _("Delegasi kepada Anda berakhir")
        body = _("Delegasi peran %(what)s kepada Anda telah berakhir.") % {"what": what} if what else \
            _("Sebuah delegasi peran kepada Anda telah berakhir.")
    _tell([delegate], event, kind, title, body, reverse("sepakat:delegations"), key_also=delegate_name)


def _day_text(value: str) -> str:
    day = _iso_date(value)
    return _day(day) if day else value


def _on_deadline(event: AuditEvent, kind: str) -> None:
    task, process = _task_and_process(event)
    if task is None:
        return
    case, step = _case_label(process), str(task.flow_task.task_title)
    due_date = _iso_date(event.details.get("due", ""))
    due = _day(due_date) if due_date else ""
    if kind == NoticeKind.DEADLINE_TOMORROW:  # sent on the working day before the Tenggat, or later if caught up
        today = timezone.localdate(event.created)
        if due_date == today:
            title = _("Tenggat hari ini: %(step)s — %(case)s") % {"step": step, "case": case}
        elif due_date == today + datetime.timedelta(days=1):
            title = _("Tenggat besok: %(step)s — %(case)s") % {"step": step, "case": case}
        else:  # a Friday for a Monday, or the last day before a long holiday
            title = _("Tenggat %(day)s: %(step)s — %(case)s") % {"day": due, "step": step, "case": case}
        body = _("Tugas %(step)s pada kasus %(case)s jatuh tempo %(due)s.") % {"step": step, "case": case, "due": due}
        users = recipients.step_holders(task, event.region)
    elif kind == NoticeKind.TASK_OVERDUE:
        title = _("Terlambat: %(step)s — %(case)s") % {"step": step, "case": case}
        body = _("Tugas %(step)s pada kasus %(case)s melewati tenggatnya (%(due)s): %(days)s hari kerja.") % {
            "step": step, "case": case, "due": due, "days": event.details.get("overdue_days", "")}
        users = recipients.step_holders(task, event.region)
    else:
        title = _("Eskalasi: %(step)s — %(case)s") % {"step": step, "case": case}
        body = _("Tugas %(step)s pada kasus %(case)s terlambat %(days)s hari kerja dari tenggatnya (%(due)s). "
                 "Sebagai kepala instansi, Anda dapat mengalihkannya kepada pemegang peran lain.") % {
            "step": step, "case": case, "due": due, "days": event.details.get("overdue_days", "")}
        users = recipients.step_heads(task, event.region)
    url = _task_url(task) if kind != NoticeKind.TASK_ESCALATED else case_url(process.pk)
    _tell(users, event, kind, title, body, url, process)


def _on_task_reassigned(event: AuditEvent) -> None:
    task, process = _task_and_process(event)
    if task is None:
        return
    case, step = _case_label(process), str(task.flow_task.task_title)
    reason = (event.details.get("reason") or "").strip()
    reason_line = _("Alasan: %(reason)s") % {"reason": reason} if reason else ""
    to = recipients.user_named(event.details.get("to_user", ""))
    title = _("Tugas dialihkan kepada Anda: %(step)s — %(case)s") % {"step": step, "case": case}
    body = "\n".join(filter(None, [_("%(actor)s mengalihkan tugas %(step)s pada kasus %(case)s kepada Anda.") % {
        "actor": event.actor_label, "step": step, "case": case}, _due_text(task.pk), reason_line]))
    _tell([to], event, NoticeKind.TASK_REASSIGNED, title, body, _task_url(task), process)
    previous = recipients.user_named(event.details.get("from_user", ""))
    if previous is not None:
        title = _("Tugas Anda dialihkan: %(step)s — %(case)s") % {"step": step, "case": case}
        body = "\n".join(filter(None, [_("%(actor)s mengalihkan tugas %(step)s pada kasus %(case)s kepada %(to)s.") % {
            "actor": event.actor_label, "step": step, "case": case, "to": _name(to)}, reason_line]))
        _tell([previous], event, NoticeKind.TASK_REASSIGNED, title, body, case_url(process.pk), process)


def _name(user) -> str:
    official = getattr(user, "official", None)
    return official.full_name if official else (user.get_username() if user else "")


HANDLERS = {
    AuditAction.TASK_CREATED: _on_task_created,
    AuditAction.TASK_FINISHED: _on_task_finished,
    AuditAction.CASE_COMPLETED: _on_case_completed,
    AuditAction.TASK_REASSIGNED: _on_task_reassigned,
    AuditAction.ROLE_DELEGATED: lambda event: _on_delegation(event, NoticeKind.DELEGATION_GIVEN),
    AuditAction.ROLE_DELEGATION_ENDED: lambda event: _on_delegation(event, NoticeKind.DELEGATION_ENDED),
    AuditAction.ROLE_DELEGATION_EXPIRED: lambda event: _on_delegation(event, NoticeKind.DELEGATION_ENDED),
    AuditAction.ROLE_DELEGATION_REMOVED: lambda event: _on_delegation(event, NoticeKind.DELEGATION_ENDED),
    AuditAction.ROLE_DELEGATION_CHANGED: _on_delegation_changed,
    AuditAction.TASK_DEADLINE_NEAR: lambda event: _on_deadline(event, NoticeKind.DEADLINE_TOMORROW),
    AuditAction.TASK_OVERDUE: lambda event: _on_deadline(event, NoticeKind.TASK_OVERDUE),
    AuditAction.TASK_ESCALATED: lambda event: _on_deadline(event, NoticeKind.TASK_ESCALATED),
}


def notices_from_event(event: AuditEvent) -> None:
    handler = HANDLERS.get(event.action)
    if handler is None:
        return
    try:
        # A savepoint: a notice that cannot be made is logged, and never undoes the change it is about.
        with transaction.atomic(), translation.override("id"):
            handler(event)
    except Exception:
        logger.exception("notices of audit event %s (%s) could not be made", event.pk, event.action)


# The official's own settings -------------------------------------------------------------------------


def _number_digest(number: str) -> str:
    """What the audit log keeps of a WhatsApp number (personal data): its last three digits, so that a change
    from one number to another is seen, never the number; "" for none."""
    return f"…{number[-3:]}" if number else ""


@transaction.atomic
def preference_save(*, user, by_email: bool, by_whatsapp: bool, mode: str, whatsapp_number: str) -> NoticePreference:
    preference = preference_of(user)
    official = getattr(user, "official", None)
    old_number = getattr(official, "whatsapp_number", "")
    old = {"by_email": preference.by_email, "by_whatsapp": preference.by_whatsapp, "mode": preference.mode,
           "whatsapp_number": _number_digest(old_number)}
    preference.by_email, preference.by_whatsapp, preference.mode = by_email, by_whatsapp, mode
    preference.full_clean()
    preference.save()
    if official is not None and official.whatsapp_number != whatsapp_number:
        official.whatsapp_number = whatsapp_number
        official.full_clean()
        official.save(update_fields=["whatsapp_number"])
    new = {"by_email": by_email, "by_whatsapp": by_whatsapp, "mode": mode,
           "whatsapp_number": _number_digest(whatsapp_number)}
    if old != new:
        changed = [key for key in new if old[key] != new[key]]
        event_record(actor=user, action=AuditAction.NOTICE_SETTINGS_CHANGED,
                     details={"old": {k: old[k] for k in changed}, "new": {k: new[k] for k in changed}})
    return preference


def notices_mark_read(*, user, notice_ids=None) -> int:
    """Mark the user's own notices read (all of them when no ids are given); returns how many changed."""
    unread = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_ids is not None:
        unread = unread.filter(pk__in=notice_ids)
    return unread.update(read_at=timezone.now())
