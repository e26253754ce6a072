"""Validate an uploaded PDF by its content, never by its name or the browser's content type.

``check_pdf_upload`` turns a Django ``UploadedFile`` into a ``CheckedPdf``
(cleaned name, size, SHA-256, bytes) or raises ``ValidationError`` with an
Indonesian message saying what is wrong, e.g. that the "PDF" is really a PNG
image or a program. ``PdfUploadField`` does the same inside a form.
"""

import contextlib
import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader
from pypdf.errors import LimitReachedError

from . import pdfsafety
from .pdfsafety import HostilePdf, active_content, bounded_pypdf, scan_streams

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_NAME_LENGTH = 200
PDF_MAGIC = b"%PDF-"
MAX_LEADING_BYTES = 1024  # PDF readers accept up to 1024 bytes of junk before "%PDF-"
READ_CHUNK = 64 * 1024

EMPTY_FILE = _("Berkas kosong. Pilih berkas PDF yang berisi dokumen.")
TOO_LARGE = _("Berkas terlalu besar (%(size)s). Batasnya %(limit)s.")
NOT_A_PDF = _("Berkas ini bukan PDF (isinya %(kind)s). Unggah dokumen dalam format PDF.")
DAMAGED_PDF = _("Berkas PDF ini rusak atau tidak dapat dibaca.")
ENCRYPTED_PDF = _(
    "Berkas PDF ini dilindungi kata sandi atau dienkripsi. "
    "Simpan ulang tanpa kata sandi atau enkripsi, lalu unggah lagi."
)
NO_PAGES = _("Berkas PDF ini tidak berisi satu halaman pun.")
PDF_BOMB = _(
    "Berkas PDF ini ditolak: isinya yang dimampatkan akan mengembang menjadi lebih dari %(limit)s "
    "saat dibuka (bom dekompresi). Dokumen yang wajar tidak seperti ini."
)
TOO_MANY_PAGES = _("Berkas PDF ini ditolak: halamannya terlalu banyak (batasnya %(limit)s halaman).")
TOO_MANY_REVISIONS = _("Berkas PDF ini ditolak: revisinya (pembaruan bertahap) terlalu banyak, lebih dari %(limit)s.")
TOO_COMPLEX = _(
    "Berkas PDF ini ditolak: susunannya terlalu rumit untuk diperiksa (objek terlalu banyak atau terlalu dalam)."
)

# Active content: what the file would run or carry when opened (%(why)s of ACTIVE_CONTENT).
ACTIVE_CONTENT = _(
    "%(why)s Berkas seperti ini tidak diterima. Simpan ulang dokumen sebagai PDF biasa "
    "(mis. dengan \"Cetak ke PDF\"), lalu unggah lagi."
)
ACTIVE_JAVASCRIPT = _("Berkas PDF ini memuat JavaScript yang dijalankan oleh pembaca PDF.")
ACTIVE_LAUNCH = _("Berkas PDF ini memuat perintah untuk menjalankan program atau membuka berkas lain (/Launch).")
ACTIVE_OPEN_ACTION = _("Berkas PDF ini menjalankan tindakan otomatis saat dibuka (/OpenAction).")
ACTIVE_ADDITIONAL_ACTION = _(
    "Berkas PDF ini menjalankan tindakan otomatis saat halaman, kolom, atau dokumen dibuka atau ditutup (/AA)."
)
ACTIVE_EMBEDDED_FILE = _("Berkas PDF ini membawa berkas lain di dalamnya (lampiran tertanam).")
ACTIVE_EXECUTABLE = _("Berkas PDF ini membawa program yang dapat dijalankan di dalamnya.")
ACTIVE_RICH_MEDIA = _("Berkas PDF ini memuat media aktif (video, suara, atau Flash).")
ACTIVE_MESSAGES = {
    pdfsafety.EXECUTABLE: ACTIVE_EXECUTABLE,
    pdfsafety.LAUNCH: ACTIVE_LAUNCH,
    pdfsafety.JAVASCRIPT: ACTIVE_JAVASCRIPT,
    pdfsafety.EMBEDDED_FILE: ACTIVE_EMBEDDED_FILE,
    pdfsafety.RICH_MEDIA: ACTIVE_RICH_MEDIA,
    pdfsafety.OPEN_ACTION: ACTIVE_OPEN_ACTION,
    pdfsafety.ADDITIONAL_ACTION: ACTIVE_ADDITIONAL_ACTION,
}

