"""viewflow's management actions on tasks, recorded: cancel, undo, revive.

Administrators (StageFlow.has_manage_permission: superusers) reach them through
viewflow's node URLs (`.../<process_pk>/<node>/<task_pk>/cancel|undo|revive/`); no
service of ours runs, and viewflow sends no signal for them. The task's status change
is what they all leave, so it is caught here: a task saved as CANCELED from NEW,
ASSIGNED or STARTED was cancelled ("task.canceled"), from DONE it was undone
("task.undone"); one saved as REVIVED was revived ("task.revived", naming the new
task). The actor is the request's user (audit.context), the details hold the old and
new status. Claim and release go through workflows.services, which record them already.
"""

from django.db.models.signals import post_save, pre_save
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from audit.context import current_actor, current_via
from audit.services import event_record

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
        action = "task.revived"
        revived_as = Task.objects.filter(previous=instance, flow_task=instance.flow_task).order_by("-pk").first()
        details["new_task"] = getattr(revived_as, "pk", None)
    elif old == STATUS.DONE:
        action = "task.undone"
    else:
        action = "task.canceled"
    process = instance.process.coerced
    event_record(actor=current_actor(), action=action, process=process, task=instance, details=details)


def connect() -> None:
    pre_save.connect(snapshot_status, sender=Task, dispatch_uid="workflows.audit_receivers.snapshot_status")
    post_save.connect(record_status_change, sender=Task, dispatch_uid="workflows.audit_receivers.record_status_change")
