"""The local timestamp authority at Sepakat's own address: RFC 3161 over HTTP, no login.

POST a DER ``TimeStampReq`` as ``application/timestamp-query``; the answer is a DER
``TimeStampResp`` (``application/timestamp-reply``), a rejection included, with status 200 as
RFC 3161 section 3.4 has it. Anyone may ask, as with any public TSA: a token only says that a
hash existed at a time. Requests are bounded in size and rate-limited per client address.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import pki, ratelimit
from ..signing import tsa

RATE = ratelimit.Rate(requests=600, seconds=60)


def _reply(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=tsa.REPLY_CONTENT_TYPE)


@csrf_exempt
@login_not_required
@require_POST
def timestamp(request):
    content_type = request.content_type or ""
    if content_type != tsa.QUERY_CONTENT_TYPE:
        return HttpResponse(f"Content-Type harus {tsa.QUERY_CONTENT_TYPE} (RFC 3161).\n", status=415,
                            content_type="text/plain; charset=utf-8")
    count, seconds_left = ratelimit.hit(request, "tsa", RATE)
    if count > RATE.requests:
        response = _reply(tsa.rejection("system_failure", "too many requests"), status=429)
        response["Retry-After"] = str(seconds_left)
        return response
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > tsa.MAX_REQUEST_BYTES:
        return _reply(tsa.rejection("bad_request", "request too large"), status=413)
    return _reply(tsa.respond(pki.timestamper(), request.read(tsa.MAX_REQUEST_BYTES + 1)))
