"""Refused requests leave a trace, and audit receivers learn who is acting.

Placed just after AuthenticationMiddleware, so it wraps every other middleware
(LoginRequiredMiddleware, ProcessScopeMiddleware's 404, axes' lockout) and sees the
response status the visitor finally gets. A refusal is a 403, or a 404 on a URL whose
route names an object (its resolver kwargs: process_pk, task_pk, pk, identifier...):
it is counted by audit.refusals, one chain event per user, route and hour.

Around the request it also opens audit.context's request scope, so that model signal
receivers (a password set, a task cancelled in viewflow's views) can name the actor.
"""

import logging

from audit.context import request_scope

logger = logging.getLogger(__name__)

REFUSED = {403, 404}


class RefusalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_scope(request):
            response = self.get_response(request)
        if response.status_code in REFUSED:
            self.record(request, response.status_code)
        return response

    def record(self, request, status: int) -> None:
        match = getattr(request, "resolver_match", None)
        kwargs = match.kwargs if match is not None else {}
        if status == 404 and not kwargs:
            return  # an unknown address, not someone else's object
        route = (match.view_name or match.route) if match is not None else "?"
        user = getattr(request, "user", None)
        from audit.refusals import refusal_record

        try:
            refusal_record(user=user, route=route, status=status, path=request.path, method=request.method,
                           ip=request.META.get("REMOTE_ADDR", ""), kwargs=kwargs)
        except Exception:  # counting must never turn a refusal into a server error
            logger.exception("refusal not recorded: %s %s", status, request.path)
