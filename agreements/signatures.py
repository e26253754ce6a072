"""Electronic signatures on stage documents: enrolment, signing, verification.

Signing goes through the signing backend of settings.SIGNING["BACKEND"]
(agreements.signing.backends): it unlocks the official's signer, and
agreements.signing.sign_pdf does the PDF work and the verification. The embedded
default is a local authority whose keys never leave this server, each official's
key encrypted with the passphrase they set at enrolment and type at every
signature.
"""

import datetime
import hashlib
import logging
from dataclasses import asdict
from importlib import metadata

import weasyprint
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from audit.actions import AuditAction
from audit.services import chain_lock, event_record

from . import checkpoints, pki
from .kinds import render_stage_pdf, snapshot_for
from .models import SignatureRecord, SigningCredential, StoredPdf, Version
from .signing import (
    Authority,
    AuthorityError,
    SignatureRequest,
    SigningError,
    UnlockedSigner,
    WrongPassphrase,
    get_signing_backend,
    issue_signer,
    key_encryption,
    reencrypt_private_key,
    sign_pdf,
)
from .snapshots import wib

logger = logging.getLogger(__name__)

PASSPHRASE_TOO_SHORT = gettext_lazy("Passphrase paling sedikit %(min)d karakter.")
PASSPHRASE_MISMATCH = gettext_lazy("Konfirmasi passphrase tidak sama.")
NOT_ELIGIBLE = gettext_lazy(
    "Sertifikat tanda tangan hanya diterbitkan bagi pejabat yang memegang peran pemaraf atau penandatangan, "
    "atau menerima delegasinya. Akun Anda tidak memegang peran tersebut."
)
ALREADY_ENROLLED = gettext_lazy("Anda sudah memiliki sertifikat tanda tangan.")
NO_CREDENTIAL = gettext_lazy("Anda belum memiliki sertifikat tanda tangan. Atur passphrase terlebih dahulu.")
WRONG_PASSPHRASE = gettext_lazy("Passphrase salah. Dokumen tidak ditandatangani. Sisa percobaan: %(left)d.")
SIGNING_LOCKED = gettext_lazy(
    "Penandatanganan dikunci karena passphrase salah berulang kali. Coba lagi setelah %(until)s."
)
VERIFICATION_FAILED = gettext_lazy(
    "Tanda tangan gagal diverifikasi; dokumen tidak dicatat sebagai ditandatangani: %(why)s"
)
CERTIFICATE_REVOKED = gettext_lazy(
    "Sertifikat tanda tangan Anda dicabut pada %(when)s. Dokumen tidak ditandatangani. Atur passphrase baru "
    "untuk menerima sertifikat baru."
)
NOT_PREPARED = gettext_lazy("Dokumen untuk ditandatangani sedang disiapkan. Coba beberapa saat lagi.")

TEMPLATE_VERSION = "sepakat-pdf-2"


class SigningRefused(Exception):
    """Nothing was signed; the message says why."""


AUTHORITY_UNAVAILABLE = gettext_lazy("Penandatanganan tidak tersedia: %(why)s")


def authority() -> Authority:
    """The local authority, checked against the audit log's record (AuthorityError saying why not)."""
    return pki.authority()


def local_timestamper():
    """The local authority's TSA (what answers RFC 3161 requests at Sepakat's ``/tsa/``)."""
    return pki.timestamper()


def signing_backend():
    """The configured backend, refusing (SigningRefused) when its authority is missing or not Sepakat's."""
    try:
        backend = get_signing_backend()
        if isinstance(getattr(backend, "authority", None), Authority):
            pki.check_recorded(backend.authority.ca_fingerprint_sha256())
    except AuthorityError as error:
        raise SigningRefused(AUTHORITY_UNAVAILABLE % {"why": error}) from error
    return backend


def trust_roots() -> list[bytes]:
    """The backend's roots and every CA Sepakat recorded making: a lost authority folder stops signing,
    not verifying."""
    try:
        roots = list(get_signing_backend().trust_roots_pem())
    except AuthorityError as error:
        logger.error("signing authority unavailable, verifying with the recorded CA certificates: %s", error)
        roots = []
    for recorded in pki.recorded_ca_certificates():
        if recorded not in roots:
            roots.append(recorded)
    return roots


