"""Officials and their role assignments: the one source of truth for access.

Assignments are synced into django-guardian permissions (permissions.services),
which viewflow's queue and our selectors read.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import ACTING_ROLE_KINDS, CENTRAL_AGENCY_KINDS, AgencyKind, RoleKind
from .steps import roles_of_agency_kind

WHATSAPP_NUMBER = RegexValidator(
    r"^\+62[1-9][0-9]{7,12}$",
    _("Nomor WhatsApp ditulis dalam format internasional Indonesia: +62 lalu 8–13 angka, mis. +6281234567890."),
)


class Official(models.Model):
    """The person behind a user account: name with titles, post, NIP."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="official")
    full_name = models.CharField(_("nama lengkap"), max_length=200, help_text=_("Dengan gelar"))
    nip = models.CharField(_("NIP"), max_length=30, blank=True)
    post = models.CharField(_("jabatan"), max_length=200)
    whatsapp_number = models.CharField(_("nomor WhatsApp"), max_length=16, blank=True, validators=[WHATSAPP_NUMBER],
                                       help_text=_("Format +62, mis. +6281234567890. Untuk pemberitahuan."))

    class Meta:
        verbose_name = _("pejabat")
        verbose_name_plural = _("pejabat")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name


def in_force(on, via: str = "") -> Q:
    """The one in-force rule of a period (assignment or delegation) on the day `on`: begun on or before it,
    not ended before it (valid_until is the last day, inclusive; empty for no end). `via` reaches the
    period through a relation, e.g. "assignment__" from a delegation."""
    return Q(**{f"{via}valid_from__lte": on}) & (
        Q(**{f"{via}valid_until__isnull": True}) | Q(**{f"{via}valid_until__gte": on})
    )


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self, on=None):
        """Assignments in force on the given date (today by default)."""
        return self.filter(in_force(on or timezone.localdate()))


