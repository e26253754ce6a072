"""Notices to officials: what they were told (in the app), and how each channel delivered it.

A notice is made from an audit event (notices.receivers), in the event's transaction, once per recipient
(`key`); its deliveries by e-mail and WhatsApp are sent by workers after the commit (notices.delivery).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    TASK_CREATED = "task_created", _("Tugas baru")
    DRAFT_RETURNED = "draft_returned", _("Draf dikembalikan")
    DECISION_MADE = "decision_made", _("Keputusan pada kasus Anda")
    CASE_COMPLETED = "case_completed", _("Kasus selesai")
    CASE_REJECTED = "case_rejected", _("Kasus ditolak")
    DELEGATION_GIVEN = "delegation_given", _("Delegasi diterima")
    DELEGATION_ENDED = "delegation_ended", _("Delegasi berakhir")
    DEADLINE_TOMORROW = "deadline_tomorrow", _("Tenggat besok")
    TASK_OVERDUE = "task_overdue", _("Tugas terlambat")
    TASK_ESCALATED = "task_escalated", _("Eskalasi tugas terlambat")
    TASK_REASSIGNED = "task_reassigned", _("Tugas dialihkan")


class Notice(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("jenis"), max_length=30, choices=NoticeKind.choices)
    title = models.CharField(_("judul"), max_length=300)
    body = models.TextField(_("isi"))
    url = models.CharField(_("tautan"), max_length=500, blank=True)  # a path on this site
    process = models.ForeignKey("workflows.StageProcess", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="notices")
    region = models.ForeignKey("agreements.Region", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+")
    event = models.ForeignKey("audit.AuditEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    key = models.CharField(max_length=200, unique=True)  # one notice per event and recipient, whatever retries
    created = models.DateTimeField(_("dibuat"), db_index=True)
    read_at = models.DateTimeField(_("dibaca"), null=True, blank=True)

    class Meta:
        verbose_name = _("pemberitahuan")
        verbose_name_plural = _("pemberitahuan")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_unread")]

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    EMAIL = "email", _("Surel")
    WHATSAPP = "whatsapp", _("WhatsApp")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Menunggu dikirim")
    DIGEST = "digest", _("Menunggu ringkasan harian")
    SENT = "sent", _("Terkirim")
    FAILED = "failed", _("Gagal, akan dicoba lagi")
    GIVEN_UP = "given_up", _("Gagal, tidak dicoba lagi")


class Delivery(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("saluran"), max_length=20, choices=Channel.choices)
    address = models.CharField(_("alamat"), max_length=254)  # the e-mail address or +62 number when it was made
    state = models.CharField(_("status"), max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING,
                             db_index=True)
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    next_attempt_at = models.DateTimeField(_("percobaan berikutnya"), null=True, blank=True, db_index=True)
    last_error = models.TextField(_("galat terakhir"), blank=True)
    sent_at = models.DateTimeField(_("terkirim"), null=True, blank=True)

    class Meta:
        verbose_name = _("pengiriman pemberitahuan")
        verbose_name_plural = _("pengiriman pemberitahuan")
        ordering = ["-pk"]
        constraints = [models.UniqueConstraint(fields=["notice", "channel"], name="one_delivery_per_channel")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address}: {self.get_state_display()}"


class DigestMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Segera, satu pesan per pemberitahuan")
    DAILY = "daily", _("Ringkasan harian, satu pesan per hari")


class NoticePreference(models.Model):
    """How one official wants to be told, beyond the notification centre (which always has every notice).

    The WhatsApp number is on the official's profile (permissions.Official.whatsapp_number)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference")
    by_email = models.BooleanField(_("kirim lewat surel"), default=True)
    by_whatsapp = models.BooleanField(_("kirim lewat WhatsApp"), default=False)
    mode = models.CharField(_("cara pengiriman"), max_length=20, choices=DigestMode.choices,
                            default=DigestMode.IMMEDIATE)

    class Meta:
        verbose_name = _("pengaturan pemberitahuan")
        verbose_name_plural = _("pengaturan pemberitahuan")

    def __str__(self) -> str:
        return str(self.user)