def software_versions() -> str:
    return f"{TEMPLATE_VERSION}; WeasyPrint {weasyprint.__version__}; pyHanko {metadata.version('pyHanko')}"


# Who may hold a signing certificate depends on roles, which live above this app
# (permissions registers its rule when it starts). With no rule, nobody may enrol.
_enrolment_rules: list = []


def enrolment_rule_register(rule) -> None:
    """`rule(user) -> bool`; a user may enrol only if every registered rule allows it."""
    if rule not in _enrolment_rules:
        _enrolment_rules.append(rule)


def may_enrol(user) -> bool:
    """Whether credential_enrol would issue this user a certificate (pages hide or explain the form)."""
    return bool(_enrolment_rules) and all(rule(user) for rule in _enrolment_rules)


def kdf_iterations() -> int:
    """PBKDF2-HMAC-SHA256 iterations for signer keys, read at use time (tests lower it)."""
    return settings.SIGNING["KEY_KDF_ITERATIONS"]


@transaction.atomic
def credential_enrol(*, user, passphrase: str, confirmation: str) -> SigningCredential:
    """Issue the official's certificate; the private key is kept encrypted with their passphrase.

    Only officials who hold, or are delegated, a paraf or signer role today (NOT_ELIGIBLE otherwise:
    auditors, drafters, administrators without an official's profile).
    """
    if not may_enrol(user):
        raise ValidationError(NOT_ELIGIBLE)
    existing = SigningCredential.objects.filter(user=user).first()
    if existing is not None and existing.revoked_at is None:
        raise ValidationError(ALREADY_ENROLLED)
    minimum = settings.SIGNING["PASSPHRASE_MIN_LENGTH"]
    if len(passphrase) < minimum:
        raise ValidationError(PASSPHRASE_TOO_SHORT % {"min": minimum})
    if passphrase != confirmation:
        raise ValidationError(PASSPHRASE_MISMATCH)
    official = user.official
    agency = user.role_assignments.select_related("agency").first()
    try:
        loaded = authority()
    except AuthorityError as error:
        raise ValidationError(AUTHORITY_UNAVAILABLE % {"why": error}) from error
    issued = issue_signer(
        loaded,
        ca_secret=pki.secret(),
        common_name=official.full_name,
        organisation=agency.agency.name if agency else "Sepakat",
        unit=official.post,
        nip=official.nip or user.username,
        passphrase=passphrase,
        kdf_iterations=kdf_iterations(),
        **pki.revocation_urls(),
    )
    # A revoked certificate's row is taken over by the new one; the revocation itself stays (RevokedCertificate).
    chain_lock()  # before the credential's row: one lock order (audit.services.chain_lock)
    credential = existing or SigningCredential(user=user)
    credential.cert_pem = issued.cert_pem.decode()
    credential.encrypted_key_pem = issued.encrypted_key_pem.decode()
    credential.serial = str(issued.serial)
    credential.fingerprint_sha256 = issued.fingerprint_sha256
    credential.not_after = issued.not_after
    credential.failed_attempts, credential.locked_until, credential.revoked_at = 0, None, None
    credential.save()
    event_record(actor=user, action=AuditAction.SIGNING_CREDENTIAL_ISSUED,
                 details={"serial": credential.serial, "fingerprint": credential.fingerprint_sha256})
    return credential


