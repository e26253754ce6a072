"""Is this PDF one of ours, intact, signed by the right people, and chained to its stages?"""

import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError

from . import pdfsafety, provenance
from .models import Document, ParafCopy, SignatureRecord, StoredPdf, VerificationCount
from .signatures import trust_roots
from .signing import VerificationReport, verify_pdf
from .stored_files import open_stored
from .uploads import TOO_LARGE, format_size, hostile_pdf_error

logger = logging.getLogger(__name__)

MAX_VERIFY_BYTES = 10 * 1024 * 1024  # a Sepakat PDF is a few hundred KB; anything bigger is not one of ours
MAX_DATA_BYTES = 2 * 1024 * 1024  # the embedded sepakat-data.json, decompressed
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,43}")

DATA_ATTACHMENT = "sepakat-data.json"
UNKNOWN_DOCUMENT = _("Berkas ini tidak tercatat di Sepakat: tidak ada dokumen dengan hash ini.")
DATA_MISMATCH = _("Data yang tertanam dalam PDF tidak cocok dengan data yang dicatat.")
NO_DATA = _("PDF ini tidak memuat data tahap (sepakat-data.json).")
CHAIN_UNKNOWN = _("Dokumen tahap sebelumnya (%(sha)s) tidak dikenal.")
CHAIN_OTHER_PROGRAMME = _("Dokumen tahap sebelumnya berasal dari program daerah lain.")
CHAIN_NOT_FINAL = _("Dokumen tahap sebelumnya bukan dokumen final.")
CHAIN_INVALID = _("Tanda tangan dokumen tahap sebelumnya tidak sah.")
CHAIN_FILE_MISMATCH = _("Berkas tahap sebelumnya yang tersimpan tidak cocok dengan hash yang dicatat.")
NOT_FINAL = _("Ini bukan dokumen final tahap ini (revisi %(revision)s); tanda tangan belum lengkap.")
DATA_TOO_LARGE = _(
    "Data yang tertanam dalam PDF (sepakat-data.json) mengembang menjadi lebih dari %(limit)s saat dibuka; "
    "data itu tidak dibaca. Dokumen Sepakat tidak pernah sebesar itu."
)
NOT_FOUND = _(
    "Dokumen dengan kode verifikasi ini tidak ditemukan. Periksa kembali kode pada dokumen, "
    "pindai ulang kode QR-nya, atau unggah berkas PDF-nya."
)


@dataclass
class ChainLink:
    label: str
    identifier: str
    sha256: str
    ok: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class PrintedHash:
    """A value printed on the paper copy, what this page computed it from, and whether they agree."""

    label: str  # as printed on the document
    printed: str  # the value the document carries
    computed: str  # what Sepakat computed now ("" when there was nothing to compute from)
    source: str  # what ``computed`` was computed from
    ok: bool


@dataclass
class Verification:
    sha256: str
    report: VerificationReport
    stored: StoredPdf | None
    problems: list[str]
    chain: list[ChainLink]
    refused: bool = False  # the file was not read (a bomb, too many revisions, ...): problems say why
    printed: list[PrintedHash] = field(default_factory=list)  # the footer's and approval sheet's values

    @property
    def genuine(self) -> bool:
        return self.report.valid and self.stored is not None and not self.problems and all(c.ok for c in self.chain)

    @property
    def signers(self) -> list[dict]:
        """Each signature with the signer's post as recorded when they signed."""
        fingerprints = [s.signer_fingerprint_sha256 for s in self.report.signatures]
        posts = dict(
            SignatureRecord.objects.filter(certificate_fingerprint__in=fingerprints).values_list(
                "certificate_fingerprint", "signer_post"
            )
        )
        return [{"report": s, "post": posts.get(s.signer_fingerprint_sha256, "")} for s in self.report.signatures]

    @property
    def all_problems(self) -> list[str]:
        reasons = [*map(str, self.report.problems)]
        for signature in self.report.signatures:
            reasons += [f"{signature.signer_name}: {p}" for p in signature.problems]
        reasons += [str(p) for p in self.problems]
        for link in self.chain:
            reasons += [f"{link.label}: {p}" for p in link.problems]
        return reasons


class DataTooLarge(Exception):
    """The embedded data JSON inflates past MAX_DATA_BYTES."""


def embedded_data(content: bytes) -> bytes | None:
    """The embedded sepakat-data.json, inflated to at most MAX_DATA_BYTES (DataTooLarge beyond)."""
    try:
        with pdfsafety.bounded_pypdf(), apply_configuration(zlib_maximum_output_length=MAX_DATA_BYTES,
                                                             stream_decoding_work_maximum_length=MAX_DATA_BYTES):
            files = PdfReader(io.BytesIO(content)).attachments.get(DATA_ATTACHMENT)
            data = files[0] if files else None
    except LimitReachedError as error:
        raise DataTooLarge from error
    except Exception:  # noqa: BLE001 - an unreadable PDF simply has no data for us
        return None
    if data is not None and len(data) > MAX_DATA_BYTES:  # uncompressed, or another filter
        raise DataTooLarge
    return data


