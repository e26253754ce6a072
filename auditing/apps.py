from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditingConfig(AppConfig):
    """The auditor's floor: timelines, exports, bundles and analytics over every app."""

    name = "auditing"
    verbose_name = _("Pemeriksaan Audit")
