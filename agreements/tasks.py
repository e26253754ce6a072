"""Background work of the agreements app: the audit log's signed checkpoints, the stored files' check."""

import logging

from celery import shared_task

from . import checkpoints, storage_check

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


@shared_task(acks_late=False)  # hashes every stored file: long, and harmless to miss one night
def check_storage() -> dict[str, int]:
    """Compare the stored files with the database (daily by Celery beat); each problem is logged as an error,
    and orphans older than the limit (files of changes that rolled back in a killed process) are removed."""
    report = storage_check.storage_check()
    for line in report.problem_lines():
        logger.error("storage check: %s", line)
    for name in storage_check.orphans_delete(report):
        logger.warning("storage check: removed orphan %s", name)
    if report.ok:
        logger.info("storage check: %s files as recorded", report.checked)
    return {"checked": report.checked, "missing": len(report.missing), "mismatched": len(report.mismatched),
            "orphans": len(report.orphans), "recent_orphans": len(report.recent_orphans)}
