"""Background work of the auditor's floor: the analytics snapshots (auditing.snapshots)."""

from celery import shared_task

from . import snapshots


@shared_task(soft_time_limit=1500, time_limit=1800)
def analytics_compute(key: str) -> bool:
    """One snapshot, asked for by a page that found none or an old one (the page holds the lock)."""
    return snapshots.snapshot_compute(key=key)


@shared_task(acks_late=False, soft_time_limit=1500, time_limit=1800)
def analytics_refresh() -> dict[str, int]:
    """Every REFRESH_MINUTES (Celery beat): the common views' snapshots computed again."""
    return snapshots.snapshots_refresh()
