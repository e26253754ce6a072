"""Append-only, hash-chained event log (the full auditor tooling comes later)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    created = models.DateTimeField(_("waktu"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    actor_label = models.CharField(_("pelaku"), max_length=300, blank=True)
    action = models.CharField(_("aksi"), max_length=60)
    region = models.ForeignKey("agreements.Region", on_delete=models.PROTECT, null=True, related_name="+")
    process_id = models.BigIntegerField(null=True, db_index=True)
    task_id = models.BigIntegerField(null=True)
    version_id = models.BigIntegerField(null=True)
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("peristiwa audit")
        verbose_name_plural = _("jejak audit")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.actor_label}"
