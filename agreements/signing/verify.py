"""Verify every signature of a PDF with pyHanko's validator.

A signature is ok when it is intact, cryptographically valid, its certificate chains to one of
the given trust roots, its timestamp token is valid and trusted, and pyHanko's difference
analysis judges everything appended after it to be no worse than form filling (more signatures,
their fields and appearances). Bad input never raises: it yields ``valid=False`` with reasons.
The reasons are Indonesian module constants shown by the UI and the CLI.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.decode_limits import DecodeLimits
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

# Document-level problems.
MSG_UNREADABLE = "Berkas bukan PDF yang dapat dibaca."
MSG_NO_SIGNATURES = "Dokumen tidak memiliki tanda tangan elektronik."
MSG_NO_TRUST_ROOTS = "Tidak ada sertifikat akar tepercaya untuk memeriksa tanda tangan."
MSG_BAD_TRUST_ROOT = "Salah satu sertifikat akar tepercaya tidak dapat dibaca."
MSG_SIGNER_COUNT_MISMATCH = "Jumlah tanda tangan ({found}) tidak sama dengan yang diharapkan ({expected})."
MSG_SIGNER_MISMATCH = "Tanda tangan ke-{position} bukan dari penanda tangan yang diharapkan."
MSG_TOO_MANY_SIGNATURES = "Dokumen memuat lebih dari {limit} tanda tangan dan cap waktu arsip; tidak diperiksa."

# Each signature and archive timestamp costs a validation: a file naming thousands (fields may share one
# signature dictionary) is refused before any. A Sepakat document has at most four signatures and one
# archive timestamp per renewal (about one a decade with the local TSA).
MAX_SIGNATURE_FIELDS = 64

# Per-signature problems.
MSG_NOT_INTACT = "Bagian dokumen yang ditandatangani telah diubah; tanda tangan tidak utuh."
MSG_INVALID = "Tanda tangan tidak sah secara kriptografis."
MSG_UNTRUSTED = "Sertifikat penanda tangan tidak dipercaya."
MSG_NO_TIMESTAMP = "Tanda tangan tidak memiliki cap waktu dari otoritas cap waktu."
MSG_BAD_TIMESTAMP = "Cap waktu tanda tangan tidak sah atau tidak dipercaya."
MSG_MODIFIED = "Isi dokumen diubah setelah ditandatangani."
MSG_MODIFICATION_UNKNOWN = "Perubahan dokumen setelah ditandatangani tidak dapat dinilai."
MSG_COVERAGE = "Tanda tangan tidak mencakup seluruh revisi dokumen yang ditandatanganinya."
MSG_CHECK_FAILED = "Tanda tangan tidak dapat diperiksa."

# Archive (document) timestamps: PAdES B-LTA.
MSG_ARCHIVE_BROKEN = "Cap waktu arsip {field} tidak utuh atau tidak sah."
MSG_ARCHIVE_UNTRUSTED = "Cap waktu arsip {field} bukan dari otoritas cap waktu yang dipercaya."

# A TSA's clock may be a little ahead of ours: an archive timestamp up to this far "in the future" still counts.
CLOCK_TOLERANCE = timedelta(minutes=5)

# Worst modification level still acceptable after a signature: later signatures and form filling.
ACCEPTABLE_MODIFICATION = ModificationLevel.FORM_FILLING
UNKNOWN_LEVEL = "UNKNOWN"


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer_name: str
    signer_serial: int
    signer_fingerprint_sha256: str  # lower-case hex, no separators (as authority.fingerprint_sha256)
    signing_time: datetime | None  # claimed by the signer (/M); not proof
    timestamp_time: datetime | None  # from the TSA token; proof that the signature existed then
    intact: bool
    valid: bool
    trusted: bool
    modification_level: str  # "NONE", "LTA_UPDATES", "FORM_FILLING", "ANNOTATIONS", "OTHER" or "UNKNOWN"
    problems: tuple[str, ...]
    # SHA-256 of the file as this signature left it (the bytes up to the end of its byte range):
    # the revision Sepakat stored and named in the signature's ``document.signed`` event.
    revision_sha256: str = ""
    # True when the signer's certificate no longer held at the time of checking and was judged at the
    # timestamp's time instead (the TSA vouching, as of the check, that the signature existed then).
    judged_at_timestamp: bool = False

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.problems


@dataclass(frozen=True)
class ArchiveTimestampReport:
    """One document timestamp (PAdES B-LTA): it vouches that everything before it existed at ``time``."""

    field_name: str
    time: datetime | None
    tsa_name: str
    tsa_not_after: datetime | None  # renew before this (archive_renew)
    intact: bool
    trusted: bool
    judged_at: datetime | None  # when its certificate was judged: the next archive timestamp's time, or the check's
    covers_up_to: int = 0  # byte offset: what it covers
    revision_sha256: str = ""
    lapsed: bool = False  # not trusted only because its certificate had ended by ``judged_at``


@dataclass(frozen=True)
class VerificationReport:
    signatures: tuple[SignatureReport, ...]
    problems: tuple[str, ...]
    archive_timestamps: tuple[ArchiveTimestampReport, ...] = ()

    @property
    def valid(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in self.signatures) and not self.problems

    @property
    def all_problems(self) -> tuple[str, ...]:
        """Document problems, then each signature's problems prefixed with its field name."""
        return self.problems + tuple(f"{s.field_name}: {p}" for s in self.signatures for p in s.problems)