def refusal(content: bytes) -> str | None:
    """Why ``content`` must not be read at all (oversized, a bomb, too many revisions), or None.

    Runs on the raw bytes in bounded memory and time, before pypdf or pyHanko see the file.
    """
    if len(content) > MAX_VERIFY_BYTES:
        return str(TOO_LARGE % {"size": format_size(len(content)), "limit": format_size(MAX_VERIFY_BYTES)})
    try:
        pdfsafety.scan_streams(content)
    except pdfsafety.HostilePdf as error:
        return " ".join(hostile_pdf_error(error.reason).messages)
    return None


def verify_content(content: bytes, *, at=None) -> Verification:
    """Verify a PDF: bounded whatever the file (size and streams checked first, pyHanko and pypdf
    then run under agreements.pdfsafety's limits), and never raises on bad input.

    ``at`` (an aware datetime): check as of that moment instead of now (``verify_artifact --at``)."""
    digest = hashlib.sha256(content).hexdigest()
    refused = refusal(content)
    if refused:
        logger.info("verification refused to read %s: %s", digest, refused)
        return Verification(sha256=digest, report=VerificationReport(signatures=(), problems=()), stored=None,
                            problems=[refused], chain=[], refused=True)
    report = verify_pdf(content, trust_roots_pem=trust_roots(), decode_limits=pdfsafety.PYHANKO_DECODE_LIMITS,
                        validation_time=at)
    stored = StoredPdf.objects.filter(sha256=digest).select_related("document__programme__region").first()
    problems: list[str] = []
    try:
        data = embedded_data(content)
        too_large = False
    except DataTooLarge:
        data, too_large = None, True
    if stored is None:
        problems.append(str(UNKNOWN_DOCUMENT))
    elif not stored.is_final:
        problems.append(str(NOT_FINAL % {"revision": stored.revision}))
    if stored is not None:
        problems += provenance.signature_problems(stored, report)
    if too_large:
        problems.append(str(DATA_TOO_LARGE % {"limit": format_size(MAX_DATA_BYTES)}))
    elif data is None:
        problems.append(str(NO_DATA))
    elif stored is not None and hashlib.sha256(data).hexdigest() != stored.data_sha256:
        problems.append(str(DATA_MISMATCH))
    chain = _chain(stored, data, at)
    return Verification(sha256=digest, report=report, stored=stored, problems=problems, chain=chain,
                        printed=printed_hashes(digest, stored, data, chain))


def _read(stored: StoredPdf) -> bytes:
    with open_stored(stored.file) as handle:
        return handle.read()


def _newest_renewal(final: StoredPdf) -> StoredPdf:
    """The newest archive renewal of a final revision (itself when it has none)."""
    current = final
    while True:
        following = StoredPdf.objects.filter(version_id=current.version_id, revision=current.revision + 1,
                                             parent_sha256=current.sha256, is_final=True).first()
        if following is None:
            return current
        current = following


def _chain(stored: StoredPdf | None, data: bytes | None, at=None) -> list[ChainLink]:
    """Walk back through the stages, from the hash each document carries of the one before."""
    links: list[ChainLink] = []
    previous_sha = _previous_sha(data) if data else (stored.previous_stage_sha256 if stored else "")
    programme_id = stored.document.programme_id if stored else None
    while previous_sha:
        earlier = StoredPdf.objects.filter(sha256=previous_sha).select_related("document").first()
        if earlier is None:
            links.append(ChainLink("?", "?", previous_sha, False, [str(CHAIN_UNKNOWN % {"sha": previous_sha[:16]})]))
            break
        problems = []
        if programme_id is not None and earlier.document.programme_id != programme_id:
            problems.append(str(CHAIN_OTHER_PROGRAMME))
        if not earlier.is_final:
            problems.append(str(CHAIN_NOT_FINAL))
        # The document names the final revision as it was when this stage was rendered; archive renewals
        # since hold the same bytes and more (the newer archive timestamps keep it verifiable): check the newest.
        renewed = _newest_renewal(earlier)
        content, checked = _read(earlier), _read(renewed)
        if hashlib.sha256(content).hexdigest() != earlier.sha256 or \
                hashlib.sha256(checked).hexdigest() != renewed.sha256 or not checked.startswith(content):
            problems.append(str(CHAIN_FILE_MISMATCH))
        else:
            earlier_report = verify_pdf(checked, trust_roots_pem=trust_roots(),
                                        decode_limits=pdfsafety.PYHANKO_DECODE_LIMITS, validation_time=at)
            if not earlier_report.valid:
                problems.append(str(CHAIN_INVALID))
            problems += provenance.signature_problems(renewed, earlier_report)
        links.append(ChainLink(earlier.document.get_kind_display(), earlier.document.identifier, earlier.sha256,
                               not problems, problems))
        previous_sha = earlier.previous_stage_sha256
    return links


