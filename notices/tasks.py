"""Background work of notices (to be built)."""

from celery import shared_task


@shared_task
def deliver(delivery_id: int) -> None:
    return None
