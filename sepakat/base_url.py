"""Production refuses to serve, sign or migrate without its public https address.

The address is printed in the QR code of every signed PDF, so a wrong one cannot be
recalled. It is checked where documents can be made (the WSGI/ASGI application, the Celery
worker) and by a system check (runserver, migrate, check), not when settings load, so that
build steps such as collectstatic run without the runtime environment.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

BASE_URL_REQUIRED = (
    "SEPAKAT_BASE_URL must be the public https address of this Sepakat, e.g. "
    "SEPAKAT_BASE_URL=https://sepakat.example.go.id (got {got!r}): it is printed in the "
    "QR code of every signed PDF, where anyone verifies the document."
)


def base_url_problem() -> str | None:
    if not settings.PRODUCTION:
        return None
    parts = urlsplit(settings.SEPAKAT_BASE_URL)
    if parts.scheme == "https" and parts.hostname:
        return None
    return BASE_URL_REQUIRED.format(got=settings.SEPAKAT_BASE_URL)


def require_base_url() -> None:
    problem = base_url_problem()
    if problem:
        raise ImproperlyConfigured(problem)


def check_base_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    problem = base_url_problem()
    return [checks.Error(problem, id="sepakat.E001")] if problem else []
