"""Background work of the permissions app: the daily re-derivation of permissions."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=False)
def sync_roles() -> dict[str, int]:
    """Just after midnight (Celery beat): assignments and delegations that start or end today take effect."""
    report = services.roles_sync()
    logger.info("roles synced: %d granted, %d revoked", len(report.granted), len(report.revoked))
    return {"granted": len(report.granted), "revoked": len(report.revoked)}
