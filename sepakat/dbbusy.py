"""SQLite busy: a clear "server busy" page (HTTP 503, Retry-After) instead of a 500 "database is locked".

The embedded default keeps its data in one SQLite file, which takes one writer at a time: a request that
wants to write waits for the one writing (transaction_mode IMMEDIATE, up to the busy timeout of
settings.DATABASES, sepakat/settings.py), then SQLite gives up with "database is locked". With more
concurrent users than the embedded default serves (README, "Berapa pengguna sekaligus"), that happens.

Here it becomes an answer the official can act on: the page says, in their language, that the server is
busy and to try again shortly; the status is 503 with Retry-After; the request id is shown as on the 500
page; one WARNING line is logged (logger sepakat.dbbusy, with method, path and the database's message),
not a traceback. Nothing is half-written: the error ends the transaction it was raised in with a rollback
(every service is one transaction: a decision and its audit event are written together or not at all).

Three ways in, all for the sqlite backend's OperationalError only:
- ``process_exception``: the view raised it (a decision, a claim): the busy page is the view's answer;
- the ``got_request_exception`` signal: raised in a middleware below this one, which Django has already
  turned into a 500 (logged by django.request); this middleware's ``__call__`` swaps it for the busy page;
- the session, saved after every page view (SESSION_SAVE_EVERY_REQUEST): Django's session store would turn
  the lock into SessionInterrupted, a 400 "the session was deleted" that is logged nowhere (django.request
  logs errors only). This middleware, just below SessionMiddleware, saves the session itself, once, when
  SessionMiddleware would. If it cannot, a page view whose session only needed its expiry refreshed is
  served all the same (a warning is logged; the next request refreshes it); a changed session is the busy
  page, saying that the step itself was saved.
Placed right after SessionMiddleware: the security headers and the request id apply to the busy page.
"""

import logging
import sqlite3
import sys

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.core.signals import got_request_exception
from django.db import OperationalError
from django.http import HttpResponse
from django.template import engines
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .logs import current

logger = logging.getLogger(__name__)

# What SQLite says when it gives up waiting for the lock (SQLITE_BUSY), or refuses to wait (a deadlock risk).
BUSY_MESSAGES = ("database is locked", "database is busy")
RETRY_AFTER_SECONDS = 10
TITLE = _("Server sedang sibuk")
MESSAGE = _("Server sedang sibuk melayani banyak pengguna. Silakan coba lagi sebentar lagi.")
NOT_SAVED = _("Permintaan Anda tidak disimpan: tidak ada data yang berubah. Ulangi langkah Anda dalam beberapa "
              "detik.")
DONE = _("Langkah Anda sudah tersimpan. Muat ulang halaman dalam beberapa detik untuk melanjutkan.")
QUOTE = _("Jika pesan ini sering muncul, sampaikan kepada administrator Sepakat di instansi Anda beserta kode "
          "permintaan ini:")
HOME = _("Kembali ke halaman utama")

# As templates/500.html: standalone (no base template, no static files, no URL lookups, no database).
PAGE = """<!doctype html>
<html lang="{{ language }}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ title }} · Sepakat</title>
  <style>
    body { font-family: system-ui, sans-serif; color: #1f2937; max-width: 40rem; margin: 4rem auto;
           padding: 0 1rem; line-height: 1.5; }
    h1 { font-size: 1.5rem; }
    code { font-size: 1.05rem; background: #f3f4f6; padding: 0.1rem 0.4rem; border-radius: 0.25rem;
           user-select: all; }
  </style>
</head>
<body>
  <main role="alert">
    <h1>{{ title }}</h1>
    <p>{{ message }}</p>
    <p>{{ not_saved }}</p>
    {% if request_id %}<p>{{ quote }}</p>
    <p><code>{{ request_id }}</code></p>{% endif %}
    <p><a href="/">{{ home }}</a></p>
  </main>
</body>
</html>
"""

_ATTRIBUTE = "_sepakat_database_busy"


def _saved(must_create=False) -> None:
    """A session's save once DatabaseBusyMiddleware has saved it."""


def is_busy(error: BaseException | None) -> bool:
    """SQLite's "database is locked" (or "is busy"), as Django's OperationalError wraps it."""
    return (isinstance(error, OperationalError) and isinstance(error.__cause__, sqlite3.OperationalError)
            and str(error).strip().lower() in BUSY_MESSAGES)


def busy_response(request, error: BaseException, done: bool = False) -> HttpResponse:
    """The busy page; `done`: what the request changed was written, only its session could not be."""
    request_id = getattr(request, "request_id", "") or current().request_id
    # status, method and path in the JSON line, as django.request's records have them (sepakat.logs).
    logger.warning("database busy: %s %s answered 503 (%s)", request.method, request.path, error,
                   extra={"status_code": 503, "request": request})
    language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
    with translation.override(language):
        body = engines["django"].from_string(PAGE).render({
            "language": language, "title": TITLE, "message": MESSAGE, "not_saved": DONE if done else NOT_SAVED,
            "quote": QUOTE, "home": HOME, "request_id": request_id,
        })
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Logged just above, as a warning: django.request would add an ERROR line ("Service Unavailable").
    response._has_been_logged = True
    return response


def busy_cause(error: BaseException | None) -> BaseException | None:
    """The busy error itself, or the one that caused `error` (the session store turns it into UpdateError)."""
    seen = 0
    while error is not None and seen < 5:
        if is_busy(error):
            return error
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


def _remember(sender, request=None, **kwargs) -> None:
    """got_request_exception: sent while Django handles the exception, so sys.exc_info() holds it."""
    error = busy_cause(sys.exc_info()[1])
    if request is not None and error is not None:
        setattr(request, _ATTRIBUTE, error)


got_request_exception.connect(_remember, dispatch_uid="sepakat.dbbusy")


class DatabaseBusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        error = getattr(request, _ATTRIBUTE, None)
        if error is not None and response.status_code == 500:
            return busy_response(request, error)
        return self.session_saved(request, response)

    @staticmethod
    def session_saved(request, response):
        """Save the session here, once, when SessionMiddleware (just above) would: a lock is then the busy
        page, where Django's session store would make it SessionInterrupted (a 400, "the session was
        deleted", logged nowhere). Its own save is then left nothing to do; any other failure is left to it."""
        session = getattr(request, "session", None)
        if (session is None or response.status_code >= 500 or session.is_empty()
                or not (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)):
            return response
        try:
            session.save()
        except UpdateError as error:
            busy = busy_cause(error)
            if busy is None:
                return response  # deleted meanwhile (a logout): SessionMiddleware says so, as always
            if session.modified:
                # What the view did is done (its transaction committed); the session's change is lost.
                return busy_response(request, busy, done=True)  # a 5xx: SessionMiddleware saves nothing
            # Only the sliding expiry's refresh is lost: the page is served, the next request refreshes it.
            logger.warning("database busy: %s %s served without refreshing the session's expiry (%s)",
                           request.method, request.path, busy, extra={"request": request})
        session.save = _saved
        return response

    def process_exception(self, request, exception):
        if is_busy(exception):
            return busy_response(request, exception)
        return None
