"""RFC 3161 over HTTP (RFC 3161 section 3.4): the local TSA answers ``application/timestamp-query``.

``respond`` turns a request body into a response body and never raises: a request that cannot
be parsed, asks for a hash Sepakat does not accept, carries a wrong-length imprint, asks for
another policy or carries extensions gets a ``rejection`` with the RFC's failure bit, as a
national or commercial TSA would answer. Nothing here reads settings or the database.
"""

from __future__ import annotations

import logging

from asn1crypto import cms, core, tsp

from .backends.held_keys import HeldKeyTimeStamper

logger = logging.getLogger(__name__)

QUERY_CONTENT_TYPE = "application/timestamp-query"
REPLY_CONTENT_TYPE = "application/timestamp-reply"
# A request is a hash and a nonce: ~100 bytes for SHA-512. Anything much larger is not a request.
MAX_REQUEST_BYTES = 4096
ACCEPTED_HASHES = {"sha256": 32, "sha384": 48, "sha512": 64}


class TimeStampResp(core.Sequence):
    """RFC 3161's TimeStampResp, whose token is OPTIONAL (asn1crypto 1.5's ``tsp.TimeStampResp`` requires it)."""

    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


def rejection(fail_info: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo({
        "status": tsp.PKIStatus("rejection"),
        "status_string": [text],
        "fail_info": tsp.PKIFailureInfo({fail_info}),
    })
    return TimeStampResp({"status": status}).dump()


def _problem(request: tsp.TimeStampReq) -> tuple[str, str] | None:
    if request["version"].native != "v1":
        return "bad_request", "unsupported version"
    imprint = request["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    if algorithm not in ACCEPTED_HASHES:
        return "bad_alg", f"hash algorithm {algorithm} not accepted; use SHA-256, SHA-384 or SHA-512"
    if len(imprint["hashed_message"].native) != ACCEPTED_HASHES[algorithm]:
        return "bad_data_format", "message imprint has the wrong length for its algorithm"
    policy = request["req_policy"].native
    if policy is not None and policy != HeldKeyTimeStamper.policy_oid:
        return "unaccepted_policy", f"only policy {HeldKeyTimeStamper.policy_oid} is offered"
    if request["extensions"].native:
        return "unaccepted_extensions", "extensions are not supported"
    return None


def respond(timestamper: HeldKeyTimeStamper, body: bytes) -> bytes:
    """The DER ``TimeStampResp`` for the DER ``TimeStampReq`` in ``body``."""
    if len(body) > MAX_REQUEST_BYTES:
        return rejection("bad_request", "request too large")
    try:
        request = tsp.TimeStampReq.load(bytes(body), strict=True)
        problem = _problem(request)
    except Exception:  # asn1crypto raises ValueError, TypeError and more on garbage
        return rejection("bad_data_format", "not a DER TimeStampReq")
    if problem:
        return rejection(*problem)
    try:
        return timestamper.request_tsa_response(request).dump()
    except Exception:
        logger.exception("the local TSA failed to answer a valid request")
        return rejection("system_failure", "the timestamp authority failed")