def unlock_signer(*, user, passphrase: str) -> tuple[UnlockedSigner, SigningCredential]:
    """The user's signer, if the passphrase is right and signing is not locked.

    A wrong passphrase is counted (and recorded) before SigningRefused is raised:
    callers return an error page rather than raising, so the count is committed.
    """
    chain_lock()  # before the credential's row: one lock order (audit.services.chain_lock)
    credential = SigningCredential.objects.select_for_update().filter(user=user).first()
    if credential is None:
        raise SigningRefused(NO_CREDENTIAL)
    now = timezone.now()
    if credential.revoked_at is not None:
        raise SigningRefused(CERTIFICATE_REVOKED % {"when": wib(credential.revoked_at)})
    if credential.locked_until and credential.locked_until > now:
        raise SigningRefused(SIGNING_LOCKED % {"until": wib(credential.locked_until)})
    try:
        signer = signing_backend().unlock(credential, passphrase)
    except WrongPassphrase:
        limit = settings.SIGNING["MAX_FAILED_ATTEMPTS"]
        credential.failed_attempts += 1
        locked = credential.failed_attempts >= limit
        if locked:
            credential.locked_until = now + datetime.timedelta(minutes=settings.SIGNING["LOCK_MINUTES"])
            credential.failed_attempts = 0
        credential.save(update_fields=["failed_attempts", "locked_until"])
        event_record(actor=user, action=AuditAction.SIGNING_PASSPHRASE_FAILED, details={"locked": locked})
        if locked:
            raise SigningRefused(SIGNING_LOCKED % {"until": wib(credential.locked_until)}) from None
        raise SigningRefused(WRONG_PASSPHRASE % {"left": limit - credential.failed_attempts}) from None
    if credential.failed_attempts:
        credential.failed_attempts = 0
        credential.save(update_fields=["failed_attempts"])
    _upgrade_key_encryption(credential, passphrase)
    return signer, credential


def _upgrade_key_encryption(credential: SigningCredential, passphrase: str) -> None:
    """A key stored under older parameters (PBKDF2 at 2,048 iterations) is re-encrypted now that the
    passphrase is known to be right; the key itself, its certificate and fingerprint stay the same."""
    stored = credential.encrypted_key_pem.encode()
    try:
        before = key_encryption(stored)
    except ValueError:
        return  # not a PKCS#8 envelope (or none: the key lives in a token or a service); leave it
    minimum = kdf_iterations()
    if before.meets(minimum):
        return
    credential.encrypted_key_pem = reencrypt_private_key(stored, passphrase, iterations=minimum).decode()
    credential.save(update_fields=["encrypted_key_pem"])
    event_record(actor=credential.user, action=AuditAction.SIGNING_KEY_REENCRYPTED,
                 details={"serial": credential.serial, "from": f"{before.scheme}/{before.kdf}/{before.prf}/"
                          f"{before.iterations}/{before.cipher}", "to": f"pbes2/pbkdf2/sha256/{minimum}/aes256_cbc"})


def base_revision(version: Version) -> StoredPdf | None:
    return StoredPdf.objects.filter(version=version, revision=0).first()


def latest_revision(version: Version) -> StoredPdf | None:
    return StoredPdf.objects.filter(version=version).order_by("-revision").first()


@transaction.atomic
def render_for_signing(*, version: Version, slots: list[dict], previous_stage_sha256: str) -> StoredPdf:
    """Render the document the signers will sign (revision 0), once per version."""
    existing = base_revision(version)
    if existing:
        return existing
    document = version.document
    data = snapshot_for(version, final=True, previous_stage_sha256=previous_stage_sha256)
    data["signature_slots"] = slots
    data["verification_url"] = document.verification_url  # the unguessable code, never the identifier
    data["verification_code"] = document.verification_token
    # The audit history up to this rendering, sealed: the signed document then carries it (its data
    # cannot change after the first signature, so the close's own checkpoint is in the public list).
    try:
        made = checkpoints.checkpoint_make(reason="dokumen disiapkan untuk ditandatangani")
    except AuthorityError as error:  # no local seal (another backend, a lost folder): the document still renders
        logger.error("no audit checkpoint for %s: %s", document.identifier, error)
        made = None
    data["audit_checkpoint"] = {"seq": made.seq, "head_hash": made.head_hash, "count": made.count,
                                "time": made.created.isoformat()} if made else None
    rendered = render_stage_pdf(document.kind, data, draft=False)
    digest = hashlib.sha256(rendered.content).hexdigest()
    stored = StoredPdf(
        document=document,
        version=version,
        revision=0,
        sha256=digest,
        data_sha256=rendered.data_sha256,
        size=len(rendered.content),
        previous_stage_sha256=previous_stage_sha256,
        signature_boxes={name: [b.page_index, list(b.box)] for name, b in rendered.signature_boxes.items()},
        fill_fields=list(rendered.fill_fields),
        software=software_versions(),
    )
    stored.file.save(f"{document.identifier}-v{version.number}-r0-{digest[:12]}.pdf", ContentFile(rendered.content),
                     save=False)
    stored.save()
    event_record(actor=None, action=AuditAction.DOCUMENT_PDF_RENDERED, region=document.programme.region,
                 version=version, details={"sha256": digest, "size": stored.size, "revision": 0})
    return stored


