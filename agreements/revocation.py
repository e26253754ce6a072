"""Revoking officials' certificates, and telling relying parties: a CRL and an OCSP responder.

``credential_revoke`` is the one door (the admin action, the end of an official's last signer
role, a passphrase reset all go through it): one transaction, one audit event. From then on the
official cannot sign (``signatures.unlock_signer``) until they set a new passphrase and receive a
new certificate; the CRL at ``/pki/crl.der`` lists the serial and the OCSP responder at
``/pki/ocsp/`` answers "revoked"; a signature timestamped after the revocation is reported not
genuine (``provenance``).
"""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.actions import AuditAction
from audit.services import chain_lock, event_record

from . import pki
from .models import RevokedCertificate, SignatureRecord, SigningCredential
from .signing import make_crl

CRL_CACHE_SECONDS = 3600
OCSP_VALID = datetime.timedelta(hours=24)
MAX_OCSP_REQUEST_BYTES = 4096

REASON_ROLE_ENDED = _("peran penanda tangan/pemaraf berakhir")
REASON_PASSPHRASE_RESET = _("passphrase diatur ulang oleh administrator")
REASON_CA_ROLLED_OVER = _("otoritas sertifikat diganti dengan CA baru")


@transaction.atomic
def credential_revoke(*, credential: SigningCredential, actor, reason: str) -> RevokedCertificate | None:
    """Revoke the official's certificate now; None if it already was. Audited as signing.credential_revoked."""
    chain_lock()  # before the credential's row: one lock order (audit.services.chain_lock)
    credential = SigningCredential.objects.select_for_update().get(pk=credential.pk)
    if credential.revoked_at is not None:
        return None
    now = timezone.now()
    credential.revoked_at = now
    credential.save(update_fields=["revoked_at"])
    revoked = RevokedCertificate.objects.create(user_id=credential.user_id, serial=credential.serial,
                                                fingerprint_sha256=credential.fingerprint_sha256, revoked_at=now,
                                                reason=str(reason))
    event_record(actor=actor, action=AuditAction.SIGNING_CREDENTIAL_REVOKED,
                 details={"user": credential.user.get_username(), "serial": credential.serial,
                          "fingerprint": credential.fingerprint_sha256, "reason": str(reason)})
    transaction.on_commit(_crls_changed)
    return revoked


def _crls_changed() -> None:
    cache.delete_many([_crl_key(), *(_crl_key(retired) for retired in pki.retired_authorities())])


def revoke_if_no_longer_eligible(users, *, actor) -> list[RevokedCertificate]:
    """After a role ends: the certificates of those who no longer hold a paraf or signer role are revoked."""
    from .signatures import may_enrol

    done = []
    for credential in SigningCredential.objects.filter(user__in=list(users), revoked_at__isnull=True):
        if not may_enrol(credential.user):
            made = credential_revoke(credential=credential, actor=actor, reason=REASON_ROLE_ENDED)
            if made:
                done.append(made)
    return done


def revoked_at(fingerprint: str) -> datetime.datetime | None:
    return RevokedCertificate.objects.filter(fingerprint_sha256=fingerprint).values_list("revoked_at",
                                                                                         flat=True).first()


def _crl_key(authority=None) -> str:
    return f"sepakat:crl:{(authority or pki.authority()).ca_fingerprint_sha256()[:16]}"


def crl_der(authority=None) -> bytes:
    """The current CA's CRL (or ``authority``'s, a CA rolled over from), signed when a revocation changed it
    or the cached one is an hour old. Serials are random 159-bit numbers: each CA's list names them all."""
    key = _crl_key(authority)
    cached = cache.get(key)
    if cached is not None:
        return cached
    revoked = [(int(serial), when) for serial, when in RevokedCertificate.objects.values_list("serial", "revoked_at")]
    number = int(timezone.now().timestamp() * 1000)  # RFC 5280 5.2.3: monotonically increasing (the clock, in ms)
    data = make_crl(authority or pki.authority(), ca_secret=pki.secret(), revoked=revoked, number=number)
    cache.set(key, data, CRL_CACHE_SECONDS)
    return data


def _known_serial(serial: str, authority) -> bool:
    """An official's certificate (held now, revoked, or one that signed a document), or one of the authority's
    own (its TSA, its seal)."""
    own = {str(x509.load_pem_x509_certificate(pem).serial_number)
           for pem in (authority.tsa_cert_pem, authority.seal_cert_pem) if pem}
    return serial in own or SigningCredential.objects.filter(serial=serial).exists() or \
        RevokedCertificate.objects.filter(serial=serial).exists() or \
        SignatureRecord.objects.filter(certificate_serial=serial).exists()


def ocsp_response_for(certificate: x509.Certificate) -> bytes | None:
    """What the responder answers about ``certificate`` (issued by the current CA or one rolled over from), for
    the archive's DSS; None when no CA of ours issued it."""
    issuer = pki.issuing_authority(certificate)
    if issuer is None:
        return None
    request = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer.ca_cert, hashes.SHA256()).build()
    return ocsp_response(request.public_bytes(serialization.Encoding.DER))


def ocsp_response(request_der: bytes) -> bytes:
    """The DER OCSPResponse to a DER OCSPRequest (RFC 6960), signed by the CA's delegated responder."""
    if len(request_der) > MAX_OCSP_REQUEST_BYTES:
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    try:
        request = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    # The current CA's responder, or a rolled-over CA's (its certificates stay in archived documents).
    authority = next((candidate for candidate in pki.our_authorities()
                      if request.issuer_key_hash == _key_hash(candidate.ca_cert, request.hash_algorithm)), None)
    if authority is None or authority.ocsp_key is None:
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    serial = str(request.serial_number)
    revocation = RevokedCertificate.objects.filter(serial=serial).first()
    now = timezone.now().replace(microsecond=0)
    if revocation is not None:
        status, when = ocsp.OCSPCertStatus.REVOKED, revocation.revoked_at
    elif _known_serial(serial, authority):
        status, when = ocsp.OCSPCertStatus.GOOD, None
    else:
        status, when = ocsp.OCSPCertStatus.UNKNOWN, None
    responder = x509.load_pem_x509_certificate(authority.ocsp_cert_pem)
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash, issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number, algorithm=request.hash_algorithm, cert_status=status,
        this_update=now, next_update=now + OCSP_VALID, revocation_time=when,
        revocation_reason=x509.ReasonFlags.unspecified if when else None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, responder).certificates([responder])
    nonce = _nonce(request)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.sign(authority.ocsp_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _unsuccessful(status) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


def _key_hash(ca: x509.Certificate, algorithm) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(ca.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1))
    return digest.finalize()


def _nonce(request) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None
