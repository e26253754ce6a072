"""Sepakat settings, read from the environment (django-environ).

The embedded default needs no environment at all: SQLite under var/, debug on,
a development secret key. Production sets DJANGO_ENV=production, DATABASE_URL,
SECRET_KEY, ALLOWED_HOSTS, SEPAKAT_BASE_URL (https), CELERY_BROKER_URL (not memory://)
and SEPAKAT_AUTHORITY_SECRET (or _FILE): the server, the worker and the system checks
refuse to start without them, naming each one missing (sepakat/environment.py), while
build steps such as collectstatic need only a SECRET_KEY.
"""

import json
import urllib.parse
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from sepakat.files import private_directory

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
# The embedded default keeps its database, PKI keys and PDFs here: the server's user only
# (docs/operations.md, "Berkas dan izin"). sepakat.files makes the SQLite file 0600.
private_directory(VAR_DIR)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCTION = env.str("DJANGO_ENV", default="development") == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="" if PRODUCTION else "dev-only-insecure-key-change-me-in-production-0123456789",
)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "sepakat.apps.StaticFilesConfig",  # django.contrib.staticfiles, without viewflow's unused bulk
    "django.contrib.humanize",
    "django_filters",
    "guardian",
    "viewflow",
    "viewflow.workflow",
    # Ours, from the ground floor up: each imports only the ones above it in this list.
    "audit",
    "agreements",
    "permissions",
    "workflows",
    "notices",
    "auditing",
    "demo",
    "axes",
    "sepakat.apps.SepakatConfig",
]