@transaction.atomic
def document_sign(
    *, revision: StoredPdf, user, signer: UnlockedSigner, credential: SigningCredential, step: str,
    field_name: str, signer_name: str, signer_post: str, stamp_lines: tuple[str, ...], location: str,
    fill_values: dict[str, str] | None = None,
) -> StoredPdf:
    """Append the signer's signature, verify the result, and keep it as the next revision.

    The document's blanks that belong to ``step`` (``isi_<step>_<what>``) are filled in the same
    update with ``fill_values[<what>]``; a blank without a value refuses the signature.
    """
    page_index, box = revision.signature_boxes[field_name]
    with revision.file.open("rb") as stored:
        original = stored.read()
    fills = step_fills(revision, step, fill_values or {})
    request = SignatureRequest(field_name=field_name, page_index=page_index, box=tuple(box),
                               stamp_lines=stamp_lines, reason=step, location=location, fills=fills)
    expected = [*_signer_fingerprints(revision), credential.fingerprint_sha256]
    try:
        result = sign_pdf(original, request, signer, trust_roots_pem=trust_roots(), expected_fingerprints=expected)
    except SigningError as error:  # SignatureNotVerified among them: a signature that does not verify
        # Not recorded here: the caller's savepoint rolls back; step_sign records the failure.
        raise SigningRefused(VERIFICATION_FAILED % {"why": error}) from error
    signed = result.content
    document = revision.document
    digest = hashlib.sha256(signed).hexdigest()
    new = StoredPdf(
        document=document, version=revision.version, revision=revision.revision + 1, sha256=digest,
        parent_sha256=revision.sha256, data_sha256=revision.data_sha256, size=len(signed),
        previous_stage_sha256=revision.previous_stage_sha256, signature_boxes=revision.signature_boxes,
        fill_fields=revision.fill_fields, software=software_versions(),
    )
    new.file.save(f"{document.identifier}-v{revision.version.number}-r{new.revision}-{digest[:12]}.pdf",
                  ContentFile(signed), save=False)
    new.save()
    mine = result.signature
    SignatureRecord.objects.create(
        pdf=new, signer=user, step=step, field_name=field_name, signer_name=signer_name, signer_post=signer_post,
        certificate_fingerprint=mine.signer_fingerprint_sha256, certificate_serial=str(mine.signer_serial),
        signing_time=mine.signing_time, timestamp_time=mine.timestamp_time, validation_ok=mine.ok,
        validation_report=_jsonable(asdict(mine)),
    )
    event_record(actor=user, action=AuditAction.DOCUMENT_SIGNED, region=document.programme.region,
                 version=revision.version,
                 details={"sha256": digest, "parent_sha256": revision.sha256, "field": field_name,
                          "certificate": mine.signer_fingerprint_sha256})
    return new


def fill_prefix(step: str) -> str:
    return f"isi_{step}_"


def step_fills(revision: StoredPdf, step: str, values: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """(field, value) for every blank of the document that ``step`` fills."""
    prefix = fill_prefix(step)
    fills = []
    for name in revision.fill_fields or []:
        if not name.startswith(prefix):
            continue
        what = name[len(prefix):]
        if what not in values:
            raise SigningRefused(VERIFICATION_FAILED % {"why": f"tidak ada isian untuk {name}"})
        fills.append((name, str(values[what])))
    return tuple(fills)


def _signer_fingerprints(revision: StoredPdf) -> list[str]:
    return list(
        SignatureRecord.objects.filter(pdf__version=revision.version, pdf__revision__lte=revision.revision)
        .order_by("pdf__revision")
        .values_list("certificate_fingerprint", flat=True)
    )


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value