# What a non-PDF file turned out to be (the %(kind)s of NOT_A_PDF).
KIND_PNG = _("gambar PNG")
KIND_JPEG = _("gambar JPEG")
KIND_GIF = _("gambar GIF")
KIND_WEBP = _("gambar WebP")
KIND_TIFF = _("gambar TIFF")
KIND_WORD = _("dokumen Word (DOCX)")
KIND_EXCEL = _("lembar kerja Excel (XLSX)")
KIND_POWERPOINT = _("presentasi PowerPoint (PPTX)")
KIND_OPENDOCUMENT = _("dokumen OpenDocument")
KIND_ZIP = _("arsip ZIP")
KIND_OLD_OFFICE = _("dokumen Office lama (DOC/XLS/PPT)")
KIND_RAR = _("arsip RAR")
KIND_7Z = _("arsip 7z")
KIND_GZIP = _("arsip GZIP")
KIND_ELF = _("program (ELF)")
KIND_WINDOWS_PROGRAM = _("program Windows (EXE)")
KIND_SCRIPT = _("skrip program")
KIND_RTF = _("dokumen RTF")
KIND_HTML = _("halaman web (HTML)")
KIND_TEXT = _("teks biasa")
KIND_UNKNOWN = _("dokumen yang tidak dikenal")

_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", KIND_PNG),
    (b"\xff\xd8\xff", KIND_JPEG),
    (b"GIF87a", KIND_GIF),
    (b"GIF89a", KIND_GIF),
    (b"II*\x00", KIND_TIFF),
    (b"MM\x00*", KIND_TIFF),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", KIND_OLD_OFFICE),
    (b"Rar!\x1a\x07", KIND_RAR),
    (b"7z\xbc\xaf\x27\x1c", KIND_7Z),
    (b"\x1f\x8b", KIND_GZIP),
    (b"\x7fELF", KIND_ELF),
    (b"MZ", KIND_WINDOWS_PROGRAM),
    (b"#!", KIND_SCRIPT),
    (b"{\\rtf", KIND_RTF),
]
_HTML_RE = re.compile(rb"<(?:!doctype\s+html|html|head|body|script|iframe|svg)\b", re.IGNORECASE)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedPdf:
    name: str  # cleaned original name: basename only, no control characters, at most 200 characters
    size: int
    sha256: str
    content: bytes


def check_pdf_upload(
    uploaded: UploadedFile, *, max_bytes: int = MAX_ATTACHMENT_BYTES, allowed_attachments: tuple[str, ...] = ()
) -> CheckedPdf:
    """Return the checked PDF or raise ``ValidationError`` (codes: empty, too_large, not_pdf,
    damaged_pdf, encrypted_pdf, no_pages, pdf_bomb, too_many_pages, too_many_revisions, too_complex,
    active_content).

    Active content (JavaScript, /Launch, /OpenAction and /AA actions, embedded files, embedded
    programs, rich media) is refused; ``allowed_attachments`` names embedded files that are
    expected (the verifier accepts Sepakat's own data JSON)."""
    declared = getattr(uploaded, "size", None)
    if declared is not None:
        if declared == 0:
            raise ValidationError(EMPTY_FILE, code="empty")
        if declared > max_bytes:
            raise _too_large(declared, max_bytes)

    content = _read_at_most(uploaded, max_bytes + 1)
    if not content:
        raise ValidationError(EMPTY_FILE, code="empty")
    if len(content) > max_bytes:  # the declared size was wrong; never read further
        raise _too_large(declared if declared and declared > max_bytes else len(content), max_bytes)

    if content.find(PDF_MAGIC, 0, MAX_LEADING_BYTES + len(PDF_MAGIC)) < 0:
        raise ValidationError(NOT_A_PDF, code="not_pdf", params={"kind": describe_content(content)})

    _check_pdf_structure(content, allowed_attachments=allowed_attachments)
    return CheckedPdf(
        name=clean_file_name(getattr(uploaded, "name", "") or ""),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


class PdfUploadField(forms.FileField):
    """A file field whose cleaned value is a ``CheckedPdf`` (or ``None``/``False``/initial, as FileField)."""

    def __init__(self, *, max_bytes: int = MAX_ATTACHMENT_BYTES, allowed_attachments: tuple[str, ...] = (), **kwargs):
        self.max_bytes = max_bytes
        self.allowed_attachments = tuple(allowed_attachments)
        # Empty files reach check_pdf_upload, which has the friendlier message.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if "accept" not in widget.attrs:
            attrs["accept"] = "application/pdf"
        return attrs

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            return check_pdf_upload(value, max_bytes=self.max_bytes, allowed_attachments=self.allowed_attachments)
        return value


def describe_content(content: bytes) -> str:
    """What a file that is not a PDF seems to contain, in words for the user."""
    head = content[:4096]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return str(_zip_kind(content))
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return str(KIND_WEBP)
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return str(kind)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _HTML_RE.search(text[:1024]):
        return str(KIND_HTML)
    if _looks_like_text(head):
        return str(KIND_TEXT)
    return str(KIND_UNKNOWN)


def clean_file_name(name: str, *, fallback: str = "dokumen.pdf") -> str:
    """Basename of ``name`` without control/format characters, at most MAX_NAME_LENGTH characters.

    Both ``/`` and ``\\`` count as path separators (Windows browsers may send a
    full path). The extension is kept when the name has to be shortened.
    """
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    # Whitespace (tabs, newlines) becomes a space; other "C" characters go: controls
    # (NUL, ESC, ...) and invisible format characters such as the right-to-left
    # override that disguises "fdp.exe" as "exe.pdf".
    kept = []
    for ch in name:
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch)[0] != "C":
            kept.append(ch)
    name = "".join(kept)
    name = " ".join(name.split()).strip(". ")
    if not name:
        return fallback
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext) <= 16:
            name = stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH].rstrip(". ")
    return name


