"""Health checks, for load balancers and operators: ``GET /sehat/`` and ``manage.py health``.

Each check is a function returning a ``Result``; ``run`` runs the chosen ones at once, each in its
own thread, and waits at most ``SEPAKAT_HEALTH["TIMEOUT"]`` seconds for all of them: a check still
running then (a database that does not answer, a hung network mount) is a failed check, and the
probe answers anyway. A check that raises is a failed check naming the exception's class. While a
check of one name is stuck (running for longer than the timeout), the next probes fail it at once
instead of starting another thread: at most one stuck thread per check and process.

A result has two texts: ``detail``, short and safe for anyone (no path, no address, no secret),
and ``private``, the reason in full, for operators (staff users, ``manage.py health``, the log).

The worker check reads the heartbeat row that ``sepakat.tasks.heartbeat`` writes (Celery beat
sends it every minute). Chosen over ``app.control.ping``: a fresh row proves that beat sends, that
a worker takes tasks from the broker and that it reaches the database, which a ping (workers
answering a broadcast) does not prove for beat; and reading one row costs a load balancer's probe
nothing, where a ping waits for replies on every probe. In the database, not in Django's cache,
which may be local memory in each process.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

OK = _("ok")
NOT_USED = _("tidak dipakai (Celery berjalan di dalam proses)")
FAILED = _("gagal: %(error)s")
MEMORY_BROKER = _("broker memory:// padahal tugas tidak dijalankan di dalam proses: atur CELERY_BROKER_URL")
TIMED_OUT = _("tidak menjawab dalam %(seconds)s detik")
STILL_RUNNING = _("pemeriksaan sebelumnya belum selesai (%(seconds)s detik)")
NO_HEARTBEAT = _("belum ada detak pekerja: jalankan celery beat dan celery worker")
HEARTBEAT_AGE = _("detak pekerja terakhir %(seconds)s detik lalu")
HEARTBEAT_STALE = _("detak pekerja terakhir %(seconds)s detik lalu (batas %(limit)s detik)")
MEDIA_UNREADABLE = _("berkas uji tidak terbaca kembali")
SIGNING_UNAVAILABLE = _("penandatanganan tidak tersedia")

DEFAULTS = {
    "TIMEOUT": 3.0,  # seconds, for all checks of a probe together (they run at once)
    "HEARTBEAT_MAX_AGE": 300,  # seconds: five missed heartbeats
    "SIGNING_CACHE_SECONDS": 30,  # a failed load of the authority unlocks its keys (PBKDF2): not on every probe
}
MEDIA_PROBE = b"sehat\n"


def option(name: str):
    return {**DEFAULTS, **getattr(settings, "SEPAKAT_HEALTH", {})}[name]


@dataclass(frozen=True)
class Result:
    ok: bool
    detail: str  # for anyone
    private: str = ""  # for operators; the detail when empty
    ms: float = 0.0  # how long the check took (set by run)

    def as_json(self, *, private: bool) -> dict:
        detail = (self.private or self.detail) if private else self.detail
        return {"ok": self.ok, "detail": str(detail), "ms": self.ms}


def database() -> Result:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Result(True, OK, private=connections["default"].vendor)


def _celery():
    from sepakat.celery import app

    return app


def _celery_in_process() -> bool:
    """Tasks run eagerly, in the process that queues them (the embedded default): no broker, no worker."""
    return bool(_celery().conf.task_always_eager)


def broker() -> Result:
    if _celery_in_process():
        return Result(True, NOT_USED)
    url = str(_celery().conf.broker_url or "")
    if url.startswith("memory://"):  # production without CELERY_BROKER_URL: queued tasks are never run
        return Result(False, MEMORY_BROKER)
    timeout = float(option("TIMEOUT"))
    with _celery().connection_for_write(connect_timeout=timeout) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        return Result(True, OK, private=connection.as_uri())  # the password masked


def worker() -> Result:
    if _celery_in_process():
        return Result(True, NOT_USED)
    from sepakat.models import Heartbeat
    from sepakat.tasks import WORKER_HEARTBEAT

    beat = Heartbeat.objects.filter(name=WORKER_HEARTBEAT).first()
    if beat is None:
        return Result(False, NO_HEARTBEAT)
    age = max(0, int((timezone.now() - beat.at).total_seconds()))
    limit = int(option("HEARTBEAT_MAX_AGE"))
    if age > limit:
        return Result(False, HEARTBEAT_STALE % {"seconds": age, "limit": limit})
    detail = HEARTBEAT_AGE % {"seconds": age}
    return Result(True, detail, private=f"{detail} ({beat.worker})" if beat.worker else "")


def media() -> Result:
    """Write, read back and delete a small file where stored PDFs and attachments go."""
    name = default_storage.save(f"sehat-{uuid.uuid4().hex}.tmp", ContentFile(MEDIA_PROBE))
    try:
        with default_storage.open(name) as stored:
            if stored.read() != MEDIA_PROBE:
                return Result(False, MEDIA_UNREADABLE)
    finally:
        default_storage.delete(name)
    return Result(True, OK)


_signing_loaded: dict[tuple[str, str], tuple[float, Result]] = {}


def signing() -> Result:
    """Whether an official could sign now: the answer signing gives (agreements.signatures.signing_backend).

    The authority folder's files are looked at on every probe (a folder lost under a running process,
    which keeps the authority it loaded); loading the authority is the process's own cached load,
    and its result is kept for SIGNING_CACHE_SECONDS, so that a folder locked with another secret
    does not unlock keys (PBKDF2) on every probe."""
    from agreements import pki, signatures
    from agreements.signing import AuthorityError
    from agreements.signing.authority import AUTHORITY_FILES, MSG_INCOMPLETE, MSG_MISSING

    directory = Path(settings.SIGNING["AUTHORITY_DIR"])
    missing = [name for name in AUTHORITY_FILES if not (directory / name).is_file()]
    if missing:
        why = MSG_MISSING.format(directory=directory) if len(missing) == len(AUTHORITY_FILES) \
            else MSG_INCOMPLETE.format(directory=directory, missing=", ".join(missing))
        return Result(False, SIGNING_UNAVAILABLE, private=why)
    key = (str(directory), str(settings.SIGNING["BACKEND"]))
    kept = _signing_loaded.get(key)
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]
    try:
        signatures.signing_backend()
        pki.authority()  # the seal, CRL and OCSP responder come from it whichever backend signs
        result = Result(True, OK)
    except (signatures.SigningRefused, AuthorityError) as refusal:
        result = Result(False, SIGNING_UNAVAILABLE, private=str(refusal))
    _signing_loaded[key] = (time.monotonic() + float(option("SIGNING_CACHE_SECONDS")), result)
    return result


def forget() -> None:
    """Drop what the signing check keeps (tests; after the operator fixed the folder, waiting is enough)."""
    _signing_loaded.clear()


CHECKS: dict[str, Callable[[], Result]] = {
    "database": database,
    "broker": broker,
    "worker": worker,
    "media": media,
    "signing": signing,
}

# Probes running each check: {name: {token: when it started (monotonic)}}.
_running: dict[str, dict[object, float]] = {}
_running_lock = threading.Lock()


def failure(error: BaseException) -> Result:
    name = type(error).__name__
    return Result(False, FAILED % {"error": name}, private=f"{name}: {error}")


def _shared_connections() -> list:
    """As Django's LiveServerThread does: an in-memory SQLite database (the tests') is only seen through
    its one connection, so the check threads share it; any other database gets a connection per thread."""
    shared = [connection for connection in connections.all(initialized_only=True)
              if connection.vendor == "sqlite" and connection.is_in_memory_db()]
    for connection in shared:
        connection.inc_thread_sharing()
    return shared


def _run_one(name: str, token: object, language: str | None, box: dict, shared: list) -> None:
    for connection in shared:
        connections[connection.alias] = connection
    started = time.monotonic()
    try:
        with translation.override(language):
            result = CHECKS[name]()
    except Exception as error:  # a check that raises is a failed check
        result = failure(error)
    finally:
        try:
            if shared:
                for connection in shared:
                    connection.dec_thread_sharing()
            else:
                connections.close_all()  # this thread's own connections; the next probe opens new ones
        except Exception:  # closing a broken connection: the result already says what is wrong
            logger.debug("health check %s: closing its connections failed", name, exc_info=True)
        with _running_lock:
            _running.get(name, {}).pop(token, None)
    box["result"] = replace(result, ms=round((time.monotonic() - started) * 1000, 1))


def _start(name: str, timeout: float, box: dict) -> Result | None:
    """Start checking ``name`` in a thread; a failed Result instead when an earlier probe's is stuck."""
    now = time.monotonic()
    token = object()
    with _running_lock:
        running = _running.setdefault(name, {})
        stuck = [started for started in running.values() if now - started > timeout]
        if stuck:
            return Result(False, STILL_RUNNING % {"seconds": int(now - min(stuck))})
        running[token] = now
    shared = _shared_connections()
    thread = threading.Thread(target=_run_one, args=(name, token, translation.get_language(), box, shared),
                              name=f"sehat-{name}", daemon=True)
    try:
        thread.start()
    except Exception as error:  # no thread to be had (a process at its limit)
        with _running_lock:
            _running[name].pop(token, None)
        for connection in shared:
            connection.dec_thread_sharing()
        return failure(error)
    box["thread"] = thread
    return None