class RoleAssignment(models.Model):
    """An official holds a role in an agency for a period."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    agency = models.ForeignKey("agreements.Agency", on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField(_("peran"), max_length=30, choices=RoleKind.choices)
    valid_from = models.DateField(_("berlaku mulai"), default=timezone.localdate)
    valid_until = models.DateField(_("berlaku sampai"), null=True, blank=True)
    acting = models.BooleanField(_("Plt. (pelaksana tugas)"), default=False)
    is_head = models.BooleanField(
        _("kepala instansi"), default=False, help_text=_("Dapat mengalihkan tugas peran ini ke pemegang lain.")
    )
    note = models.CharField(_("catatan"), max_length=300, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("penugasan peran")
        verbose_name_plural = _("penugasan peran")
        ordering = ["agency", "role"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"

    def clean(self):
        errors = []
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            errors.append(INVERTED_DATES)
        if self.agency_id and self.role:
            if self.role not in roles_of_agency_kind(self.agency.kind):
                errors.append(ROLE_NOT_FOR_AGENCY % {"role": self.get_role_display(), "agency": self.agency})
            if self.agency.region_id is not None and self.agency.kind in CENTRAL_AGENCY_KINDS:
                errors.append(CENTRAL_ROLE_REGIONAL_AGENCY % {"agency": self.agency})
        if self.user_id and self.agency_id and self.role and self.valid_from and not errors:
            clash = overlapping(
                RoleAssignment.objects.filter(user=self.user, agency=self.agency, role=self.role).exclude(pk=self.pk),
                self.valid_from, self.valid_until,
            ).first()
            if clash:
                errors.append(OVERLAPPING_ASSIGNMENT % {"period": period_label(clash.valid_from, clash.valid_until)})
        if errors:
            raise ValidationError(errors)


INVERTED_DATES = _("Tanggal berakhir lebih awal dari tanggal mulai.")
ROLE_NOT_FOR_AGENCY = _("Peran %(role)s tidak dijalankan oleh %(agency)s pada tahap mana pun.")
CENTRAL_ROLE_REGIONAL_AGENCY = _("%(agency)s adalah instansi pusat dan tidak boleh terikat pada satu daerah.")
OVERLAPPING_ASSIGNMENT = _("Penugasan ini tumpang tindih dengan penugasan yang sama pada %(period)s.")
DELEGATE_SELF = _("Peran tidak dapat didelegasikan kepada diri sendiri.")
DELEGATE_OTHER_REGION = _(
    "%(delegate)s tidak bertugas di %(region)s; peran daerah hanya dapat didelegasikan kepada pejabat daerah itu."
)
DELEGATION_OUTSIDE_ASSIGNMENT = _("Masa delegasi harus berada di dalam masa penugasan pemberi delegasi (%(period)s).")
OVERLAPPING_DELEGATION = _("Peran ini sudah didelegasikan pada %(period)s.")
DELEGATE_AUDITOR = _(
    "%(delegate)s memegang peran Auditor; auditor memeriksa dan tidak menerima delegasi untuk bertindak."
)
DELEGATE_OTHER_PARTY = _(
    "%(delegate)s berada di pihak lain dokumen (pusat dan daerah); peran tidak dapat didelegasikan antarpihak."
)
DELEGATE_NOT_ELIGIBLE = _(
    "%(delegate)s tidak dapat memegang peran ini: delegasi hanya kepada pejabat %(agency)s%(also)s."
)

# Posts outside the role's own agency that may hold it by delegation (domain.md: the
# Sekda signs a.n. the regional head). Everything else stays within the agency.
DELEGABLE_TO_AGENCY_KINDS = {
    (AgencyKind.KEPALA_DAERAH, RoleKind.SIGNER): (AgencyKind.SEKDA,),
}


def period_label(start, end) -> str:
    return f"{start:%d-%m-%Y} – {end:%d-%m-%Y}" if end else f"{start:%d-%m-%Y} – …"


def overlapping(queryset, start, end):
    """Rows of a (valid_from, valid_until) queryset whose period meets [start, end]."""
    queryset = queryset.filter(models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=start))
    return queryset.filter(valid_from__lte=end) if end else queryset


class DelegationKind(models.TextChoices):
    ON_BEHALF = "an", _("a.n. (atas nama)")
    ACTING = "plt", _("Plt. (pelaksana tugas)")


class DelegationQuerySet(models.QuerySet):
    def active(self, on=None):
        """Delegations in force on the given date (today by default), of an assignment in force then."""
        on = on or timezone.localdate()
        return self.filter(in_force(on), in_force(on, via="assignment__"))


class Delegation(models.Model):
    """An official lets another act in one of their roles for a period (a.n. or Plt.)."""

    assignment = models.ForeignKey(RoleAssignment, verbose_name=_("peran yang didelegasikan"),
                                   on_delete=models.CASCADE, related_name="delegations")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("penerima delegasi"),
                                 on_delete=models.CASCADE, related_name="delegations_received")
    kind = models.CharField(_("jenis"), max_length=5, choices=DelegationKind.choices, default=DelegationKind.ON_BEHALF)
    valid_from = models.DateField(_("berlaku mulai"), default=timezone.localdate)
    valid_until = models.DateField(_("berlaku sampai"))
    reason = models.CharField(_("alasan"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = _("delegasi")
        verbose_name_plural = _("delegasi")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.assignment} → {self.delegate}"

    def duty_problems(self, start, end) -> list:
        return delegation_duty_problems(self, start, end)

    def clean(self):
        errors = []
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            errors.append(INVERTED_DATES)
        if not self.assignment_id or not self.delegate_id:
            if errors:
                raise ValidationError(errors)
            return
        assignment = self.assignment
        if self.delegate_id == assignment.user_id:
            errors.append(DELEGATE_SELF)
        region = assignment.agency.region
        if region is not None and not RoleAssignment.objects.filter(user=self.delegate, agency__region=region).exists():
            errors.append(DELEGATE_OTHER_REGION % {"delegate": self.delegate, "region": region})
        elif self.valid_from and self.valid_until and self.valid_until >= self.valid_from:
            errors += self.duty_problems(self.valid_from, self.valid_until)
        if self.valid_from and (
            self.valid_from < assignment.valid_from
            or (assignment.valid_until and self.valid_until and self.valid_until > assignment.valid_until)
        ):
            errors.append(DELEGATION_OUTSIDE_ASSIGNMENT % {
                "period": period_label(assignment.valid_from, assignment.valid_until)})
        if self.valid_from and self.valid_until and self.valid_until >= self.valid_from:
            clash = overlapping(Delegation.objects.filter(assignment=assignment).exclude(pk=self.pk),
                                self.valid_from, self.valid_until).first()
            if clash:
                errors.append(OVERLAPPING_DELEGATION % {"period": period_label(clash.valid_from, clash.valid_until)})
        if errors:
            raise ValidationError(errors)


def delegation_duty_problems(delegation: "Delegation", start, end) -> list:
    """Separation of duties: why the delegate may not hold the delegated role between start and end.

    Checked when a delegation is made and again whenever the delegate acts on it.
    """
    assignment, delegate = delegation.assignment, delegation.delegate
    theirs = overlapping(RoleAssignment.objects.filter(user=delegate), start, end).select_related("agency")
    problems = []
    if any(held.role == RoleKind.AUDITOR for held in theirs):
        problems.append(DELEGATE_AUDITOR % {"delegate": delegate})
    acting = [held for held in theirs if held.role in ACTING_ROLE_KINDS]
    central = assignment.agency.region_id is None
    if any((held.agency.region_id is None) != central for held in acting):
        problems.append(DELEGATE_OTHER_PARTY % {"delegate": delegate})
    if not problems:
        allowed = DELEGABLE_TO_AGENCY_KINDS.get((assignment.agency.kind, assignment.role), ())
        eligible = any(
            held.agency_id == assignment.agency_id
            or (held.agency.kind in allowed and held.agency.region_id == assignment.agency.region_id)
            for held in acting
        )
        if not eligible:
            also = "".join(f" {_('atau')} {AgencyKind(kind).label}" for kind in allowed)
            problems.append(DELEGATE_NOT_ELIGIBLE % {"delegate": delegate, "agency": assignment.agency,
                                                     "also": also})
    return problems

