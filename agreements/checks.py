"""System checks of the signing authority's configuration (``manage.py check --deploy``)."""

from pathlib import Path

from django.conf import settings
from django.core import checks

from .signing.backends.local import authority_secret

NO_SECRET = (
    "Rahasia operator otoritas penandatanganan tidak diatur: set SEPAKAT_AUTHORITY_SECRET atau "
    "SEPAKAT_AUTHORITY_SECRET_FILE (berkas yang dapat dibaca), atau tidak ada yang dapat ditandatangani."
)
SECRET_BESIDE_KEYS = (
    "Berkas rahasia operator ({path}) berada di dalam folder otoritas: siapa pun yang menyalin folder itu "
    "(sebuah cadangan) membawa kunci dan pembukanya sekaligus. Simpan di tempat lain."
)


@checks.register(checks.Tags.security, deploy=True)
def check_authority_secret(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    signing = settings.SIGNING
    if not signing.get("BACKEND", "").endswith("LocalKeyBackend"):
        return []
    problems = []
    if not authority_secret(signing):
        problems.append(checks.Warning(NO_SECRET, id="sepakat.W010"))
    path = signing.get("AUTHORITY_SECRET_FILE")
    if path and Path(path).resolve().is_relative_to(Path(signing["AUTHORITY_DIR"]).resolve()):
        problems.append(checks.Warning(SECRET_BESIDE_KEYS.format(path=path), id="sepakat.W011"))
    return problems
