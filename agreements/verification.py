"""Is this PDF one of ours, intact, signed by the right people, and chained to its stages?"""

import hashlib
import io
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader

from .models import Document, SignatureRecord, StoredPdf
from .signatures import trust_roots
from .signing import VerificationReport, verify_pdf

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


@dataclass
class ChainLink:
    label: str
    identifier: str
    sha256: str
    ok: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class Verification:
    sha256: str
    report: VerificationReport
    stored: StoredPdf | None
    problems: list[str]
    chain: list[ChainLink]

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


def embedded_data(content: bytes) -> bytes | None:
    try:
        attachments = PdfReader(io.BytesIO(content)).attachments
    except Exception:  # noqa: BLE001 - an unreadable PDF simply has no data for us
        return None
    files = attachments.get(DATA_ATTACHMENT)
    return files[0] if files else None


def verify_content(content: bytes) -> Verification:
    digest = hashlib.sha256(content).hexdigest()
    report = verify_pdf(content, trust_roots_pem=trust_roots())
    stored = StoredPdf.objects.filter(sha256=digest).select_related("document__programme__region").first()
    problems: list[str] = []
    data = embedded_data(content)
    if stored is None:
        problems.append(str(UNKNOWN_DOCUMENT))
    elif not stored.is_final:
        problems.append(str(NOT_FINAL % {"revision": stored.revision}))
    if data is None:
        problems.append(str(NO_DATA))
    elif stored is not None and hashlib.sha256(data).hexdigest() != stored.data_sha256:
        problems.append(str(DATA_MISMATCH))
    chain = _chain(stored, data)
    return Verification(sha256=digest, report=report, stored=stored, problems=problems, chain=chain)


def _chain(stored: StoredPdf | None, data: bytes | None) -> list[ChainLink]:
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
        with earlier.file.open("rb") as stored_file:
            content = stored_file.read()
        if hashlib.sha256(content).hexdigest() != earlier.sha256:
            problems.append(str(CHAIN_FILE_MISMATCH))
        elif not verify_pdf(content, trust_roots_pem=trust_roots()).valid:
            problems.append(str(CHAIN_INVALID))
        links.append(ChainLink(earlier.document.get_kind_display(), earlier.document.identifier, earlier.sha256,
                               not problems, problems))
        previous_sha = earlier.previous_stage_sha256
    return links


def _previous_sha(data: bytes) -> str:
    try:
        return json.loads(data).get("previous_stage_sha256", "")
    except (ValueError, AttributeError):
        return ""


def document_by_identifier(identifier: str) -> Document | None:
    """MOU-kota-banjar-2024-3 -> that document (the identifier must match exactly)."""
    pk = identifier.rsplit("-", 1)[-1]
    if not pk.isdigit():
        return None
    document = Document.objects.select_related("programme__region").filter(pk=int(pk)).first()
    return document if document and document.identifier == identifier else None


def verify_document(document: Document) -> Verification | None:
    stored = StoredPdf.objects.filter(document=document).order_by("-is_final", "-created").first()
    if stored is None:
        return None
    with stored.file.open("rb") as stored_file:
        return verify_content(stored_file.read())
