"""Background work: rendering a stage's document for its signers; the daily archive renewal."""

import logging

from celery import shared_task

from . import archiving, services

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, default_retry_delay=10)
def prepare_signing(self, process_id: int) -> None:
    try:
        services.signing_prepare(process_id=process_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            services.signing_preparation_failed(process_id=process_id, error=error)
            raise
        raise self.retry(exc=error) from error


@shared_task
def archive_renew() -> dict[str, int]:
    """Keep every final document's archive timestamp ahead of its certificate's end (daily by Celery beat)."""
    try:
        counts = archiving.archive_renew()
    except archiving.AlreadyRunning:
        logger.info("archive renewal already running; this run does nothing")
        return {}
    logger.info("archive renewal: %s", counts)
    return counts
