"""The local CA's revocation information, at the addresses its certificates name: a CRL and an OCSP responder.

Public, no login: any relying party (pyHanko, Adobe, a national verifier) fetches them.
"""

import base64
import binascii

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from .. import ratelimit, revocation

RATE = ratelimit.Rate(requests=600, seconds=60)
OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"


@login_not_required
@require_GET
def crl(request):
    response = HttpResponse(revocation.crl_der(), content_type="application/pkix-crl")
    response["Content-Disposition"] = 'attachment; filename="sepakat-ca.crl"'
    response["Cache-Control"] = f"public, max-age={revocation.CRL_CACHE_SECONDS // 4}"
    return response


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def ocsp(request, encoded: str = ""):
    """RFC 6960 appendix A: POST the DER request, or GET it base64-encoded in the path."""
    count, seconds_left = ratelimit.hit(request, "ocsp", RATE)
    if count > RATE.requests:
        response = HttpResponse(status=429)
        response["Retry-After"] = str(seconds_left)
        return response
    if request.method == "POST":
        if (request.content_type or "") != OCSP_REQUEST:
            return HttpResponse(f"Content-Type harus {OCSP_REQUEST} (RFC 6960).\n", status=415,
                                content_type="text/plain; charset=utf-8")
        body = request.read(revocation.MAX_OCSP_REQUEST_BYTES + 1)
    else:
        try:
            body = base64.b64decode(encoded.replace("-", "+").replace("_", "/"), validate=False)
        except (binascii.Error, ValueError):
            body = b""
    return HttpResponse(revocation.ocsp_response(body), content_type=OCSP_RESPONSE)
