"""The process record of one case of one stage, with real foreign keys."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from agreements.models import Document, DocumentKind, Programme, StoredPdf

# A stage is named by the document it produces: one enumeration for both.
Stage = DocumentKind


STAGE_ORDER = [Stage.MOU, Stage.REGULATION, Stage.MASTERPLAN]


def stage_before(stage: str) -> str | None:
    index = STAGE_ORDER.index(stage)
    return STAGE_ORDER[index - 1] if index else None


def stage_after(stage: str) -> str | None:
    index = STAGE_ORDER.index(stage)
    return STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None


class Outcome(models.TextChoices):
    OPEN = "open", _("Diproses")
    COMPLETED = "completed", _("Selesai")
    REJECTED = "rejected", _("Ditolak")


class StageProcess(Process):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="stage_processes")
    stage = models.CharField(_("tahap"), max_length=20, choices=Stage.choices)
    document = models.OneToOneField(Document, on_delete=models.PROTECT, null=True, related_name="process")
    outcome = models.CharField(_("hasil"), max_length=20, choices=Outcome.choices, default=Outcome.OPEN)
    last_decision = models.CharField(max_length=20, blank=True)
    rejection_reason = models.TextField(_("alasan penolakan"), blank=True)
    final_pdf = models.ForeignKey(StoredPdf, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    preparation_error = models.TextField(_("galat penyiapan dokumen"), blank=True)
    # workflows.services: when the document's preparation is sent (again) if it is still not done.
    preparation_due = models.DateTimeField(_("penyiapan dokumen dijadwalkan"), null=True, blank=True, db_index=True)
    preparation_attempts = models.PositiveSmallIntegerField(_("percobaan penyiapan dokumen"), default=0)

    def closing_sha256(self) -> str:
        """SHA-256 of the final PDF as the stage's close made it ("" while open): what the next stage's
        documents print and name. Archive renewals since extend it byte for byte and move ``final_pdf`` on."""
        if self.final_pdf_id is None:
            return ""
        first = StoredPdf.objects.filter(version_id=self.final_pdf.version_id, is_final=True).order_by("revision") \
            .values_list("sha256", flat=True).first()
        return first or self.final_pdf.sha256

    class Meta:
        verbose_name = _("kasus tahap")
        verbose_name_plural = _("kasus tahap")
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "stage"],
                condition=models.Q(outcome="open"),
                name="one_open_case_per_stage",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} — {self.programme.region} ({self.programme.year})"

    @property
    def region(self):
        return self.programme.region

    @property
    def days_spent(self) -> int:
        """Whole days from opening to closing (or to now while open)."""
        return ((self.finished or timezone.now()) - self.created).days


# Tenggat: the Indonesian working-day calendar and each human task's due date (workflows.deadlines).


class HolidayKind(models.TextChoices):
    CUTI_BERSAMA = "cuti_bersama", _("Cuti bersama")
    NATIONAL = "national", _("Hari libur nasional tambahan")
    REGIONAL = "regional", _("Hari libur daerah")
    # The government moved or cancelled a day the national calendar has (an Islamic date fixed by sidang isbat
    # on another day, an SKB revised): it is a working day after all.
    WORKING_DAY = "working_day", _("Hari kerja (bukan libur, meski kalender nasional menyebutnya libur)")


class Holiday(models.Model):
    """A day off that the national calendar (the `holidays` library) does not know: cuti bersama, a national
    day declared later (e.g. an election day), or a regional holiday (with its region); or a day that calendar
    has off which is a working day after all (WORKING_DAY)."""

    date = models.DateField(_("tanggal"))
    name = models.CharField(_("nama"), max_length=200)
    kind = models.CharField(_("jenis"), max_length=20, choices=HolidayKind.choices, default=HolidayKind.CUTI_BERSAMA)
    region = models.ForeignKey("agreements.Region", verbose_name=_("daerah"), on_delete=models.CASCADE,
                               null=True, blank=True, related_name="holidays",
                               help_text=_("Hanya untuk hari libur daerah; kosong berarti berlaku nasional."))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hari libur")
        verbose_name_plural = _("hari libur dan cuti bersama")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["date"], condition=models.Q(region__isnull=True),
                                    name="one_national_holiday_per_day"),
            models.UniqueConstraint(fields=["date", "region"], name="one_regional_holiday_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d-%m-%Y} {self.name}"

    def clean(self):
        from .deadlines import holiday_check  # the rules need the national calendar, which needs this model

        holiday_check(self)


class StepDeadline(models.Model):
    """An administrator's Tenggat for one step: working days, and overdue working days before escalation.

    One row per human step (made from the step table at migrate); a change applies to tasks created after it."""

    stage = models.CharField(_("tahap"), max_length=20, choices=Stage.choices)
    step = models.CharField(_("langkah"), max_length=50)
    working_days = models.PositiveSmallIntegerField(_("tenggat (hari kerja)"))
    escalate_after_days = models.PositiveSmallIntegerField(
        _("eskalasi setelah terlambat (hari kerja)"), default=3,
        help_text=_("Jumlah hari kerja setelah tenggat terlewati sebelum kepala instansi diberi tahu."))
    changed = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tenggat langkah")
        verbose_name_plural = _("tenggat langkah")
        ordering = ["stage", "pk"]
        constraints = [models.UniqueConstraint(fields=["stage", "step"], name="one_deadline_per_step")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.step}: {self.working_days}"


class TaskDeadline(models.Model):
    """A human task's Tenggat, fixed when the task is created, and what the reminder sweep has done about it."""

    task = models.OneToOneField("viewflow.Task", on_delete=models.CASCADE, primary_key=True, related_name="deadline")
    process = models.ForeignKey(StageProcess, on_delete=models.CASCADE, related_name="deadlines")
    due = models.DateField(_("tenggat"), db_index=True)  # the last working day the task may stay open
    working_days = models.PositiveSmallIntegerField(_("tenggat (hari kerja)"))
    escalate_after_days = models.PositiveSmallIntegerField(default=3)
    reminded_on = models.DateField(null=True, blank=True)  # the working day before the Tenggat
    overdue_reminded_on = models.DateField(null=True, blank=True)  # the last daily overdue reminder
    escalated_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("tenggat tugas")
        verbose_name_plural = _("tenggat tugas")
