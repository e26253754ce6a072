"""Log records as JSON lines, one line per record, for a log collector.

Every line has time (ISO 8601, UTC), level, logger and message; a record about a request
(django.request) adds status, method and path; a record with an exception adds its traceback
as one string (newlines escaped, so the record stays on one line).

Every record logged while a request is served carries its ``request_id`` (the one the
response's ``X-Request-ID`` header shows, sepakat.middleware.RequestIdMiddleware) and, once
authentication has loaded the user, ``user_id``; a record logged while a Celery task runs
carries ``task_id`` and ``task`` (sepakat.celery). They come from one context variable, set
around the request or the task (``log_context``), so that a line from any logger says which
request or task it belongs to.
"""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.utils.functional import SimpleLazyObject, empty


@dataclass(frozen=True)
class LogContext:
    request_id: str = ""
    task_id: str = ""
    task: str = ""
    # The request being served: its user's id, once AuthenticationMiddleware's lazy user was loaded.
    request: object = None


NO_CONTEXT = LogContext()  # frozen: safe as the variable's default
_context: ContextVar[LogContext] = ContextVar("sepakat_log_context", default=NO_CONTEXT)


def current() -> LogContext:
    return _context.get()


def context_set(**fields) -> Token:
    """The current context with ``fields`` replaced, until ``context_reset(token)``."""
    return _context.set(replace(_context.get(), **fields))


def context_reset(token: Token) -> None:
    _context.reset(token)


@contextmanager
def log_context(**fields) -> Iterator[LogContext]:
    token = context_set(**fields)
    try:
        yield _context.get()
    finally:
        context_reset(token)


def loaded_user_id(request) -> int | None:
    """The authenticated user's id if the request's user was already loaded; never loads it (a query)."""
    user = getattr(request, "__dict__", {}).get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    return user.pk if getattr(user, "is_authenticated", False) else None


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = _context.get()
        request = getattr(record, "request", None)
        request_id = context.request_id or getattr(request, "request_id", "")
        if request_id:
            line["request_id"] = request_id
        user_id = loaded_user_id(context.request or request)
        if user_id is not None:
            line["user_id"] = user_id
        if context.task_id:
            line["task_id"] = context.task_id
            line["task"] = context.task
        if getattr(record, "status_code", None) is not None:
            line["status"] = record.status_code
        if isinstance(getattr(request, "path", None), str):
            line["method"] = request.method
            line["path"] = request.path
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
