"""Keeping every stage's final document verifiable for decades: the daily archive renewal (PAdES B-LTA).

The PDF work is ``agreements.archival``; this is the run over the stages that ended, which also
moves each stage's ``final_pdf`` to its renewed revision.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from agreements import archival, pki

from .models import StageProcess

logger = logging.getLogger(__name__)


def archive_renew(*, now=None) -> dict[str, int]:
    """Renew every final document whose last archive timestamp's certificate ends within a year.

    The local authority first re-issues its TSA certificate, or rolls over to a new CA, when theirs
    come near their end. Returns counts: checked, renewed, failed (logged; the next run tries again),
    authority (1 when the authority was renewed).
    """
    now = now or timezone.now()
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
        stored = process.final_pdf
        if not archival.renewal_due(stored, now):
            continue
        try:
            with archival.archive_renewal_open():
                renewed = archival.final_archive(stored, reason="pembaruan cap waktu arsip")
                StageProcess.objects.filter(pk=process.pk).update(final_pdf=renewed)
        except archival.ArchiveError as error:
            counts["failed"] += 1
            logger.error("archive renewal of %s failed: %s", stored, error)
            continue
        counts["renewed"] += 1
    return counts
