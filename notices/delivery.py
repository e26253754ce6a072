"""Sending notices by e-mail and WhatsApp, off the request path (to be built: see notices.tasks)."""

from sepakat.queueing import send_after_commit


def queue_after_commit(delivery_ids: list[int]) -> None:
    from .tasks import deliver

    for delivery_id in delivery_ids:
        send_after_commit(deliver, delivery_id)