def format_size(size: int) -> str:
    """A size in Indonesian notation: "512 byte", "1,5 KB", "21,3 MB", "20 MB" (1 KB = 1024 byte)."""
    if size < 1024:
        return f"{size} byte"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    rounded = round(value, 1)
    text = f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}".replace(".", ",")
    return f"{text} {unit}"


def _too_large(size: int, limit: int) -> ValidationError:
    return ValidationError(TOO_LARGE, code="too_large", params={"size": format_size(size), "limit": format_size(limit)})


def _read_at_most(uploaded: UploadedFile, limit: int) -> bytes:
    """Read from the start of the file, never more than ``limit`` bytes."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        uploaded.seek(0)
    chunks = []
    remaining = limit
    while remaining > 0:
        chunk = uploaded.read(min(READ_CHUNK, remaining))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _check_pdf_structure(content: bytes, *, allowed_attachments: tuple[str, ...] = ()) -> None:
    """Bounded in memory and time whatever the file: the raw streams are measured before pypdf
    reads anything, and pypdf then runs under pdfsafety's limits."""
    try:
        scan_streams(content)
        with bounded_pypdf():
            reader = PdfReader(io.BytesIO(content))
            encrypted = reader.is_encrypted
            pages = 0 if encrypted else len(reader.pages)
            kinds = [] if encrypted or not pages or pages > pdfsafety.MAX_PAGES else active_content(
                reader, allowed_attachments=allowed_attachments)
    except HostilePdf as error:
        logger.info("PDF upload refused as hostile: %s", error.reason)
        raise hostile_pdf_error(error.reason) from error
    except LimitReachedError as error:  # one of pypdf's own limits (page tree, one stream)
        logger.info("PDF upload refused at a pypdf limit: %s", error)
        raise hostile_pdf_error(pdfsafety.limit_reason(error)) from error
    except Exception as error:  # pypdf raises many kinds of errors on malformed files
        logger.info("PDF upload refused as damaged: %s: %s", type(error).__name__, error)
        raise ValidationError(DAMAGED_PDF, code="damaged_pdf") from error
    if encrypted:
        raise ValidationError(ENCRYPTED_PDF, code="encrypted_pdf")
    if pages < 1:
        raise ValidationError(NO_PAGES, code="no_pages")
    if pages > pdfsafety.MAX_PAGES:
        raise hostile_pdf_error(pdfsafety.TOO_MANY_PAGES)
    if kinds:
        logger.info("PDF upload refused for active content: %s", ", ".join(kinds))
        raise ValidationError(ACTIVE_CONTENT, code="active_content", params={"why": ACTIVE_MESSAGES[kinds[0]]})


def hostile_pdf_error(reason: str) -> ValidationError:
    """The user's message for a ``pdfsafety.HostilePdf`` reason."""
    if reason == pdfsafety.BOMB:
        return ValidationError(PDF_BOMB, code="pdf_bomb", params={"limit": format_size(pdfsafety.MAX_INFLATED_BYTES)})
    if reason == pdfsafety.TOO_MANY_PAGES:
        return ValidationError(TOO_MANY_PAGES, code="too_many_pages", params={"limit": pdfsafety.MAX_PAGES})
    if reason == pdfsafety.TOO_MANY_REVISIONS:
        return ValidationError(TOO_MANY_REVISIONS, code="too_many_revisions",
                               params={"limit": pdfsafety.MAX_REVISIONS})
    return ValidationError(TOO_COMPLEX, code="too_complex")


def _zip_kind(content: bytes):
    """Office Open XML and OpenDocument files are ZIP archives; tell them apart by their member names."""
    if b"mimetypeapplication/vnd.oasis.opendocument" in content[:200]:
        return KIND_OPENDOCUMENT
    if b"[Content_Types].xml" in content:
        for marker, kind in ((b"word/", KIND_WORD), (b"xl/", KIND_EXCEL), (b"ppt/", KIND_POWERPOINT)):
            if marker in content:
                return kind
    return KIND_ZIP


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for cut in range(4):  # a multi-byte character cut off at the end of the sample is still text
        try:
            text = head[: len(head) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        return False
    if not text:
        return False
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\t\r\n")
    return printable / len(text) > 0.95
