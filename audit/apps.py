from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The ground floor: the append-only, hash-chained event log every app writes to."""

    name = "audit"
    verbose_name = _("Jejak Audit")
