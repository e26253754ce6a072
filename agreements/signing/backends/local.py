"""The embedded default: keys issued by the local authority, kept encrypted with each official's passphrase.

``unlock`` decrypts the official's key with the passphrase they type (a wrong one raises
``WrongPassphrase`` before anything else is checked), checks that it is RSA, that it belongs
to the certificate and that the certificate is the authority's, and pairs it with the
authority's timestamp authority: in process, or over RFC 3161 HTTP when ``SIGNING["TSA_URL"]``
names one (a national or commercial TSA in production, or Sepakat's own ``/tsa/``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..authority import Authority, load_authority
from ..signer import SigningError, WrongPassphrase
from . import StoredCredential, UnlockedSigner
from .held_keys import HeldKeySigner, HeldKeyTimeStamper

MSG_WRONG_PASSPHRASE = "Frasa sandi salah: kunci penanda tangan tidak dapat dibuka."
MSG_KEY_NOT_ENCRYPTED = "Kunci penanda tangan tidak terenkripsi dengan frasa sandi atau rusak."
MSG_BAD_CERT = "Sertifikat penanda tangan tidak dapat dibaca."
MSG_KEY_NOT_RSA = "Kunci penanda tangan harus RSA."
MSG_KEY_CERT_MISMATCH = "Kunci penanda tangan tidak cocok dengan sertifikatnya."
MSG_CERT_NOT_FROM_AUTHORITY = "Sertifikat penanda tangan tidak diterbitkan oleh otoritas sertifikat ini."

_ENCRYPTED_KEY_MARKERS = (b"-----BEGIN ENCRYPTED PRIVATE KEY-----", b"Proc-Type: 4,ENCRYPTED")


def authority_secret(signing: Mapping[str, Any]) -> str:
    """The operator's secret that unlocks the authority's keys: ``AUTHORITY_SECRET``, else the first line of
    the file ``AUTHORITY_SECRET_FILE`` (read at each use: it is not kept by Sepakat). "" when neither is set."""
    secret = str(signing.get("AUTHORITY_SECRET") or "")
    path = signing.get("AUTHORITY_SECRET_FILE")
    if secret or not path:
        return secret
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


@cache
def _authority_at(directory: str, secret: str) -> Authority:
    """Loaded once per process; never made here (``manage.py init_pki`` makes it)."""
    return load_authority(Path(directory), secret=secret)


def authority_from_settings(signing: Mapping[str, Any]) -> Authority:
    """The configured authority, or AuthorityError saying why there is none to sign with."""
    return _authority_at(str(signing["AUTHORITY_DIR"]), authority_secret(signing))


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


MSG_BAD_TSA_ROOTS = "Sertifikat akar TSA ({path}) tidak dapat dibaca."


def local_timestamper(authority: Authority) -> HeldKeyTimeStamper:
    """The authority's TSA: what signs in process, and what answers at Sepakat's ``/tsa/``."""
    ca = list(load_certs_from_pemder_data(authority.ca_cert_pem))[0]
    tsa = list(load_certs_from_pemder_data(authority.tsa_cert_pem))[0]
    return HeldKeyTimeStamper(tsa_cert=tsa, tsa_private_key=authority.tsa_key,
                              certs_to_embed=SimpleCertificateStore.from_certs([ca]))


def _read_roots(path: str) -> list[bytes]:
    if not path:
        return []
    try:
        data = Path(path).read_bytes()
        list(load_certs_from_pemder_data(data))
    except Exception as exc:  # missing file, not a certificate
        raise SigningError(MSG_BAD_TSA_ROOTS.format(path=path)) from exc
    return [data]


class LocalKeyBackend:
    """Signs with a key issued by ``authority``; its timestamps come from the authority's TSA, in process,
    or from the RFC 3161 service at ``tsa_url`` (whose roots ``tsa_roots_pem`` are then trusted too)."""

    def __init__(self, authority: Authority, *, tsa_url: str = "", tsa_roots_pem: list[bytes] | None = None,
                 tsa_timeout: int = 10, tsa_auth: tuple[str, str] | None = None):
        self.authority = authority
        self.tsa_url = tsa_url
        self.tsa_roots_pem = list(tsa_roots_pem or [])
        self.tsa_timeout = tsa_timeout
        self.tsa_auth = tsa_auth

    @classmethod
    def from_settings(cls, signing: Mapping[str, Any]) -> LocalKeyBackend:
        username, password = signing.get("TSA_USERNAME", ""), signing.get("TSA_PASSWORD", "")
        return cls(authority_from_settings(signing), tsa_url=signing.get("TSA_URL", ""),
                   tsa_roots_pem=_read_roots(signing.get("TSA_TRUST_ROOTS", "")),
                   tsa_timeout=int(signing.get("TSA_TIMEOUT", 10)),
                   tsa_auth=(username, password) if username else None)

    def __repr__(self) -> str:
        return f"<LocalKeyBackend {self.authority.ca_cert.subject.rfc4514_string()!r}>"

    def trust_roots_pem(self) -> list[bytes]:
        return [self.authority.ca_cert_pem, *self.tsa_roots_pem]

    def timestamper(self) -> TimeStamper:
        if self.tsa_url:
            return HTTPTimeStamper(self.tsa_url, timeout=self.tsa_timeout, auth=self.tsa_auth)
        return local_timestamper(self.authority)

    def unlock(self, credential: StoredCredential, passphrase: str) -> UnlockedSigner:
        cert_pem = _as_bytes(credential.cert_pem)
        encrypted_key_pem = _as_bytes(credential.encrypted_key_pem)
        if not any(marker in encrypted_key_pem for marker in _ENCRYPTED_KEY_MARKERS):
            raise SigningError(MSG_KEY_NOT_ENCRYPTED)
        try:
            # The RSA consistency check costs ~60 ms per load; every signature made with this key is
            # verified against its certificate before it is kept (sign_pdf), which a broken key fails.
            key = serialization.load_pem_private_key(encrypted_key_pem, password=passphrase.encode() or None,
                                                     unsafe_skip_rsa_key_validation=True)
        except (ValueError, TypeError) as exc:
            # cryptography: ValueError for a wrong passphrase, TypeError for an empty one.
            raise WrongPassphrase(MSG_WRONG_PASSPHRASE) from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            # ECDSA would make pyHanko raise the PDF version beyond what PDF/A-3 allows.
            raise SigningError(MSG_KEY_NOT_RSA)
        try:
            cert = x509.load_pem_x509_certificate(cert_pem)
        except ValueError as exc:
            raise SigningError(MSG_BAD_CERT) from exc
        if cert.public_key().public_numbers() != key.public_key().public_numbers():
            raise SigningError(MSG_KEY_CERT_MISMATCH)
        try:
            cert.verify_directly_issued_by(self.authority.ca_cert)
        except Exception as exc:  # InvalidSignature, ValueError, TypeError
            raise SigningError(MSG_CERT_NOT_FROM_AUTHORITY) from exc

        ca = list(load_certs_from_pemder_data(self.authority.ca_cert_pem))[0]
        (signer_cert,) = load_certs_from_pemder_data(cert_pem)
        return UnlockedSigner(
            signer=HeldKeySigner(
                signing_cert=signer_cert,
                private_key=key,
                cert_registry=SimpleCertificateStore.from_certs([ca]),
                embed_roots=True,
            ),
            timestamper=self.timestamper(),
        )
