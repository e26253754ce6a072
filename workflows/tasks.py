"""Background work: rendering a stage's document for its signers; the daily archive renewal; the Tenggat sweep."""

import logging

from celery import shared_task

from . import archiving, deadlines, services

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=240, time_limit=300)
def prepare_signing(process_id: int) -> None:
    """Render a document for its signers. A failure is recorded and the sweeper sends the job again after a
    pause (workflows.services); a job whose worker died is redelivered (acks late) or found lost by the sweeper."""
    try:
        services.signing_prepare(process_id=process_id)
    except Exception as error:
        logger.exception("preparing the document of case %s failed", process_id)
        services.signing_preparation_failed(process_id=process_id, error=error)


@shared_task
def preparations_sweep() -> int:
    """Every minute (Celery beat): send again the preparations that are lost or due after a failure."""
    sent = services.preparations_sweep()
    if sent:
        logger.warning("document preparations sent again: %d", sent)
    return sent


@shared_task(acks_late=False)  # may run for hours; its own lock keeps it single
def archive_renew() -> dict[str, int]:
    """Keep every final document's archive timestamp ahead of its certificate's end (daily by Celery beat)."""
    try:
        counts = archiving.archive_renew()
    except archiving.AlreadyRunning:
        logger.info("archive renewal already running; this run does nothing")
        return {}
    logger.info("archive renewal: %s", counts)
    return counts


@shared_task(acks_late=False)  # idempotent per day: a lost run is made up by the next hour's
def deadlines_sweep() -> dict[str, int]:
    """Hourly (Celery beat, or manage.py schedule in the embedded default): Tenggat reminders, overdue
    reminders and escalations, and delegations that ended by themselves."""
    counts = deadlines.deadlines_sweep()
    logger.info("deadlines sweep: %s", counts)
    return counts
