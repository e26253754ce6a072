"""Keeping every stage's final document verifiable for decades: the daily archive renewal (PAdES B-LTA).

The PDF work is ``agreements.archival``; this is the run over the stages that ended, which also
moves each stage's ``final_pdf`` to its renewed revision.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.utils import timezone

from agreements import archival, pki
from sepakat import media

from .models import StageProcess

logger = logging.getLogger(__name__)

# One run at a time (beat and a cron job, a redelivered task): in Django's cache, shared by every process
# where CACHES points at Redis (production); the run gives it back when done, or it expires.
LOCK_KEY = "sepakat:archive-renew"
LOCK_SECONDS = 6 * 3600


class AlreadyRunning(Exception):
    """Another archive renewal holds the lock."""


def archive_renew(*, now=None) -> dict[str, int]:
    """Renew every final document whose last archive timestamp's certificate ends within a year.

    The local authority first re-issues its TSA certificate, or rolls over to a new CA, when theirs
    come near their end. Returns counts: checked, renewed, failed (logged; the next run tries again),
    authority (1 when the authority was renewed). AlreadyRunning when another run holds the lock.
    """
    token = uuid.uuid4().hex
    if not cache.add(LOCK_KEY, token, LOCK_SECONDS):
        raise AlreadyRunning
    try:
        return _renew(now or timezone.now())
    finally:
        if cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)


def _renew(now) -> dict[str, int]:
    counts = {"checked": 0, "renewed": 0, "failed": 0, "authority": 0}
    due = archival.authority_renewal_due(now)
    if due == "ca":
        pki.authority_roll_over()
        counts["authority"] = 1
    elif due == "tsa":
        pki.tsa_reissue()
        counts["authority"] = 1
    closed = StageProcess.objects.filter(final_pdf__isnull=False).select_related("final_pdf__document__programme",
                                                                                 "final_pdf__version")
    for process in closed.order_by("pk").iterator(chunk_size=200):
        counts["checked"] += 1
        try:
            stored = process.final_pdf
            if not archival.renewal_due(stored, now):
                continue
            with archival.archive_renewal_open():
                renewed = archival.final_archive(stored, reason="pembaruan cap waktu arsip",
                                                 must_hold_until=now + archival.RENEW_BEFORE)
                StageProcess.objects.filter(pk=process.pk).update(final_pdf=renewed)
        except Exception:  # one document's trouble (its TSA, its file) does not stop the others
            counts["failed"] += 1
            logger.exception("archive renewal of stage %s failed", process.pk)
            media.remove_unreferenced()  # the renewal's file, if it was written before the failure
            continue
        counts["renewed"] += 1
    return counts
