"""Signed checkpoints of the audit chain: its head, sealed by the system and timestamped over RFC 3161.

A checkpoint is the canonical JSON ``{"log", "seq", "head_hash", "count", "time"}`` with a
detached CMS signature by the system's seal (a certificate of the local CA) carrying an RFC 3161
timestamp token from the configured TSA. ``verify_audit`` checks the chain against every
checkpoint (``audit.services.chain_check``), so whoever rewrites events before a checkpoint, even
recomputing every hash, is found; the public list (``/verifikasi/log-audit/``) lets outsiders
keep copies, so deleting a checkpoint is found too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from datetime import UTC, datetime

from asn1crypto import cms
from django.db import transaction
from django.utils import timezone
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from audit import merkle
from audit.models import AuditEvent, Checkpoint
from audit.services import CHECKPOINT_LAPSED, checkpoint_verifier_register

from . import pki
from .signing import AuthorityError, fingerprint_sha256, get_signing_backend
from .signing.backends.held_keys import HeldKeySigner

logger = logging.getLogger(__name__)

LOG_NAME = "sepakat-audit"
NO_SEAL = "otoritas tidak memiliki segel sistem (jalankan manage.py init_pki)"
BAD_PAYLOAD = "isi titik periksa tidak sesuai dengan kolomnya"
BAD_SIGNATURE = "tanda tangan segel tidak sah atau tidak dipercaya"
NO_TIMESTAMP = "tidak ada cap waktu yang sah"
NOT_THE_SEAL = "ditandatangani oleh sertifikat selain segel sistem"


def payload_of(*, seq: int, head_hash: str, count: int, merkle_root: str, time: datetime) -> str:
    return json.dumps({"log": LOG_NAME, "seq": seq, "head_hash": head_hash, "count": count,
                       "merkle_root": merkle_root, "time": time.isoformat()}, sort_keys=True, separators=(",", ":"))


def _timestamper():
    backend = get_signing_backend()
    make = getattr(backend, "timestamper", None)
    return make() if callable(make) else pki.timestamper()


def seal_sign(data: bytes, authority=None) -> cms.ContentInfo:
    """A detached CMS over ``data`` by the system's seal, with an RFC 3161 timestamp (AuthorityError without a seal)."""
    authority = authority or pki.authority()
    if authority.seal_key is None:
        raise AuthorityError(NO_SEAL)
    ca = list(load_certs_from_pemder_data(authority.ca_cert_pem))[0]
    (seal,) = load_certs_from_pemder_data(authority.seal_cert_pem)
    signer = HeldKeySigner(signing_cert=seal, private_key=authority.seal_key,
                           cert_registry=SimpleCertificateStore.from_certs([ca]), embed_roots=True)
    return asyncio.run(signer.async_sign_general_data(data, "sha256", detached=True, timestamper=_timestamper()))


def checkpoint_as_dict(checkpoint: Checkpoint) -> dict:
    """As the public JSON list and the audit bundle show it."""
    return {"seq": checkpoint.seq, "head_hash": checkpoint.head_hash, "count": checkpoint.count,
            "merkle_root": checkpoint.merkle_root, "time": checkpoint.created.isoformat(),
            "timestamp_time": checkpoint.timestamp_time.isoformat() if checkpoint.timestamp_time else None,
            "reason": checkpoint.reason, "payload": checkpoint.payload,
            "signature": base64.b64encode(bytes(checkpoint.signature)).decode()}


def _tree_so_far() -> tuple[merkle.Accumulator, int]:
    """The Merkle tree of the events up to the latest checkpoint, from its saved frontier when that matches
    the root it signed, and the sequence number to carry on after; else an empty tree from the start."""
    latest = Checkpoint.objects.order_by("-seq").only("seq", "count", "merkle_root", "frontier").first()
    if latest is not None and latest.frontier:
        try:
            tree = merkle.Accumulator.resumed(latest.frontier, latest.count)
        except (ValueError, TypeError):
            tree = None
        if tree is not None and tree.root() == latest.merkle_root:
            return tree, latest.seq
        logger.warning("checkpoint #%s: its saved frontier does not give its signed root; walking every event",
                       latest.seq)
    return merkle.Accumulator(), 0


