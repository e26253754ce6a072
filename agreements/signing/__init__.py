"""Signing and verifying Sepakat's PDFs (pyHanko, PAdES B-T). No database, no settings.

- ``authority``: the embedded default's local CA + timestamp authority, and signer credentials.
- ``signer``: ``DocumentSigner`` (the one interface) and ``LocalKeySigner`` (the local-CA implementation).
- ``verify``: ``verify_pdf`` with pyHanko's validator and difference analysis.
"""

from .authority import (
    Authority,
    AuthorityError,
    IssuedCredential,
    ensure_authority,
    fingerprint_sha256,
    issue_signer,
    load_authority,
)
from .signer import DocumentSigner, LocalKeySigner, SignatureRequest, SigningError, WrongPassphrase
from .verify import SignatureReport, VerificationReport, normalise_fingerprint, verify_pdf

__all__ = [
    "Authority",
    "AuthorityError",
    "DocumentSigner",
    "IssuedCredential",
    "LocalKeySigner",
    "SignatureReport",
    "SignatureRequest",
    "SigningError",
    "VerificationReport",
    "WrongPassphrase",
    "ensure_authority",
    "fingerprint_sha256",
    "issue_signer",
    "load_authority",
    "normalise_fingerprint",
    "verify_pdf",
]
