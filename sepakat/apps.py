from django.apps import AppConfig


class SepakatConfig(AppConfig):
    """The project package as an app, only to connect the login receivers of sepakat.security."""

    name = "sepakat"
    verbose_name = "Sepakat"

    def ready(self):
        from . import security

        security.connect()