def printed_hashes(digest: str, stored: StoredPdf | None, data: bytes | None,
                   chain: list[ChainLink]) -> list[PrintedHash]:
    """Every hash and code the document prints, next to what it is computed from, for a reader of the paper copy.

    The footer of every page prints the verification code, the SHA-256 of the document's data and
    (after the first stage) of the previous stage's final PDF; the approval sheet prints the
    SHA-256 of each file initialled.
    """
    rows = [PrintedHash(str(_("SHA-256 berkas PDF ini")), stored.sha256 if stored else "", digest,
                        str(_("seluruh berkas PDF yang diperiksa, byte demi byte")), stored is not None)]
    try:
        fields = json.loads(data) if data else {}
    except ValueError:
        fields = {}
    if not isinstance(fields, dict):
        fields = {}
    if data is not None:
        recorded = stored.data_sha256 if stored else ""
        computed = hashlib.sha256(data).hexdigest()
        rows.append(PrintedHash(str(_("SHA-256 data dokumen (kaki setiap halaman)")), recorded or computed, computed,
                                str(_("lampiran sepakat-data.json di dalam PDF ini (%(size)s bita)")
                                    % {"size": len(data)}), bool(recorded) and recorded == computed))
    code = str(fields.get("verification_code") or "")
    if code:
        expected = stored.document.verification_token if stored else ""
        rows.append(PrintedHash(str(_("Kode verifikasi (kaki setiap halaman, kode QR)")), code, expected,
                                str(_("kode verifikasi yang dicatat Sepakat untuk dokumen ini")),
                                bool(expected) and expected == code))
    previous = str(fields.get("previous_stage_sha256") or "")
    if previous:
        link = chain[0] if chain else None
        rows.append(PrintedHash(
            str(_("SHA-256 dokumen final tahap sebelumnya (kaki setiap halaman)")), previous,
            link.sha256 if link and link.ok else "",
            str(_("berkas PDF final %(label)s %(identifier)s yang disimpan Sepakat")
                % {"label": link.label, "identifier": link.identifier}) if link else str(_("tidak ada")),
            bool(link and link.ok and link.sha256 == previous)))
    for entry in fields.get("paraf") or []:
        if isinstance(entry, dict) and entry.get("sha256"):
            rows.append(_paraf_row(entry, stored))
    return rows


def _paraf_row(entry: dict, stored: StoredPdf | None) -> PrintedHash:
    printed = str(entry["sha256"])
    label = str(_("Berkas yang diparaf %(name)s (lembar persetujuan)") % {"name": entry.get("name", "")})
    copy = ParafCopy.objects.filter(sha256=printed, version__document=stored.document).first() if stored else None
    if copy is None:
        return PrintedHash(label, printed, "", str(_("tidak ada berkas paraf dengan hash ini")), False)
    with open_stored(copy.file) as fh:
        computed = hashlib.sha256(fh.read()).hexdigest()
    source = _("berkas PDF versi %(version)s yang diparaf, disimpan Sepakat") % {"version": copy.version.number}
    return PrintedHash(label, printed, computed, str(source), computed == printed)


def _previous_sha(data: bytes) -> str:
    try:
        return json.loads(data).get("previous_stage_sha256", "")
    except (ValueError, AttributeError):
        return ""


def document_by_token(token: str) -> Document | None:
    """The document whose verification code is ``token``; None for anything else.

    Only the unguessable code opens a document: its identifier (KIND-region-year-pk), its primary
    key or a guess get the same None as an unknown code, so the page cannot be used to enumerate.
    """
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        return None
    return Document.objects.select_related("programme__region").filter(verification_token=token).first()


def count_verification(*, document: Document | None, channel: str, outcome: str) -> None:
    """Add one to today's counter (VerificationCount): bounded, outside the hash-chained audit log."""
    key = {"day": timezone.localdate(), "document": document, "channel": channel, "outcome": outcome}
    if VerificationCount.objects.filter(**key).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            VerificationCount.objects.create(**key, count=1)
    except IntegrityError:  # created meanwhile by a concurrent request
        VerificationCount.objects.filter(**key).update(count=F("count") + 1)


def verify_document(document: Document) -> Verification | None:
    stored = StoredPdf.objects.filter(document=document).order_by("-is_final", "-created").first()
    if stored is None:
        return None
    with open_stored(stored.file) as stored_file:
        return verify_content(stored_file.read())
