from django.apps import AppConfig


class SepakatConfig(AppConfig):
    """The project package as an app: connects the login receivers of sepakat.security and the
    SQLite file-mode receiver of sepakat.files."""

    name = "sepakat"
    verbose_name = "Sepakat"

    def ready(self):
        from . import files, security

        security.connect()
        files.connect()
