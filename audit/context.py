"""Who is acting, for audit receivers that run where no request is passed (model signals).

sepakat.refusals.RefusalMiddleware opens a request scope around every request, so a
signal receiver (a password set in the admin, a task cancelled by a viewflow view) can
name the user who did it. Outside a request (shell, management commands, Celery) there
is no actor: the event is recorded as done by the system, with `via` saying so.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request: ContextVar = ContextVar("audit_request", default=None)


@contextmanager
def request_scope(request) -> Iterator[None]:
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def current_request():
    return _request.get()


def current_actor():
    """The authenticated user of the request being served, else None."""
    request = _request.get()
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def current_via() -> str:
    """Where the change came from: the request's path, or "sistem" outside a request."""
    request = _request.get()
    return f"{request.method} {request.path}" if request is not None else "sistem"
