from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Dokumen Kesepakatan")

    def ready(self):
        from . import checkpoints, checks  # noqa: F401 - checks registers the signing authority's deploy checks

        checkpoints.register()
