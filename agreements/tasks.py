"""Background work of the agreements app: the audit log's signed checkpoints."""

import logging

from celery import shared_task

from . import checkpoints

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, default_retry_delay=60)
def audit_checkpoint(self, reason: str = "jadwal") -> int | None:
    """Seal the chain's head now (hourly by Celery beat in production; at every stage close)."""
    try:
        made = checkpoints.checkpoint_make(reason=reason)
    except Exception as error:
        logger.exception("audit checkpoint failed (%s)", reason)
        raise self.retry(exc=error) from error
    return made.seq if made else None

