from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Pemberitahuan")

    def ready(self):
        from . import receivers

        receivers.connect()
