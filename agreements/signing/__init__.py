"""Signing and verifying Sepakat's PDFs (pyHanko, PAdES B-T). No database; settings only in ``get_signing_backend``.

- ``backends``: ``SigningBackend`` (the one interface: an official's credential and secret in,
  a pyHanko ``Signer`` and ``TimeStamper`` out), ``get_signing_backend`` (``settings.SIGNING["BACKEND"]``)
  and ``backends.local.LocalKeyBackend`` (the embedded default).
- ``signer``: ``sign_pdf``, the PDF work for every backend (field, stamp, one incremental update, checks,
  verification).
- ``authority``: the embedded default's local CA + timestamp authority, and signer credentials.
- ``verify``: ``verify_pdf`` with pyHanko's validator and difference analysis.
"""

from .authority import (
    AUTHORITY_KDF_ITERATIONS,
    KEY_KDF_ITERATIONS,
    Authority,
    AuthorityError,
    IssuedCredential,
    KeyEncryption,
    encrypt_plain_keys,
    encrypt_private_key,
    ensure_authority,
    ensure_ocsp_responder,
    ensure_seal,
    fingerprint_sha256,
    has_revocation_addresses,
    issue_signer,
    key_encryption,
    load_authority,
    load_retired,
    make_crl,
    reencrypt_private_key,
    reissue_tsa,
    roll_over,
    undo_roll_over,
)
from .backends import SigningBackend, StoredCredential, UnlockedSigner, get_signing_backend
from .signer import SignatureNotVerified, SignatureRequest, SignedPdf, SigningError, WrongPassphrase, sign_pdf
from .verify import ArchiveTimestampReport, SignatureReport, VerificationReport, normalise_fingerprint, verify_pdf

__all__ = [
    "AUTHORITY_KDF_ITERATIONS",
    "KEY_KDF_ITERATIONS",
    "Authority",
    "AuthorityError",
    "IssuedCredential",
    "KeyEncryption",
    "SignatureNotVerified",
    "ArchiveTimestampReport",
    "SignatureReport",
    "SignatureRequest",
    "SignedPdf",
    "SigningBackend",
    "SigningError",
    "StoredCredential",
    "UnlockedSigner",
    "VerificationReport",
    "WrongPassphrase",
    "encrypt_plain_keys",
    "encrypt_private_key",
    "ensure_authority",
    "has_revocation_addresses",
    "ensure_ocsp_responder",
    "ensure_seal",
    "fingerprint_sha256",
    "get_signing_backend",
    "issue_signer",
    "reissue_tsa",
    "roll_over",
    "undo_roll_over",
    "key_encryption",
    "load_authority",
    "load_retired",
    "make_crl",
    "normalise_fingerprint",
    "reencrypt_private_key",
    "sign_pdf",
    "verify_pdf",
]
