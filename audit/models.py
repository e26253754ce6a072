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
        # The auditor's timelines page by sequence number within an action, a region or an actor (newest first), and
        # the filter's list of recorded actions probes one entry per action (auditing.selectors).
        indexes = [
            models.Index(fields=["action", "id"], name="audit_event_action_seq"),
            models.Index(fields=["region", "id"], name="audit_event_region_seq"),
            models.Index(fields=["actor", "id"], name="audit_event_actor_seq"),
            # A date range is a range of sequence numbers: its ends are found on (created, id) (auditing.selectors).
            models.Index(fields=["created", "id"], name="audit_event_created_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.actor_label}"


class RefusalCount(models.Model):
    """How often one user (or one anonymous address) was refused on one route in one hour.

    Refused requests (403, or 404 on a URL that names an object) are counted here, not
    chained one by one: the first refusal of a user on a route in an hour writes one
    "access.refused" event, the rest only raise `count` (an F() update). This table is
    a plain, editable counter: the append-only triggers guard audit_auditevent only.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+")
    ip = models.CharField(_("alamat IP"), max_length=45, blank=True)  # anonymous visitors only
    route = models.CharField(_("rute"), max_length=200)
    hour = models.DateTimeField(_("jam"))  # the start of the hour, UTC
    count = models.PositiveIntegerField(_("jumlah"), default=0)
    status = models.PositiveSmallIntegerField(_("status terakhir"))
    first_path = models.CharField(_("alamat pertama"), max_length=500)
    last_path = models.CharField(_("alamat terakhir"), max_length=500)
    first_seen = models.DateTimeField(_("pertama"))
    last_seen = models.DateTimeField(_("terakhir"))

    class Meta:
        verbose_name = _("penolakan akses")
        verbose_name_plural = _("penolakan akses")
        ordering = ["-hour", "-count"]
        constraints = [
            models.UniqueConstraint(fields=["user", "route", "hour"], condition=models.Q(user__isnull=False),
                                    name="audit_refusal_once_per_user_route_hour"),
            models.UniqueConstraint(fields=["ip", "route", "hour"], condition=models.Q(user__isnull=True),
                                    name="audit_refusal_once_per_ip_route_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.ip or '?'} {self.route} {self.hour:%Y-%m-%d %H}:00 ×{self.count}"


class Checkpoint(models.Model):
    """The head of the audit chain at a moment, signed with the system's seal and timestamped (RFC 3161).

    ``payload`` is the canonical JSON that was signed (sequence, head hash, count, time);
    ``signature`` the detached CMS over it, with the TSA's token as an unsigned attribute.
    Whoever rewrites events before ``seq`` cannot make the chain reach ``head_hash`` again, and
    cannot sign a new checkpoint without the seal's key. Kept write-once (migration 0005).
    """

    seq = models.BigIntegerField(_("nomor peristiwa"), unique=True)
    head_hash = models.CharField(_("hash kepala rantai"), max_length=64)
    count = models.BigIntegerField(_("jumlah peristiwa"))
    # RFC 9162 Merkle tree head over the first ``count`` events (audit.merkle): inclusion proofs.
    merkle_root = models.CharField(_("akar Merkle"), max_length=64, default="")
    # The tree's perfect subtrees at this checkpoint (audit.merkle.Accumulator.frontier): the next
    # checkpoint adds only the events after this one. Not signed; checked against merkle_root before use.
    frontier = models.JSONField(default=list)
    created = models.DateTimeField(_("waktu"))
    reason = models.CharField(_("alasan"), max_length=40)
    payload = models.TextField()
    signature = models.BinaryField()
    timestamp_time = models.DateTimeField(_("cap waktu"), null=True)
    seal_fingerprint = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("titik periksa audit")
        verbose_name_plural = _("titik periksa audit")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.head_hash[:16]}"
