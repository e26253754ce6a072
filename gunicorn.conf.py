"""gunicorn's settings for Sepakat: ``gunicorn -c gunicorn.conf.py sepakat.wsgi`` (Procfile, ``make web``, the image).

From the environment:
- ``SEPAKAT_BIND`` (host:port), else ``PORT`` (on every interface, as platforms that set it expect), else
  127.0.0.1:8000; the image sets SEPAKAT_BIND=0.0.0.0:8000.
- ``WEB_CONCURRENCY``: worker processes; default 2 x CPUs + 1, at most 8 (each holds a full Django and
  pyHanko, some 150 MB).
- ``LOG_LEVEL``: gunicorn's own lines (default info), as for our apps' loggers.
- ``FORWARDED_ALLOW_IPS`` (read by gunicorn itself): the proxies trusted for X-Forwarded-*.

Everything goes to stderr, one JSON line a record, as the application's own logs (sepakat.logs):
gunicorn's messages with time, level, logger, message; one access line per request with method, path,
status, bytes, duration and the response's X-Request-ID (sepakat.middleware.RequestIdMiddleware), so a
line of the access log leads to the application's lines for that request.

The master refuses to start when production lacks a variable (sepakat/environment.py), with the one
message naming each, before any worker boots; a worker importing sepakat.wsgi refuses the same way.
"""

import json
import os
import sys
from datetime import UTC, datetime

from gunicorn.glogging import Logger, SafeAtoms

MAX_DEFAULT_WORKERS = 8


def _bind() -> str:
    if os.environ.get("SEPAKAT_BIND"):
        return os.environ["SEPAKAT_BIND"]
    if os.environ.get("PORT"):
        return f"0.0.0.0:{os.environ['PORT']}"
    return "127.0.0.1:8000"


def _workers() -> int:
    if os.environ.get("WEB_CONCURRENCY"):
        return int(os.environ["WEB_CONCURRENCY"])
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(2 * cpus + 1, MAX_DEFAULT_WORKERS)


wsgi_app = "sepakat.wsgi:application"
bind = _bind()
workers = _workers()
timeout = 60  # a signature (passphrase unlock, timestamp, verification) takes a few seconds at most
graceful_timeout = 30
keepalive = 5  # behind a proxy that keeps connections open
proc_name = "sepakat-web"
# gunicorn's heartbeat files in memory, not on a container's overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's advice
# No control socket ($HOME/.gunicorn/gunicorn.ctl by default): two servers on one machine would share it.
control_socket_disable = True
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# One JSON object per request. Values are escaped for JSON by JsonLogger; %(B)s is null when nothing was sent.
access_log_format = (
    '{"time": "%(time)s", "level": "INFO", "logger": "gunicorn.access", "message": "%(m)s %(U)s %(s)s", '
    '"method": "%(m)s", "path": "%(U)s", "query": "%(q)s", "status": %(s)s, "bytes": %(B)s, '
    '"duration_ms": %(M)s, "request_id": "%({x-request-id}o)s", "remote": "%(h)s", '
    '"forwarded_for": "%({x-forwarded-for}i)s", "referer": "%(f)s", "user_agent": "%(a)s"}'
)


class JsonAtoms(SafeAtoms):
    """gunicorn's atoms made safe inside a JSON document: strings escaped (quotes, backslashes, control
    characters), None as null. A missing header is "-", as in gunicorn's own format."""

    def __init__(self, atoms):
        dict.__init__(self)
        for key, value in atoms.items():
            if isinstance(value, str):
                self[key] = json.dumps(value, ensure_ascii=False)[1:-1]
            else:
                self[key] = "null" if value is None else value


class JsonLogger(Logger):
    atoms_wrapper_class = JsonAtoms

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["time"] = datetime.now(UTC).isoformat(timespec="milliseconds")  # as sepakat.logs writes it
        return atoms


logger_class = JsonLogger
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    # No handler on the root logger: Django's LOGGING writes our apps' lines, once.
    "root": {"level": "WARNING", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["gunicorn_stderr"], "propagate": False,
                           "qualname": "gunicorn.error"},
        "gunicorn.access": {"level": "INFO", "handlers": ["access_stderr"], "propagate": False,
                            "qualname": "gunicorn.access"},
    },
    "handlers": {
        "gunicorn_stderr": {"class": "logging.StreamHandler", "formatter": "json_lines", "stream": "ext://sys.stderr"},
        "access_stderr": {"class": "logging.StreamHandler", "formatter": "as_is", "stream": "ext://sys.stderr"},
    },
    "formatters": {
        "json_lines": {"()": "sepakat.logs.JsonLinesFormatter"},
        "as_is": {"format": "%(message)s"},
    },
}


def on_starting(server):
    """Refuse in the master, once, before any worker boots: the missing variables, then a wrong base URL."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sepakat.settings")
    from django.core.exceptions import ImproperlyConfigured

    from sepakat.base_url import require_base_url
    from sepakat.environment import WEB, require_production_env

    try:
        require_production_env(WEB)
        require_base_url()
    except ImproperlyConfigured as refusal:
        sys.stderr.write(f"{refusal}\n")
        sys.exit(1)