def normalise_fingerprint(value: str) -> str:
    return value.replace(":", "").replace(" ", "").strip().lower()


def _load_roots(trust_roots_pem: Sequence[bytes]) -> tuple[list[asn1_x509.Certificate], list[str]]:
    roots: list[asn1_x509.Certificate] = []
    problems: list[str] = []
    for data in trust_roots_pem:
        try:
            if pem.detect(data):
                blocks = [der for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
            else:
                blocks = [data]
            if not blocks:
                raise ValueError("no certificate")
            for der in blocks:
                cert = asn1_x509.Certificate.load(der)
                cert.native  # noqa: B018 - force a full parse so garbage fails here, not later
                roots.append(cert)
        except Exception:
            problems.append(MSG_BAD_TRUST_ROOT)
    return roots, problems


def _level_name(level) -> str:
    return level.name if level is not None else UNKNOWN_LEVEL


def _cert_identity(cert) -> tuple[str, int, str]:
    if cert is None:
        return "", 0, ""
    try:
        name = cert.subject.native.get("common_name", "") or cert.subject.human_friendly
    except Exception:
        name = ""
    return str(name), int(cert.serial_number), cert.sha256.hex()


def _field_name(embedded_sig) -> str:
    try:
        return str(embedded_sig.field_name)
    except Exception:
        return ""


def _revision_sha256(pdf: bytes, embedded_sig) -> str:
    try:
        start = int(embedded_sig.byte_range[0])
    except Exception:
        return ""
    end = _covered_end(embedded_sig)
    if start != 0 or not 0 < end <= len(pdf):
        return ""
    return hashlib.sha256(pdf[:end]).hexdigest()


def _context(roots, moment: datetime | None) -> ValidationContext:
    """Offline (no fetching), revocation soft-fail: judged ``moment`` (None: now)."""
    return ValidationContext(trust_roots=list(roots), moment=moment, allow_fetching=False, revocation_mode="soft-fail")


def _validated(embedded_sig, roots, moment: datetime | None, *, timestamp_moment: datetime | None = None):
    """pyHanko's verdict with a fresh context per signature: no fetching (offline), revocation soft-fail.

    The signer's certificate is judged at ``moment`` (None: now), the timestamp token at
    ``timestamp_moment`` (the same moment unless given).
    """
    context = _context(roots, moment)
    ts_context = context if timestamp_moment is None else _context(roots, timestamp_moment)
    return validate_pdf_signature(embedded_sig, signer_validation_context=context, ts_validation_context=ts_context)


def _check_signature(
    embedded_sig, roots: list[asn1_x509.Certificate], require_timestamp: bool, validation_time: datetime | None,
    archives: Sequence[ArchiveTimestampReport] = (),
) -> SignatureReport:
    field_name = _field_name(embedded_sig)
    try:
        signer_cert = embedded_sig.signer_cert
    except Exception:
        signer_cert = None
    name, serial, fingerprint = _cert_identity(signer_cert)
    judged_at_timestamp = False
    try:
        status = _validated(embedded_sig, roots, validation_time)
        stamp = status.timestamp_validity
        if stamp is not None and stamp.intact and stamp.valid and not (status.trusted and stamp.trusted):
            # The TSA vouches that the signature existed at stamp.timestamp: judge the signer's certificate
            # then, so a genuine signature stays genuine after the certificate expires. The TSA's own word is
            # judged now, or, once its certificate has expired too, at the time of the earliest trusted archive
            # timestamp covering the signature (which proves the token existed while that certificate held).
            # Revocation since is Sepakat's own record to check (agreements.provenance).
            vouched_at = (validation_time or datetime.now(UTC)) if stamp.trusted else \
                _archive_proof_time(embedded_sig, archives)
            if vouched_at is not None:
                at_stamp = _validated(embedded_sig, roots, stamp.timestamp, timestamp_moment=vouched_at)
                if at_stamp.trusted and at_stamp.timestamp_validity is not None and \
                        at_stamp.timestamp_validity.trusted:
                    status, judged_at_timestamp = at_stamp, True
    except Exception:  # malformed signatures raise many kinds of errors
        return SignatureReport(
            field_name=field_name,
            signer_name=name,
            signer_serial=serial,
            signer_fingerprint_sha256=fingerprint,
            signing_time=None,
            timestamp_time=None,
            intact=False,
            valid=False,
            trusted=False,
            modification_level=UNKNOWN_LEVEL,
            problems=(MSG_CHECK_FAILED,),
        )

    problems: list[str] = []
    if not status.intact:
        problems.append(MSG_NOT_INTACT)
    elif not status.valid:
        problems.append(MSG_INVALID)
    if not status.trusted:
        problems.append(MSG_UNTRUSTED)

    ts = status.timestamp_validity
    if ts is None:
        if require_timestamp:
            problems.append(MSG_NO_TIMESTAMP)
    elif not (ts.intact and ts.valid and ts.trusted):
        problems.append(MSG_BAD_TIMESTAMP)

    if status.coverage not in (SignatureCoverageLevel.ENTIRE_REVISION, SignatureCoverageLevel.ENTIRE_FILE):
        problems.append(MSG_COVERAGE)
    level = status.modification_level
    if level is None:
        problems.append(MSG_MODIFICATION_UNKNOWN)
    elif level > ACCEPTABLE_MODIFICATION or status.docmdp_ok is False:
        problems.append(MSG_MODIFIED)

    return SignatureReport(
        field_name=field_name,
        signer_name=name,
        signer_serial=serial,
        signer_fingerprint_sha256=fingerprint,
        signing_time=status.signer_reported_dt,
        timestamp_time=ts.timestamp if ts is not None else None,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        modification_level=_level_name(level),
        problems=tuple(dict.fromkeys(problems)),
        judged_at_timestamp=judged_at_timestamp,
    )


def _covered_end(embedded_sig) -> int:
    try:
        _start, _first, second_start, second = (int(v) for v in embedded_sig.byte_range)
    except Exception:
        return 0
    return second_start + second


def _archive_proof_time(embedded_sig, archives: Sequence[ArchiveTimestampReport]) -> datetime | None:
    """The time of the earliest trusted archive timestamp that covers ``embedded_sig``; None without one."""
    end = _covered_end(embedded_sig)
    for archive in archives:
        if archive.trusted and archive.time is not None and end and archive.covers_up_to >= end:
            return archive.time
    return None


def _stamp_status(embedded, roots, moment: datetime):
    return validate_pdf_timestamp(embedded, validation_context=_context(roots, moment))


def _tsa_identity(embedded) -> tuple[str, datetime | None]:
    try:
        certificate = embedded.signer_cert
        return _cert_identity(certificate)[0], certificate.not_valid_after
    except Exception:  # a malformed token: reported as not intact by the validation
        return "", None


def _stamp_intact(status) -> bool:
    """The document timestamp matches the bytes it covers, covers its whole revision, and what follows it is
    no more than validation data and later archive timestamps."""
    level = status.modification_level
    return bool(status.intact and status.valid
                and status.coverage in (SignatureCoverageLevel.ENTIRE_REVISION, SignatureCoverageLevel.ENTIRE_FILE)
                and level is not None and level <= ModificationLevel.LTA_UPDATES and status.docmdp_ok is not False)


def _check_archives(pdf: bytes, stamps, roots, validation_time: datetime | None) -> list[ArchiveTimestampReport]:
    """Judge the document timestamps from the last back: the last at ``validation_time`` (now), each
    earlier one at its successor's time, as long as the successor held (ETSI EN 319 102-1, 5.6.3).

    Every one must be intact (its bytes, its whole revision, nothing but validation data after it), and in file
    order each must cover more than the one before and not be older than it: a copy of a genuine timestamp
    placed later, or one back-dated, breaks the chain instead of extending it."""
    now = validation_time or datetime.now(UTC)
    facts = []
    for embedded in stamps:
        tsa_name, tsa_not_after = _tsa_identity(embedded)
        try:
            status = _stamp_status(embedded, roots, now)
            intact, when = _stamp_intact(status), status.timestamp
        except Exception:
            status, intact, when = None, False, None
        facts.append({"embedded": embedded, "status": status, "intact": intact, "time": when, "tsa": tsa_name,
                      "not_after": tsa_not_after, "end": _covered_end(embedded)})
    for before, after in zip(facts, facts[1:], strict=False):
        if after["end"] <= before["end"] or (before["time"] and after["time"] and after["time"] < before["time"]):
            after["intact"] = False
    reports: list[ArchiveTimestampReport] = []
    judge_at: datetime | None = now
    for fact in reversed(facts):
        trusted = False
        judged_at = judge_at
        if judge_at is not None and fact["intact"] and fact["time"] is not None \
                and fact["time"] <= judge_at + CLOCK_TOLERANCE:
            try:
                status = fact["status"] if judge_at == now else _stamp_status(fact["embedded"], roots, judge_at)
                trusted = bool(status.trusted)
            except Exception:
                trusted = False
        embedded = fact["embedded"]
        reports.append(ArchiveTimestampReport(
            field_name=_field_name(embedded), time=fact["time"], tsa_name=fact["tsa"], tsa_not_after=fact["not_after"],
            intact=fact["intact"], trusted=trusted, judged_at=judged_at, covers_up_to=fact["end"],
            revision_sha256=_revision_sha256(pdf, embedded),
            lapsed=bool(not trusted and fact["intact"] and judged_at and fact["not_after"]
                        and fact["not_after"] < judged_at)))
        judge_at = fact["time"] if trusted else None  # nothing before a link that does not hold is vouched for
    return sorted(reports, key=lambda r: r.covers_up_to)


def _archive_problems(archives: Sequence[ArchiveTimestampReport]) -> list[str]:
    """A document timestamp that does not hold together (its bytes, its coverage, its place) is a problem, and
    so is one that never chained to a trusted root. One that has merely lapsed (its certificate ended, no
    newer one vouches for it) is shown as such; the signatures that needed it fail on their own."""
    problems = []
    for archive in archives:
        if not archive.intact:
            problems.append(MSG_ARCHIVE_BROKEN.format(field=archive.field_name))
        elif not archive.trusted and not archive.lapsed and archive.judged_at is not None:
            problems.append(MSG_ARCHIVE_UNTRUSTED.format(field=archive.field_name))
    return problems


def verify_pdf(
    pdf: bytes,
    *,
    trust_roots_pem: Sequence[bytes],
    expected_fingerprints: Sequence[str] | None = None,
    require_timestamp: bool = True,
    validation_time: datetime | None = None,
    decode_limits: DecodeLimits | None = None,
) -> VerificationReport:
    """Check every signature of ``pdf`` (in signing order). Never raises on bad input.

    ``validation_time`` (aware datetime) checks as of that moment instead of now (``verify_artifact --at``).
    A signature whose certificate is no longer valid then, but whose timestamp is, is judged at its
    timestamp's time: the TSA proves it was made while the certificate was valid.
    ``decode_limits`` bounds how much pyHanko may inflate (pyHanko's defaults for untrusted input
    when omitted; the public verifier passes tighter ones, agreements.pdfsafety).
    """
    roots, problems = _load_roots(trust_roots_pem)
    if not roots:
        problems.append(MSG_NO_TRUST_ROOTS)
    pdf = bytes(pdf)
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False, decode_limits=decode_limits)
        embedded = list(reader.embedded_regular_signatures)
        stamps = list(reader.embedded_timestamp_signatures)
    except Exception:  # not a PDF, truncated, encrypted, ...
        return VerificationReport(signatures=(), problems=(*problems, MSG_UNREADABLE))
    if len(embedded) + len(stamps) > MAX_SIGNATURE_FIELDS:
        return VerificationReport(signatures=(), problems=(
            *problems, MSG_TOO_MANY_SIGNATURES.format(limit=MAX_SIGNATURE_FIELDS)))

    archives = _check_archives(pdf, stamps, roots, validation_time) if stamps else []
    reports = tuple(
        dataclasses.replace(_check_signature(sig, roots, require_timestamp, validation_time, archives),
                            revision_sha256=_revision_sha256(pdf, sig))
        for sig in embedded
    )
    problems += _archive_problems(archives)
    if not reports:
        problems.append(MSG_NO_SIGNATURES)

    if expected_fingerprints is not None:
        expected = [normalise_fingerprint(f) for f in expected_fingerprints]
        if len(expected) != len(reports):
            problems.append(MSG_SIGNER_COUNT_MISMATCH.format(found=len(reports), expected=len(expected)))
        for position, (want, report) in enumerate(zip(expected, reports, strict=False), start=1):
            if report.signer_fingerprint_sha256 != want:
                problems.append(MSG_SIGNER_MISMATCH.format(position=position))

    return VerificationReport(signatures=reports, problems=tuple(dict.fromkeys(problems)),
                              archive_timestamps=tuple(archives))
