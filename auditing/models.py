"""Stored snapshots of the process analytics: the report is computed off the request path (Celery beat and, at
most once at a time per scope and filters, on demand) and the page reads the last one (auditing.snapshots)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AnalyticsSnapshot(models.Model):
    """One analytics report for one exact scope (the regions reported on) and stage filter.

    `key` names the scope exactly (auditing.snapshots.snapshot_key): a snapshot holds the figures of its
    regions only, so two people read the same one only when they report on the very same regions.
    `computing_since` is the lock: set while a computation runs, so that it runs once.
    """

    key = models.CharField(_("kunci"), max_length=64, unique=True)
    regions = models.JSONField(_("daerah"), null=True, blank=True)  # sorted region ids; null: every region
    stage = models.CharField(_("tahap"), max_length=20, blank=True)
    data = models.JSONField(_("data"), null=True, blank=True)
    computed_at = models.DateTimeField(_("dihitung pada"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("lama hitung (ms)"), null=True, blank=True)
    computing_since = models.DateTimeField(_("sedang dihitung sejak"), null=True, blank=True)
    read_at = models.DateTimeField(_("terakhir dibaca"), null=True, blank=True)

    class Meta:
        verbose_name = _("cuplikan analitik")
        verbose_name_plural = _("cuplikan analitik")

    def __str__(self):
        return f"{self.key[:12]} {self.stage or '-'} {self.computed_at}"