def checkpoint_make(*, reason: str) -> Checkpoint | None:
    """Seal the chain's current head (one checkpoint per head: none is made twice for the same event).

    None when the log is empty or the authority has no seal (logged: the operator runs init_pki).
    """
    authority = pki.authority()
    if authority.seal_key is None:
        logger.error("audit checkpoint not made: %s", NO_SEAL)
        return None
    with transaction.atomic():
        head = AuditEvent.objects.order_by("-pk").values_list("pk", "hash").first()
        if head is None:
            return None
        seq, head_hash = head
        existing = Checkpoint.objects.filter(seq=seq).first()
        if existing is not None:
            return existing
        tree, after = _tree_so_far()
        for event_hash in AuditEvent.objects.filter(pk__gt=after, pk__lte=seq).order_by("pk") \
                .values_list("hash", flat=True).iterator(chunk_size=5000):
            tree.add(event_hash)
        root, count = tree.root(), tree.size
        now = timezone.now().replace(microsecond=0)
        payload = payload_of(seq=seq, head_hash=head_hash, count=count, merkle_root=root, time=now)
        signed = seal_sign(payload.encode(), authority)
        return Checkpoint.objects.create(
            seq=seq, head_hash=head_hash, count=count, merkle_root=root, frontier=tree.frontier(), created=now,
            reason=reason, payload=payload,
            signature=signed.dump(), timestamp_time=_timestamp_time(signed),
            seal_fingerprint=fingerprint_sha256(authority.seal_cert),
        )


def _timestamp_time(signed: cms.ContentInfo) -> datetime:
    """The genTime of the signature's RFC 3161 token (pyHanko just made and checked it; no need to validate again)."""
    attributes = signed["content"]["signer_infos"][0]["unsigned_attrs"]
    token = next(a["values"][0] for a in attributes if a["type"].native == "signature_time_stamp_token")
    return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native


def _status(payload: str, signed: cms.ContentInfo):
    context = ValidationContext(trust_roots=[c for pem in _roots() for c in load_certs_from_pemder_data(pem)],
                                allow_fetching=False, revocation_mode="soft-fail")
    return asyncio.run(async_validate_detached_cms(payload.encode(), signed["content"],
                                                   signer_validation_context=context,
                                                   ts_validation_context=context))


def _roots() -> list[bytes]:
    from .signatures import trust_roots

    return trust_roots()


def _ended(status) -> bool:
    """The seal's or the timestamp's certificate is past its end (not a certificate that never chained)."""
    now = datetime.now(UTC)
    certificates = [status.signing_cert]
    if status.timestamp_validity is not None:
        certificates.append(status.timestamp_validity.signing_cert)
    return any(c is not None and c.not_valid_after < now for c in certificates)


def _trusted(status) -> bool:
    stamp = status.timestamp_validity
    return bool(status.trusted and stamp is not None and stamp.intact and stamp.valid and stamp.trusted)


def checkpoint_problem(checkpoint: Checkpoint) -> str:
    """"" when ``checkpoint`` is sealed by the system's seal, timestamped, and says what its columns say."""
    expected = payload_of(seq=checkpoint.seq, head_hash=checkpoint.head_hash, count=checkpoint.count,
                          merkle_root=checkpoint.merkle_root, time=checkpoint.created)
    if checkpoint.payload != expected:
        return BAD_PAYLOAD
    try:
        signed = cms.ContentInfo.load(bytes(checkpoint.signature))
        status = _status(checkpoint.payload, signed)
        if status.intact and status.valid and not _trusted(status) and _ended(status) \
                and status.signing_cert.sha256.hex() in pki.recorded_seal_fingerprints():
            # Years on, the seal's or the TSA's certificate has ended: covered by a later checkpoint, if any.
            return CHECKPOINT_LAPSED
    except Exception:  # garbage raises many kinds of errors
        return BAD_SIGNATURE
    if not (status.intact and status.valid and status.trusted):
        return BAD_SIGNATURE
    timestamp = status.timestamp_validity
    if timestamp is None or not (timestamp.intact and timestamp.valid and timestamp.trusted):
        return NO_TIMESTAMP
    if status.signing_cert.sha256.hex() not in pki.recorded_seal_fingerprints():
        return NOT_THE_SEAL
    return ""


def register() -> None:
    checkpoint_verifier_register(checkpoint_problem)
