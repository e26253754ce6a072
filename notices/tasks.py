"""Background work of notices: sending each delivery, the sweep that sends again, the daily digests.

The task bodies are notices.delivery's; none of them raises. A failed send is recorded on its delivery and
tried again by the sweep, so a job never needs Celery's own retries: in the embedded default (eager), the
job runs after the commit inside the request that caused it, and a mail server down must not reach it.
"""

import logging

from celery import shared_task

from . import delivery

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=120, time_limit=150)
def deliver(delivery_id: int) -> bool:
    """Send one delivery (once: a job delivered twice finds it claimed or sent and does nothing)."""
    try:
        return delivery.delivery_send(delivery_id)
    except Exception:  # delivery_send catches everything itself; this is the last line
        logger.exception("notice delivery %s failed unexpectedly", delivery_id)
        return False


@shared_task(soft_time_limit=55, time_limit=60)
def deliveries_sweep() -> int:
    """Every minute (Celery beat): send the deliveries that are due (lost, or paused after a failure)."""
    sent = delivery.deliveries_sweep()
    if sent:
        logger.info("notice deliveries sent by the sweep: %d", sent)
    return sent


@shared_task(acks_late=False)  # once a day; what it has not sent stays waiting and is found the next time
def digests_send() -> int:
    """Every morning (Celery beat): one digest per official and channel of everything waiting for it."""
    sent = delivery.digests_send()
    logger.info("daily notice digests sent: %d", sent)
    return sent
