"""The project's own pages: health (sepakat.health) and the 500 page."""

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import health as checks
from .logs import current

logger = logging.getLogger(__name__)

UNKNOWN_CHECK = _("Pemeriksaan tidak dikenal: %(names)s. Yang ada: %(known)s.")
# When even the 500 template cannot be rendered: no template, no translation, nothing that can fail.
BARE_500 = ('<!doctype html><html lang="id"><meta charset="utf-8"><title>Kesalahan server</title>'
            "<h1>Terjadi kesalahan pada server</h1><p>Kode permintaan: <code>%s</code></p></html>")


def _for_operators(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


@login_not_required
@never_cache
@require_safe
def health(request):
    """200 when every check passes, 503 otherwise; ``?check=database&check=media`` runs only those.

    Anonymous callers (load balancers) get short details; staff users the reasons in full."""
    names = request.GET.getlist("check") or list(checks.CHECKS)
    unknown = [name for name in names if name not in checks.CHECKS]
    if unknown:
        return JsonResponse({"status": "fail", "checks": {}, "error": str(UNKNOWN_CHECK % {
            "names": ", ".join(unknown[:5])[:200], "known": ", ".join(checks.CHECKS)})}, status=400)
    try:
        results = checks.run(names)
    except Exception as error:  # the runner itself: still an answer, never a 500
        logger.exception("health checks could not run")
        results = {name: checks.failure(error) for name in names}
    body = checks.report(results, private=_for_operators(request))
    response = JsonResponse(body, status=200 if body["status"] == "ok" else 503)
    if body["status"] != "ok":
        failed = "; ".join(f"{name}: {result.private or result.detail}"
                           for name, result in results.items() if not result.ok)
        logger.warning("health check failed: %s", failed)
        # Logged just above, with the reasons: django.request would add an ERROR line ("Service
        # Unavailable") for every probe while a check fails (and an error report each, with Sentry).
        response._has_been_logged = True
    return response


@login_not_required
@never_cache
@require_safe
def alive(request):
    """Liveness (a container's): the process answers. Checks nothing else, touches no database."""
    return JsonResponse({"status": "ok", "checks": {}})


def server_error(request):
    """handler500: Django's page, with the request id for the official to quote to support.

    The template gets a plain context (no context processors, no request): nothing that needs the
    database or the session, which may be what failed."""
    request_id = getattr(request, "request_id", "") or current().request_id
    try:
        body = loader.get_template("500.html").render({"request_id": request_id})
    except Exception:
        logger.exception("the 500 page could not be rendered")
        body = BARE_500 % escape(request_id)
    return HttpResponseServerError(body)
