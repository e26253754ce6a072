"""Production refuses to start without its secrets and addresses, naming every one that is missing.

Under DJANGO_ENV=production none of them has a default that would do: no secret key, no host names,
no database (the embedded SQLite under var/ would quietly become a second database), no broker
(memory:// keeps every queued rendering inside the web process, where no worker ever sees it: the
signing page would say "sedang disiapkan" for ever), no public address for the QR codes, no
operator's secret for the signing authority's keys.

Like sepakat/base_url.py (which also refuses a base URL that is not https), this is checked where the
processes start, not when settings load: the WSGI application, the Celery worker and beat
(sepakat/celery.py), gunicorn's master (gunicorn.conf.py) and a system check, so that runserver,
migrate, check and every command that runs the checks refuse too. Build steps that run only their own
checks, such as collectstatic, need nothing but a (throwaway) SECRET_KEY.
"""

import os

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MISSING = "Sepakat cannot start with DJANGO_ENV=production: missing {names}."
MISSING_HINT = "Set them in the environment or in .env (docs/operations.md, compose.yaml)."

SECRET_KEY = "SECRET_KEY"
ALLOWED_HOSTS = "ALLOWED_HOSTS"
DATABASE_URL = "DATABASE_URL"
CELERY_BROKER_URL = "CELERY_BROKER_URL"
SEPAKAT_BASE_URL = "SEPAKAT_BASE_URL"
AUTHORITY_SECRET = "SEPAKAT_AUTHORITY_SECRET"

# What each variable is for, printed under the list of missing ones.
MEANING = {
    SECRET_KEY: "a long random string (sessions, CSRF tokens, password resets)",
    ALLOWED_HOSTS: "the host names this server answers to, comma-separated, e.g. sepakat.example.go.id",
    DATABASE_URL: "the PostgreSQL database, e.g. postgres://sepakat@db:5432/sepakat",
    CELERY_BROKER_URL: "the Redis broker the worker reads, e.g. redis://redis:6379/0 "
                       "(not memory://: a rendering queued there never reaches the worker)",
    SEPAKAT_BASE_URL: "the public https address printed in every signed PDF's QR code, "
                      "e.g. https://sepakat.example.go.id",
    AUTHORITY_SECRET: "the operator's secret that unlocks the signing authority's keys: "
                      "SEPAKAT_AUTHORITY_SECRET, or SEPAKAT_AUTHORITY_SECRET_FILE naming a readable file "
                      "that holds it",
}

# Which process needs which. The web application and the worker both render and sign; beat only
# queues the scheduled tasks. collectstatic (a build step) needs none of these checks.
WEB = (SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL, SEPAKAT_BASE_URL, AUTHORITY_SECRET)
WORKER = WEB
BEAT = (CELERY_BROKER_URL,)


def _secret_key_missing() -> bool:
    try:
        return not settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty one
        return True


def _database_missing() -> bool:
    # Without it the settings fall back to the embedded SQLite file; settings have already read .env.
    return not os.environ.get(DATABASE_URL, "").strip()


def _broker_missing() -> bool:
    broker = str(settings.CELERY_BROKER_URL or "")
    return not broker or broker.startswith("memory://")


def _authority_secret_missing() -> bool:
    signing = settings.SIGNING
    if not str(signing.get("BACKEND", "")).endswith("LocalKeyBackend"):
        return False
    from agreements.signing.backends.local import authority_secret  # pyHanko: only when asked

    return not authority_secret(signing)


IS_MISSING = {
    SECRET_KEY: _secret_key_missing,
    ALLOWED_HOSTS: lambda: not settings.ALLOWED_HOSTS,
    DATABASE_URL: _database_missing,
    CELERY_BROKER_URL: _broker_missing,
    SEPAKAT_BASE_URL: lambda: not settings.SEPAKAT_BASE_URL,
    AUTHORITY_SECRET: _authority_secret_missing,
}


def missing_production_env(needed: tuple[str, ...] = WEB) -> list[str]:
    """The variables among ``needed`` that production lacks, in order; [] outside production."""
    if not settings.PRODUCTION:  # loads the settings, and with them .env, first
        return []
    return [name for name in needed if IS_MISSING[name]()]


def missing_message(missing: list[str]) -> str:
    lines = [MISSING.format(names=", ".join(missing))]
    lines += [f"  {name}: {MEANING[name]}" for name in missing]
    lines.append(MISSING_HINT)
    return "\n".join(lines)


def require_production_env(needed: tuple[str, ...] = WEB) -> None:
    """Raise ImproperlyConfigured naming every missing variable at once."""
    missing = missing_production_env(needed)
    if missing:
        raise ImproperlyConfigured(missing_message(missing))


LOCAL_CACHE = ("a cache local to each process (CACHE_URL unset): with more than one web or worker process, rate "
               "limits, the CRL cache and the archive renewal's lock are per process. Set CACHE_URL=redis://…")


NO_MAIL_SERVER = ("no mail server (EMAIL_URL unset): notices by e-mail go to an SMTP server on localhost:25, which a "
                  "container rarely has; they will be retried and then given up. Set EMAIL_URL=smtp+tls://user:pass@host:587")


def check_production_env(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Registered by sepakat.apps: runserver, migrate, check and every command that runs the checks refuse."""
    missing = missing_production_env(WEB)
    found = [checks.Error(missing_message(missing), id="sepakat.E002")] if missing else []
    if settings.PRODUCTION and settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        found.append(checks.Warning(LOCAL_CACHE, id="sepakat.W020"))
    smtp = settings.EMAIL_BACKEND.endswith("smtp.EmailBackend")
    if settings.PRODUCTION and smtp and settings.EMAIL_HOST in ("localhost", "127.0.0.1", ""):
        found.append(checks.Warning(NO_MAIL_SERVER, id="sepakat.W021"))
    return found
