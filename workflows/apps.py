from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Alur Kerja")

    def ready(self):
        # Flow permissions and nodes exist only once the flows are imported.
        from . import audit_receivers, flows  # noqa: F401

        audit_receivers.connect()
