from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig


class SepakatConfig(AppConfig):
    """The project package as an app: connects the login receivers of sepakat.security, the
    SQLite file-mode receiver of sepakat.files and the rolled-back files' removal of sepakat.media."""

    name = "sepakat"
    verbose_name = "Sepakat"

    def ready(self):
        from django.core import checks

        from . import base_url, environment, files, media, security

        security.connect()
        files.connect()
        media.connect()
        checks.register(base_url.check_base_url)
        checks.register(environment.check_production_env)


class StaticFilesConfig(DjangoStaticFilesConfig):
    """Django's staticfiles, leaving out what viewflow ships and no Sepakat page loads.

    viewflow's static folder holds Plotly Dash (its dashboard contrib, not installed here), copies of
    its libraries under node_modules/ and source maps: some 80 MB that WhiteNoise compressed twice
    (gzip and Brotli) at every collectstatic, 139 s on this machine. Nothing references them; a
    source map a JS file names is left unhashed by sepakat.storage.StaticStorage.
    """

    ignore_patterns = [*DjangoStaticFilesConfig.ignore_patterns, "viewflow/js/contrib/dash/*", "*/node_modules/*",
                       "*.map"]
