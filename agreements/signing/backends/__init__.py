"""Where an official's signature comes from: a signing backend, chosen by ``settings.SIGNING["BACKEND"]``.

A backend turns an official's stored credential and the secret they type (a passphrase, a PIN)
into a pyHanko ``Signer`` and a ``TimeStamper``. It does no PDF work: ``signer.sign_pdf`` does
that once for every backend (field, stamp, incremental update, checks, verification). pyHanko's
``Signer`` is already "agnostic as to where the cryptographic operations happen" (a key in
memory, a PKCS#11 token, a remote service), so a hardware key or a national signing service
(BSrE) is another backend of a few dozen lines, not another copy of the PDF code.

- ``local.LocalKeyBackend``: the embedded default; the key is encrypted on the server with the
  official's passphrase and certified by the local authority, whose TSA stamps the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pyhanko.sign.signers import Signer
from pyhanko.sign.timestamps import TimeStamper

MSG_NO_BACKEND = 'settings.SIGNING["BACKEND"] harus berisi path kelas backend penandatanganan.'
MSG_BAD_BACKEND = "Backend penandatanganan {path} tidak dapat dipakai: {why}"


class StoredCredential(Protocol):
    """What Sepakat keeps about an official's certificate (``SigningCredential``, ``IssuedCredential``).

    Each backend reads what it needs: the local backend the encrypted key, a token or a remote
    service the certificate or its fingerprint to find the key that never leaves it.
    """

    cert_pem: str | bytes
    encrypted_key_pem: str | bytes  # empty where the key is kept elsewhere
    fingerprint_sha256: str


@dataclass(frozen=True)
class UnlockedSigner:
    """What a backend hands back once the official's secret is accepted: sign with these, then drop them.

    The key material (or the session with the device or service) lives only in ``signer``; make
    one per signing request. Kept out of ``repr``.
    """

    signer: Signer = field(repr=False)
    timestamper: TimeStamper = field(repr=False)

    def __repr__(self) -> str:
        cert = self.signer.signing_cert
        subject = cert.subject.human_friendly if cert is not None else "?"
        return f"<UnlockedSigner {subject!r}>"


@runtime_checkable
class SigningBackend(Protocol):
    @classmethod
    def from_settings(cls, signing: Mapping[str, Any]) -> SigningBackend:
        """The backend configured by ``settings.SIGNING`` (passed in: backends read no settings)."""
        ...

    def unlock(self, credential: StoredCredential, passphrase: str) -> UnlockedSigner:
        """The official's signer and the timestamper to use with it.

        Raises ``WrongPassphrase`` when the secret is not accepted (the caller counts it and locks
        signing after too many), ``SigningError`` for anything else that keeps them from signing.
        Both before anything is signed.
        """
        ...

    def trust_roots_pem(self) -> list[bytes]:
        """The roots this backend's signer and timestamp certificates chain to (PEM)."""
        ...


def get_signing_backend() -> SigningBackend:
    """The backend named by ``settings.SIGNING["BACKEND"]``, read now (``override_settings`` works)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import import_string

    signing = settings.SIGNING
    path = signing.get("BACKEND")
    if not path:
        raise ImproperlyConfigured(MSG_NO_BACKEND)
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(MSG_BAD_BACKEND.format(path=path, why=exc)) from exc
    from_settings = getattr(backend_class, "from_settings", None)
    backend = from_settings(signing) if callable(from_settings) else None
    if not isinstance(backend, SigningBackend):
        raise ImproperlyConfigured(MSG_BAD_BACKEND.format(path=path, why="bukan SigningBackend"))
    return backend