MIDDLEWARE = [
    # First: names the request (X-Request-ID, request_id in every log line), redirects and 500s included.
    "sepakat.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "sepakat.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sepakat.dbbusy.DatabaseBusyMiddleware",  # SQLite busy past its timeout: the 503 page (saves the session)
    "sepakat.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The request's user gets a memo: scope, acting basis and object permissions asked once per request.
    "permissions.memo.RequestMemoMiddleware",
    # Wraps everything below: counts refusals (403, 404 on an object) as the visitor gets them.
    "sepakat.refusals.RefusalMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    "workflows.middleware.ProcessScopeMiddleware",
    # Last, as django-axes requires: turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sepakat.urls"
WSGI_APPLICATION = "sepakat.wsgi.application"
ASGI_APPLICATION = "sepakat.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Embedded default: SQLite with IMMEDIATE transactions, so that concurrent writers queue up (one at a time)
# instead of failing at once. A writer waits at most SQLITE_TIMEOUT seconds (default 5) for the one before it;
# past that the request answers the "server busy" page (sepakat.dbbusy: 503 with Retry-After, nothing written)
# instead of a 500 "database is locked". 20 s gave 21 s requests at 40 users (bench/load_sqlite.py, README).
# An empty DATABASE_URL (a blank line in .env) counts as unset, not as a KeyError: production then refuses
# to start, naming it among the missing variables (sepakat/environment.py).
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'sepakat.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": env.float("SQLITE_TIMEOUT", default=5.0)}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A kept connection is checked before a request reuses it: a PostgreSQL restart (or a failover) costs
    # one reconnect, not a 500 per stale connection.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# One cache for every process and machine in production (CACHE_URL=redis://…): login lockouts, rate limits,
# the CRL, the archive renewal's run lock. The default is per process: right for the embedded default only.
CACHES = {"default": env.cache_url_config(env.str("CACHE_URL", default="") or "locmemcache://")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, its two permission queries made one (permissions.backends).
    "permissions.backends.OneQueryModelBackend",
    # guardian's, with one permission checker per request (permissions.backends).
    "permissions.backends.RequestCachedObjectPermissionBackend",
]
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_viewflow"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"
# Stored PDFs and attachments: the server's user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    # A filesystem (a shared mount when several machines serve: docs/operations.md) that removes the files
    # of rolled-back changes (sepakat.media).
    # MEDIA_STORAGE_BACKEND and MEDIA_STORAGE_OPTIONS (JSON) name another (an S3-compatible store through
    # django-storages, installed by the operator); that one is not cleaned as it goes, check_storage does.
    "default": {"BACKEND": env.str("MEDIA_STORAGE_BACKEND", default="sepakat.media.MediaStorage"),
                "OPTIONS": json.loads(env.str("MEDIA_STORAGE_OPTIONS", default="") or "{}")},
    "staticfiles": {
        "BACKEND": (
            "sepakat.storage.StaticStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
        # Static files are public: readable by a proxy that serves STATIC_ROOT itself.
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}

# Development serves static files straight from the finders; production collects them.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Not compressed: TrueType, OpenType and EOT fonts are our PDF fonts (read from static/ by WeasyPrint,
# never by a browser) and viewflow's fallbacks for browsers without WOFF2; Brotli on them was most
# of collectstatic's time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    "jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf", "flv", "woff",
    "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4", "mpeg", "mpg", "webm", "wmv",  # WhiteNoise's own
    "ttf", "otf", "eot",
]

VIEWFLOW = {"AUTOREGISTER": False}

# Limits that forms and services enforce; error messages name them.
SEPAKAT = {
    "TITLE_MAX_LENGTH": 300,
    "ARTICLE_HEADING_MAX_LENGTH": 200,
    "ARTICLE_BODY_MAX_LENGTH": 10000,
    "NOTE_MAX_LENGTH": 2000,
    "MAX_ARTICLES": 40,
}

# Signing: which backend unlocks an official's signer (docs/adr/0007), the embedded default's
# local authority and the passphrase rules.
SIGNING = {
    # agreements.signing.backends.SigningBackend; read each time a signer is unlocked.
    "BACKEND": "agreements.signing.backends.local.LocalKeyBackend",
    "AUTHORITY_DIR": env.path("SIGNING_AUTHORITY_DIR", default=VAR_DIR / "pki"),
    # The operator's secret that unlocks the CA and TSA keys (encrypted at rest): the value, or a
    # file holding it (a mounted secret). Development: var/authority-secret, made by init_pki.
    # Production has no default; keep it apart from the authority folder and its backups.
    "AUTHORITY_SECRET": env.str("SEPAKAT_AUTHORITY_SECRET", default=""),
    "AUTHORITY_SECRET_FILE": env.str("SEPAKAT_AUTHORITY_SECRET_FILE",
                                     default="" if PRODUCTION else str(VAR_DIR / "authority-secret")),
    "AUTHORITY_KDF_ITERATIONS": 600_000,
    "PASSPHRASE_MIN_LENGTH": 10,
    "MAX_FAILED_ATTEMPTS": 5,
    "LOCK_MINUTES": 15,
    # PBKDF2-HMAC-SHA256 iterations of each signer's key (OWASP 2023 minimum: 600,000).
    # Read when a key is issued or unlocked; a key stored with fewer is re-encrypted at its
    # next successful unlock. sepakat/test_settings.py lowers it for speed.
    "KEY_KDF_ITERATIONS": 600_000,
    # Timestamps (RFC 3161 over HTTP). Empty: the local authority's TSA, in process (the same TSA
    # answers at this server's /tsa/). Production names a national or commercial TSA, and the
    # PEM file of the roots its certificates chain to (trusted for timestamps and verification).
    "TSA_URL": env.str("SEPAKAT_TSA_URL", default=""),
    "TSA_TRUST_ROOTS": env.str("SEPAKAT_TSA_TRUST_ROOTS", default=""),
    "TSA_USERNAME": env.str("SEPAKAT_TSA_USERNAME", default=""),
    "TSA_PASSWORD": env.str("SEPAKAT_TSA_PASSWORD", default=""),
    "TSA_TIMEOUT": env.int("SEPAKAT_TSA_TIMEOUT", default=10),
}
# Printed in every PDF's QR code: where anyone can verify the document. Production has no
# default: a signed PDF cannot be recalled, so a wrong address stops the server, the worker
# and every command that runs system checks (sepakat/base_url.py); build steps such as
# collectstatic, which print no PDF, do not need it.
SEPAKAT_BASE_URL = env.str("SEPAKAT_BASE_URL", default="" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")

# Celery: eager (in-process, on commit) by default; production sets a Redis broker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not PRODUCTION)
CELERY_TASK_EAGER_PROPAGATES = True
# Eager only: the document its signers sign and the notices' e-mails are done by `manage.py schedule`, not in the
# request that made them due (sepakat.queueing.by_scheduler). The tests do them on commit.
SEPAKAT_BACKGROUND_BY_SCHEDULER = env.bool("SEPAKAT_BACKGROUND_BY_SCHEDULER", default=True)
# Production runs `celery -A sepakat beat` beside the worker: the audit log is sealed every hour
# (agreements.tasks.audit_checkpoint; also at every stage close, and by manage.py audit_checkpoint).
CELERY_BEAT_SCHEDULE = {
    "audit-checkpoint-hourly": {"task": "agreements.tasks.audit_checkpoint", "schedule": 3600.0,
                                "args": ("jadwal",)},
    "archive-renew-daily": {"task": "workflows.tasks.archive_renew", "schedule": 86400.0},
    # Preparations lost (broker down when queued, worker died) or due again after a failure. In the embedded
    # default this sweep renders every document for its signers (SEPAKAT_BACKGROUND_BY_SCHEDULER): every 3 s.
    "preparations-sweep": {"task": "workflows.tasks.preparations_sweep",
                           "schedule": 3.0 if CELERY_TASK_ALWAYS_EAGER else 60.0},
    # Role assignments and delegations that start or end today take effect (also manage.py sync_roles).
    "sync-roles-daily": {"task": "permissions.tasks.sync_roles", "schedule": crontab(hour=0, minute=5)},
    # Stored files against the database: missing, changed and orphan files logged as errors (manage.py check_storage).
    "storage-check-daily": {"task": "agreements.tasks.check_storage", "schedule": crontab(hour=3, minute=15)},
    # A worker writes the time: the health endpoint's proof that beat and a worker are alive (sepakat.health).
    "worker-heartbeat": {"task": "sepakat.tasks.heartbeat", "schedule": 60.0, "options": {"expires": 50}},
    # Tenggat (workflows.deadlines): the day-before reminders, the daily overdue reminders and the escalations,
    # each once per task and day; and delegations that ended yesterday (their delegates are told).
    # Office hours only (07:30 to 16:30 WIB): what a night made due goes out at 07:30, not at 00:30.
    "deadlines-sweep": {"task": "workflows.tasks.deadlines_sweep", "schedule": crontab(minute=30, hour="7-16")},
    # Notices: deliveries that failed (or were never queued) sent again when due; the daily digests at 07:00 on
    # weekdays (a weekend's notices come on Monday's).
    # In the embedded default the sweep sends every notice (SEPAKAT_BACKGROUND_BY_SCHEDULER): every 3 s.
    "deliveries-sweep": {"task": "notices.tasks.deliveries_sweep",
                         "schedule": 3.0 if CELERY_TASK_ALWAYS_EAGER else 60.0, "options": {"expires": 50}},
    "digests-daily": {"task": "notices.tasks.digests_send",
                      "schedule": crontab(hour=7, minute=0, day_of_week="mon-fri")},
    # The auditors' analytics: the national report, each region's and those read lately, computed off the
    # request path into stored snapshots that the page reads (auditing.snapshots.REFRESH_MINUTES).
    "analytics-refresh": {"task": "auditing.tasks.analytics_refresh", "schedule": 900.0, "options": {"expires": 840}},
}
# A job is acknowledged when it is done, not when it is taken: a job whose whole worker dies comes back when the
# broker's visibility timeout ends (above the longest acks-late job: prepare_signing's 300 s limit). A job whose
# worker child dies is acknowledged as failed, not put back (a document that kills its renderer would kill
# every worker in turn): workflows.services' sweeper sends it again after 10 minutes, counted, at most 5 times.
# The long scheduled jobs (archive renewal, storage check, role sync) are acknowledged when taken.
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker that is down, or gone without a word, answers the sender within seconds (the request has committed
# and says so): kombu's Redis transport needs its own socket timeouts for the second case.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

# Notices by e-mail (Django's SMTP backend in production: EMAIL_URL, e.g. smtp+tls://user:pass@host:587) and
# WhatsApp (an HTTP gateway: notices.channels.whatsapp). The embedded default writes each e-mail as a file
# under var/mail/, which administrators read at /pemberitahuan/surel/, and has no WhatsApp gateway.
_email = environ.Env.email_url_config(env.str("EMAIL_URL", default="")
                                      or ("smtp://localhost:25" if PRODUCTION else "filemail://"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST, EMAIL_PORT = _email.get("EMAIL_HOST") or "localhost", _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_USER") or "", _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS, EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_TLS")), bool(_email.get("EMAIL_USE_SSL"))
# django-environ drops the leading "/" of filemail:///an/absolute/folder: read the folder from the URL itself.
_email_url = urllib.parse.urlsplit(env.str("EMAIL_URL", default=""))
_email_folder = _email_url.netloc + _email_url.path if _email.get("EMAIL_FILE_PATH") else ""
EMAIL_FILE_PATH = _email_folder or VAR_DIR / "mail"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Sepakat <sepakat@localhost>")
WHATSAPP_GATEWAY_URL = env.str("WHATSAPP_GATEWAY_URL", default="")
WHATSAPP_GATEWAY_TOKEN = env.str("WHATSAPP_GATEWAY_TOKEN", default="")
WHATSAPP_TIMEOUT = env.int("WHATSAPP_TIMEOUT", default=10)

# Everything on the console as JSON lines (sepakat.logs): our apps' loggers (logging.getLogger(__name__))
# and the request errors Django logs (a 500's traceback). django.request stops here: in development
# Django's own console handler would print it a second time.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json_lines": {"()": "sepakat.logs.JsonLinesFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json_lines"}},
    "loggers": {
        **{app: {"handlers": ["console"], "level": LOG_LEVEL}
           for app in ("sepakat", "agreements", "audit", "permissions", "workflows")},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # The worker's and beat's own lines (a task received, succeeded, failed), as JSON lines with the
        # task's id: sepakat.celery leaves logging to this configuration.
        "celery": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "weasyprint": {"handlers": ["console"], "level": "ERROR"},
        "fontTools": {"handlers": ["console"], "level": "ERROR"},
        "pypdf": {"handlers": ["console"], "level": "ERROR"},
        "pyhanko": {"handlers": ["console"], "level": "WARNING"},
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Logins (django-axes, sepakat.security): five failed logins lock the username
# for 15 minutes. By username, not IP: officials share their offices' NAT addresses.
# Sessions end after SESSION_COOKIE_AGE seconds of inactivity (sliding expiry).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 wants the IP among the lockout parameters: with a shared office NAT address,
# five typos by anyone in the office would lock the whole office out. Deliberately by username.
# guardian.W001 looks for guardian's backend by its path; ours is its subclass (permissions.backends, tested in
# tests/permissions/test_backends.py).
SILENCED_SYSTEM_CHECKS = ["axes.W006", "guardian.W001"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_ENABLE_ADMIN = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy and Permissions-Policy (sepakat.headers, docs/adr/0005), in every
# environment so that development shows a violation before production does.
# Scripts: our own static files only; no inline script, no eval. The two hashes are viewflow's
# "Back" buttons' onclick handlers (delete, bulk assign/unassign), allowed by hash only.
# Styles: viewflow's templates carry some 80 style attributes and its Turbo progress bar
# injects a <style>; viewflow is not ours to patch (AGPL exception), so inline styles stay allowed.
SEPAKAT_CSP = {
    "default-src": ["'self'"],
    "script-src": [
        "'self'",
        "'unsafe-hashes'",
        "'sha256-seD630z7277f97kwMcz927xhDjB8+HQCe4f0EztcsAU='",  # window.history.back(-1)
        "'sha256-GdAjV6tJJrCv5L8FkbHYzJwNrscSj7aTuYJzS/C7wZY='",  # ...;setTimeout(()=>Turbo.visit('.'), 100)
    ],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
if PRODUCTION and SECURE_SSL_REDIRECT:
    # Behind TLS only: on plain http (SECURE_SSL_REDIRECT=False, a local check) it would break every redirect.
    SEPAKAT_CSP["upgrade-insecure-requests"] = []
SEPAKAT_CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)
SEPAKAT_PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "midi", "payment", "publickey-credentials-get",
        "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
}
SEPAKAT_PERMISSIONS_POLICY["fullscreen"] = ["self"]

# Health (sepakat.health): GET /sehat/ for load balancers (no login; answered on plain http inside the
# network, not redirected to https) and GET /sehat/hidup/ for a container's liveness; manage.py health.
SECURE_REDIRECT_EXEMPT = [r"^sehat/"]
SEPAKAT_HEALTH = {
    "TIMEOUT": env.float("SEPAKAT_HEALTH_TIMEOUT", default=3.0),  # seconds, all checks of a probe at once
    "HEARTBEAT_MAX_AGE": 300,  # seconds since a worker last ran sepakat.tasks.heartbeat (beat: every 60 s)
    "SIGNING_CACHE_SECONDS": 30,
}

# Error reports (sepakat.reporting): only when SENTRY_DSN is set; sentry_sdk is not imported otherwise.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from sepakat.reporting import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=env.str("DJANGO_ENV", default="development"),
                release=env.str("SEPAKAT_RELEASE", default=""))
