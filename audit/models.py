"""Append-only, hash-chained event log.

Each row is one thing that happened: who acted (with their post and agency at that
moment), what they did, which objects it concerns, and the old and new values. Rows
are only ever inserted, by `audit.services.event_record`: the database itself refuses
UPDATE and DELETE (migration 0003), and each row's hash covers every field, its
sequence number and the previous row's hash, so `manage.py verify_audit` finds any
edit, deletion or reordering.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    # The pk is the sequence number: event_record gives each event the previous
    # event's number plus one, so the chain has no gaps and no forks.
    created = models.DateTimeField(_("waktu"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    actor_label = models.CharField(_("pelaku"), max_length=300, blank=True)  # "name (post)" at that moment
    actor_agency = models.CharField(_("instansi pelaku"), max_length=300, blank=True)  # at that moment
    action = models.CharField(_("aksi"), max_length=60)
    region = models.ForeignKey("agreements.Region", on_delete=models.PROTECT, null=True, related_name="+")
    programme_id = models.BigIntegerField(null=True, db_index=True)
    process_id = models.BigIntegerField(null=True, db_index=True)
    task_id = models.BigIntegerField(null=True)
    version_id = models.BigIntegerField(null=True)
    details = models.JSONField(default=dict)  # old and new values, decision and note, hashes...
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("peristiwa audit")
        verbose_name_plural = _("jejak audit")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.actor_label}"
