"""Task events that viewflow causes itself, where no service of ours runs.

viewflow creates a case's tasks as the flow moves on: "task.created" is recorded when a
human task is saved for the first time, in the same transaction, with its Tenggat
(workflows.deadlines). The actor is the system (the flow); the official whose decision moved the flow on has their own
"task.finished" event just before.

viewflow's management actions on tasks are recorded too: cancel, undo, revive.

Administrators (StageFlow.has_manage_permission: superusers) reach them through
viewflow's node URLs (`.../<process_pk>/<node>/<task_pk>/cancel|undo|revive/`); no
service of ours runs, and viewflow sends no signal for them. The task's status change
is what they all leave, so it is caught here: a task saved as CANCELED from NEW,
ASSIGNED or STARTED was cancelled (AuditAction.TASK_CANCELED), from DONE it was undone
(AuditAction.TASK_UNDONE); one saved as REVIVED was revived (AuditAction.TASK_REVIVED, naming the new
task). The actor is the request's user (audit.context), the details hold the old and
new status. Claim and release go through workflows.services, which record them already.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from audit.actions import AuditAction
from audit.context import current_actor, current_via
from audit.services import event_record

from .deadlines import deadline_set
from .models import StageProcess

logger = logging.getLogger(__name__)


def record_task_created(sender, instance: Task, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw or instance.flow_task_type != "HUMAN":
        return
    process = instance.process.coerced
    node = instance.flow_task
    details = {"step": node.name, "title": str(node.task_title)}
    if isinstance(process, StageProcess):  # its Tenggat first: the event, and the notices made of it, name it
        try:
            with transaction.atomic():  # a Tenggat that cannot be set must not fail the step: the sweep sets it
                deadline = deadline_set(instance, process)
            details.update(due=deadline.due.isoformat(), working_days=deadline.working_days)
        except Exception:
            logger.exception("the Tenggat of task %s could not be set", instance.pk)
    event_record(
        actor=None,
        action=AuditAction.TASK_CREATED,
        process=process if isinstance(process, StageProcess) else instance.process,
        task=instance,
        details=details,
    )


WATCHED = {STATUS.CANCELED, STATUS.REVIVED}


def snapshot_status(sender, instance: Task, raw: bool = False, **kwargs) -> None:
    instance._audit_old_status = None
    if raw or instance.pk is None or instance.status not in WATCHED:
        return
    instance._audit_old_status = Task.objects.filter(pk=instance.pk).values_list("status", flat=True).first()


def record_status_change(sender, instance: Task, created: bool, raw: bool = False, **kwargs) -> None:
    old = getattr(instance, "_audit_old_status", None)
    instance._audit_old_status = None
    if raw or created or old is None or old == instance.status:
        return
    details = {"step": instance.flow_task.name, "old": {"status": old}, "new": {"status": instance.status},
               "via": current_via()}
    if instance.status == STATUS.REVIVED:
        action = AuditAction.TASK_REVIVED
        revived_as = Task.objects.filter(previous=instance, flow_task=instance.flow_task).order_by("-pk").first()
        details["new_task"] = getattr(revived_as, "pk", None)
    elif old == STATUS.DONE:
        action = AuditAction.TASK_UNDONE
    else:
        action = AuditAction.TASK_CANCELED
    process = instance.process.coerced
    event_record(actor=current_actor(), action=action, process=process, task=instance, details=details)


def connect() -> None:
    post_save.connect(record_task_created, sender=Task, dispatch_uid="workflows.audit_receivers.record_task_created")
    pre_save.connect(snapshot_status, sender=Task, dispatch_uid="workflows.audit_receivers.snapshot_status")
    post_save.connect(record_status_change, sender=Task, dispatch_uid="workflows.audit_receivers.record_status_change")
