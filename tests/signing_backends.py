"""A second signing backend, for tests only: keys kept inside an in-memory "token", opened with a PIN.

It shares nothing with the local backend but the interface: no authority directory, no
encrypted key in the stored credential (only the certificate and its fingerprint), no PBKDF2,
and a pyHanko ``Signer`` of its own that asks the token to sign (the key never leaves the
token, as with a hardware key or a remote service). Select it with

    override_settings(SIGNING={**settings.SIGNING, "BACKEND": MEMORY_BACKEND, "TOKEN": "some-name"})

Each token name is its own token, with its own CA and TSA, made on first use and kept for the
process: two names are two authorities that do not trust each other.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
from pyhanko.sign.signers import Signer
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from agreements.signing import IssuedCredential, SigningError, StoredCredential, UnlockedSigner, WrongPassphrase

MEMORY_BACKEND = "tests.signing_backends.MemoryTokenBackend"
MSG_NO_SLOT = "Token tidak menyimpan kunci untuk sertifikat ini."

_SIGNING_USAGE = x509.KeyUsage(
    digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
    key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
)
_CA_USAGE = x509.KeyUsage(
    digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
    key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
)


def _name(common_name: str, organisation: str = "Token Uji", unit: str = "", serial: str = "") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    if serial:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


def _certify(subject, public_key, issuer, issuer_key, *, days, extensions) -> x509.Certificate:
    start = datetime.now(UTC) - timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@dataclass
class _Slot:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey = field(repr=False)
    salt: bytes = field(repr=False)
    pin_digest: bytes = field(repr=False)
    signatures: int = 0

    def pin_matches(self, pin: str) -> bool:
        return hmac.compare_digest(hashlib.sha256(self.salt + pin.encode()).digest(), self.pin_digest)


class MemoryToken:
    """An in-memory stand-in for a hardware token: a CA, a TSA, and one key slot per official."""

    def __init__(self, name: str):
        self.name = name
        self._ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca_name = _name(f"Token Uji {name}")
        self.ca_cert = _certify(ca_name, self._ca_key.public_key(), ca_name, self._ca_key, days=3650, extensions=[
            (x509.BasicConstraints(ca=True, path_length=0), True), (_CA_USAGE, True)])
        self._tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.tsa_cert = _certify(_name(f"Cap Waktu Token Uji {name}"), self._tsa_key.public_key(), ca_name,
                                 self._ca_key, days=3650, extensions=[
                                     (x509.BasicConstraints(ca=False, path_length=None), True), (_SIGNING_USAGE, True),
                                     (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)])
        self._slots: dict[str, _Slot] = {}

    @property
    def ca_cert_pem(self) -> bytes:
        return _pem(self.ca_cert)

    def enrol(self, *, common_name: str, organisation: str, unit: str, nip: str, passphrase: str,
              valid_days: int = 730) -> IssuedCredential:
        """A key generated inside the token; what comes out is the certificate only."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = _certify(_name(common_name, organisation, unit, nip), key.public_key(), self.ca_cert.subject,
                        self._ca_key, days=valid_days, extensions=[
                            (x509.BasicConstraints(ca=False, path_length=None), True), (_SIGNING_USAGE, True)])
        fingerprint = cert.fingerprint(hashes.SHA256()).hex()
        salt = secrets.token_bytes(16)
        self._slots[fingerprint] = _Slot(cert=cert, key=key, salt=salt,
                                         pin_digest=hashlib.sha256(salt + passphrase.encode()).digest())
        return IssuedCredential(cert_pem=_pem(cert), encrypted_key_pem=b"", serial=cert.serial_number,
                                fingerprint_sha256=fingerprint, not_after=cert.not_valid_after_utc)

    def slot(self, fingerprint: str) -> _Slot:
        try:
            return self._slots[fingerprint]
        except KeyError:
            raise SigningError(MSG_NO_SLOT) from None

    def timestamper(self) -> DummyTimeStamper:
        return DummyTimeStamper(
            tsa_cert=_asn1(self.tsa_cert),
            tsa_key=translate_pyca_cryptography_key_to_asn1(self._tsa_key),
            certs_to_embed=SimpleCertificateStore.from_certs([_asn1(self.ca_cert)]),
        )


@cache
def token(name: str) -> MemoryToken:
    return MemoryToken(name)


class TokenSigner(Signer):
    """A pyHanko ``Signer`` that holds no key: the token's slot signs (RSA PKCS#1 v1.5)."""

    def __init__(self, slot: _Slot, ca_cert: x509.Certificate):
        self._slot = slot
        super().__init__(signing_cert=_asn1(slot.cert),
                         cert_registry=SimpleCertificateStore.from_certs([_asn1(ca_cert)]), embed_roots=True)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        if dry_run:
            return bytes(self._slot.key.key_size // 8)
        self._slot.signatures += 1
        return self._slot.key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


class MemoryTokenBackend:
    def __init__(self, memory_token: MemoryToken):
        self.token = memory_token

    @classmethod
    def from_settings(cls, signing: Mapping[str, Any]) -> MemoryTokenBackend:
        return cls(token(signing["TOKEN"]))

    def trust_roots_pem(self) -> list[bytes]:
        return [self.token.ca_cert_pem]

    def unlock(self, credential: StoredCredential, passphrase: str) -> UnlockedSigner:
        slot = self.token.slot(credential.fingerprint_sha256)
        if not passphrase or not slot.pin_matches(passphrase):
            raise WrongPassphrase("PIN token salah.")
        return UnlockedSigner(signer=TokenSigner(slot, self.token.ca_cert), timestamper=self.token.timestamper())
