"""Static files storage for production: hashed, compressed, tolerant of viewflow's dangling font URL."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage, leaving a reference to a file that does not exist unhashed.

    viewflow's bundled `roboto-fontface.css` names `Roboto-Thin.woff2`, which it does not
    ship; the strict storage aborts collectstatic on it, and then every page answers 500.
    """

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if content is not None:
                raise
            return name
