"""Signing and verifying Sepakat's PDFs (pyHanko, PAdES B-T). No database, no settings.

- ``authority``: the embedded default's local CA + timestamp authority, and signer credentials.
- ``signer``: ``DocumentSigner`` (the one interface) and ``LocalKeySigner`` (the local-CA implementation).
- ``verify``: ``verify_pdf`` with pyHanko's validator and difference analysis.
"""

from .authority import (
    KEY_KDF_ITERATIONS,
    Authority,
    AuthorityError,
    IssuedCredential,
    KeyEncryption,
    encrypt_private_key,
    ensure_authority,
    fingerprint_sha256,
    issue_signer,
    key_encryption,
    load_authority,
    reencrypt_private_key,
)
from .signer import DocumentSigner, LocalKeySigner, SignatureRequest, SigningError, WrongPassphrase
from .verify import SignatureReport, VerificationReport, normalise_fingerprint, verify_pdf

__all__ = [
    "KEY_KDF_ITERATIONS",
    "Authority",
    "AuthorityError",
    "DocumentSigner",
    "IssuedCredential",
    "KeyEncryption",
    "LocalKeySigner",
    "SignatureReport",
    "SignatureRequest",
    "SigningError",
    "VerificationReport",
    "WrongPassphrase",
    "encrypt_private_key",
    "ensure_authority",
    "fingerprint_sha256",
    "issue_signer",
    "key_encryption",
    "load_authority",
    "normalise_fingerprint",
    "reencrypt_private_key",
    "verify_pdf",
]