def run(names: Iterable[str] | None = None, *, timeout: float | None = None) -> dict[str, Result]:
    """The results of the checks ``names`` (all by default), in that order, within ``timeout`` seconds."""
    names = list(CHECKS) if names is None else list(names)
    timeout = float(option("TIMEOUT") if timeout is None else timeout)
    started = time.monotonic()
    boxes: dict[str, dict] = {}
    results: dict[str, Result] = {}
    for name in names:
        boxes[name] = {}
        refused = _start(name, timeout, boxes[name])
        if refused is not None:
            results[name] = refused
    for name, box in boxes.items():
        if name in results:
            continue
        box["thread"].join(max(0.0, started + timeout - time.monotonic()))
        results[name] = box.get("result") or Result(
            False, TIMED_OUT % {"seconds": f"{timeout:g}"}, ms=round((time.monotonic() - started) * 1000, 1))
    return {name: results[name] for name in names}


def report(results: dict[str, Result], *, private: bool = False) -> dict:
    """The JSON the endpoint answers: {"status": "ok"|"fail", "checks": {name: {"ok", "detail", "ms"}}}."""
    return {
        "status": "ok" if all(result.ok for result in results.values()) else "fail",
        "checks": {name: result.as_json(private=private) for name, result in results.items()},
    }
