"""Officials and their role assignments: the one source of truth for access.

Assignments are synced into django-guardian permissions (permissions.services),
which viewflow's queue and our selectors read.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import RoleKind


class Official(models.Model):
    """The person behind a user account: name with titles, post, NIP."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="official")
    full_name = models.CharField(_("nama lengkap"), max_length=200, help_text=_("Dengan gelar"))
    nip = models.CharField(_("NIP"), max_length=30, blank=True)
    post = models.CharField(_("jabatan"), max_length=200)

    class Meta:
        verbose_name = _("pejabat")
        verbose_name_plural = _("pejabat")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self, on=None):
        """Assignments in force on the given date (today by default)."""
        on = on or timezone.localdate()
        return self.filter(valid_from__lte=on).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))


class RoleAssignment(models.Model):
    """An official holds a role in an agency for a period."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    agency = models.ForeignKey("agreements.Agency", on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField(_("peran"), max_length=30, choices=RoleKind.choices)
    valid_from = models.DateField(_("berlaku mulai"), default=timezone.localdate)
    valid_until = models.DateField(_("berlaku sampai"), null=True, blank=True)
    acting = models.BooleanField(_("Plt. (pelaksana tugas)"), default=False)
    note = models.CharField(_("catatan"), max_length=300, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("penugasan peran")
        verbose_name_plural = _("penugasan peran")
        ordering = ["agency", "role"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"
