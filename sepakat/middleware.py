import re
import uuid

from django.conf import settings
from django.utils import translation

from sepakat.logs import log_context


class DefaultLanguageMiddleware:
    """Bahasa Indonesia unless the user chose another language.

    Django's LocaleMiddleware follows the browser's Accept-Language, which would
    show most officials' browsers the English interface. Here only the choice
    made with the language switch (Django's language cookie) counts.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's or load balancer's id is kept when it is one plain token (a UUID, nginx's $request_id, a
# W3C trace id); anything else (too long, other characters: a log-injection attempt) gets a new one.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_of(incoming: str) -> str:
    """The incoming request id if it is sane, else a new one (UUID4, hex)."""
    return incoming if REQUEST_ID_PATTERN.fullmatch(incoming or "") else uuid.uuid4().hex


class RequestIdMiddleware:
    """Names every request: ``request.request_id``, the ``X-Request-ID`` response header, and the
    ``request_id`` of every log line written while it is served (sepakat.logs). First in MIDDLEWARE,
    so that a redirect or a 500 page carries it too (the 500 page shows it, for the official to quote)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_of(request.headers.get(REQUEST_ID_HEADER, ""))
        with log_context(request_id=request.request_id, request=request):
            response = self.get_response(request)
        response.headers[REQUEST_ID_HEADER] = request.request_id
        return response
