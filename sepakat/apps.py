from django.apps import AppConfig


class SepakatConfig(AppConfig):
    """The project package as an app: connects the login receivers of sepakat.security and the
    SQLite file-mode receiver of sepakat.files."""

    name = "sepakat"
    verbose_name = "Sepakat"

    def ready(self):
        from django.core import checks

        from . import base_url, files, security

        security.connect()
        files.connect()
        checks.register(base_url.check_base_url)
