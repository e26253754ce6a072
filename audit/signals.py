"""Audit events for changes that happen inside libraries, where no service of ours runs.

viewflow creates a case's tasks itself, as the flow moves on: "task.created" is
recorded when a human task is saved for the first time, in the same transaction.
The actor is the system (the flow); the official whose decision moved the flow on
has their own "task.finished" event just before.
"""

from django.db.models.signals import post_save
from viewflow.workflow.models import Task

from .services import event_record


def record_task_created(sender, instance: Task, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw or instance.flow_task_type != "HUMAN":
        return
    from workflows.models import StageProcess

    process = instance.process.coerced
    node = instance.flow_task
    event_record(
        actor=None,
        action="task.created",
        process=process if isinstance(process, StageProcess) else instance.process,
        task=instance,
        details={"step": node.name, "title": str(node.task_title)},
    )


def connect() -> None:
    post_save.connect(record_task_created, sender=Task, dispatch_uid="audit.signals.record_task_created")
