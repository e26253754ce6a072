"""Sign a PDF with one incremental update per signer (PAdES B-T, visible stamp), for every backend.

``sign_pdf`` is the one place that does the PDF work: it checks the request, adds the signature
field with its visible stamp, lets pyHanko sign with whatever ``Signer`` and ``TimeStamper`` the
backend unlocked (``backends``), checks that the result is exactly one incremental update at
the same PDF version, and verifies it before returning it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from fontTools import subset as ft_subset
from fontTools import ttLib
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.metadata.model import VENDOR as PYHANKO_PRODUCER
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.stamp import TextStampStyle

from .formfill import fill_fields
from .verify import SignatureReport, VerificationReport, verify_pdf

if TYPE_CHECKING:
    from .backends import UnlockedSigner

# The repository's bundled font (static/fonts). Appearance-stream fonts must be embedded for PDF/A.
DEFAULT_STAMP_FONT = Path(__file__).resolve().parents[2] / "static" / "fonts" / "DejaVuSans.ttf"
STAMP_FONT_SIZE = 7
STAMP_LEADING = 8
STAMP_LINE_CHARS = 52  # what fits the 190 pt stamp at 7 pt
STAMP_BORDER_WIDTH = 1
STAMP_MARGIN = 4

MSG_BAD_PDF = "Berkas PDF tidak dapat dibaca untuk ditandatangani."
MSG_BAD_PAGE = "Halaman untuk tanda tangan tidak ada di dokumen."
MSG_BAD_BOX = "Kotak tanda tangan tidak sah."
MSG_BAD_FIELD = "Nama kolom tanda tangan tidak sah."
MSG_SIGN_FAILED = "Dokumen gagal ditandatangani."
MSG_VERSION_CHANGED = "Penandatanganan mengubah versi PDF; hasilnya ditolak."
MSG_NOT_INCREMENTAL = "Penandatanganan tidak menghasilkan tepat satu pembaruan inkremental; hasilnya ditolak."
MSG_BAD_FONT = "Fon cap tanda tangan tidak dapat dipakai: {font}"

_FIELD_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")

# Characters kept in the stamp font: Latin (with Latin-1 and Extended-A/B), general punctuation, a few symbols.
_STAMP_CODEPOINTS = [*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x2010, 0x2040), 0x20AC, 0x2116, 0x2122]
_REPLACEMENT = "?"


@lru_cache(maxsize=4)
def _prepare_stamp_font(path: str, mtime_ns: int) -> tuple[bytes, frozenset[int]]:
    """Subset the font to the stamp's characters and rescale it to 1000 units per em.

    pyHanko 0.38's GlyphAccumulator writes the CID font's /W widths in the font's own units
    instead of 1/1000 em, so a TrueType font with 2048 units per em (DejaVu) renders with every
    glyph twice as wide, and /W disagrees with the embedded program (a PDF/A failure). A font with
    exactly 1000 units per em sidesteps that. Done once per font file and process (~0.3 s).
    """
    font = ttLib.TTFont(path)
    options = ft_subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.glyph_names = True
    options.hinting = False
    options.drop_tables += ["FFTM", "MATH"]
    subsetter = ft_subset.Subsetter(options=options)
    subsetter.populate(unicodes=_STAMP_CODEPOINTS)
    subsetter.subset(font)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    out = BytesIO()
    font.save(out)
    return out.getvalue(), frozenset(font.getBestCmap())


@dataclass(frozen=True)
class _EmbeddedStampFont(FontEngineFactory):
    """Font engine factory over in-memory font bytes (subset and embedded into the PDF by pyHanko)."""

    font_bytes: bytes = field(repr=False)
    font_size: int = 7

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer, font_handle=BytesIO(self.font_bytes), font_size=self.font_size, obj_stream=obj_stream
        )


def _clean_line(line: str, supported: frozenset[int]) -> str:
    """Drop control characters; replace what the font cannot draw (PDF/A forbids .notdef)."""
    return "".join(ch if ord(ch) in supported else _REPLACEMENT for ch in str(line) if ch.isprintable() or ch == " ")


class SigningError(Exception):
    """The document could not be signed; the input is untouched and nothing was produced."""


class WrongPassphrase(SigningError):
    """The backend did not accept the official's secret (their passphrase, a PIN): nothing was unlocked."""


class SignatureNotVerified(SigningError):
    """The signed PDF came back, but does not verify: it is not returned. ``report`` says why."""

    def __init__(self, report: VerificationReport):
        self.report = report
        super().__init__("; ".join([*report.problems, *(p for s in report.signatures for p in s.problems)]))


@dataclass(frozen=True)
class SignatureRequest:
    field_name: str  # e.g. "ttd_sign_region"; must be new (or an empty field) in the document
    page_index: int  # 0-based page of the visible stamp
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in PDF points, origin bottom-left
    stamp_lines: tuple[str, ...]  # shown in the stamp, one per line
    reason: str = ""
    location: str = ""
    # The document's blanks this signer fills (text field name, value), in the same update; the
    # signature then locks them (FieldMDP), so no later revision changes them undetected.
    fills: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SignedPdf:
    content: bytes  # the input, byte for byte, plus one incremental update holding the signature
    report: VerificationReport  # valid; its last signature is the new one

    @property
    def signature(self) -> SignatureReport:
        return self.report.signatures[-1]


def _catalog_version(reader: PdfFileReader):
    try:
        return str(reader.root.get("/Version")) if "/Version" in reader.root else None
    except Exception:  # a broken /Version reads as "unknown"
        return None


def _header(pdf: bytes) -> bytes:
    return pdf.split(b"\n", 1)[0].split(b"\r", 1)[0]


def _stamp_font(path: Path | None) -> tuple[bytes, frozenset[int]]:
    font = Path(path) if path is not None else DEFAULT_STAMP_FONT
    try:
        return _prepare_stamp_font(str(font), font.stat().st_mtime_ns)
    except Exception as exc:  # missing file, not a font, ...
        raise SigningError(MSG_BAD_FONT.format(font=font)) from exc


def _stamp_style(lines: tuple[str, ...], font_bytes: bytes, font_chars: frozenset[int]) -> TextStampStyle:
    # pyHanko interpolates stamp_text with "%"; escape it so user text is shown verbatim.
    # pyHanko does not wrap: a long line (a post "a.n." another) is broken here to fit the stamp.
    wrapped = [part for line in lines for part in (textwrap.wrap(str(line), STAMP_LINE_CHARS) or [""])]
    text = "\n".join(_clean_line(line, font_chars).replace("%", "%%") for line in wrapped)
    return TextStampStyle(
        stamp_text=text,
        text_box_style=TextBoxStyle(
            font=_EmbeddedStampFont(font_bytes=font_bytes, font_size=STAMP_FONT_SIZE),
            font_size=STAMP_FONT_SIZE,
            leading=STAMP_LEADING,
            border_width=0,
            box_layout_rule=SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MIN,
                y_align=AxisAlignment.ALIGN_MID,
                margins=Margins.uniform(STAMP_MARGIN),
            ),
        ),
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MID,
        ),
        border_width=STAMP_BORDER_WIDTH,
        background=None,
    )


def _check_request(reader: PdfFileReader, request: SignatureRequest) -> None:
    if not _FIELD_NAME_RE.match(request.field_name or ""):
        raise SigningError(MSG_BAD_FIELD)
    try:
        page_count = int(reader.root["/Pages"]["/Count"])
    except Exception as exc:
        raise SigningError(MSG_BAD_PDF) from exc
    if not 0 <= request.page_index < page_count:
        raise SigningError(MSG_BAD_PAGE)
    if len(request.box) != 4:
        raise SigningError(MSG_BAD_BOX)
    x1, y1, x2, y2 = request.box
    if not (x2 > x1 and y2 > y1):
        raise SigningError(MSG_BAD_BOX)


def _align_info_with_xmp(writer: IncrementalPdfFileWriter) -> None:
    """Keep /Info and XMP saying the same producer (PDF/A requires equivalent values).

    When the document has XMP metadata (every PDF/A has), pyHanko sets XMP pdf:Producer to
    "pyHanko x.y" but only *appends* "; pyHanko x.y" to an existing /Info /Producer, so the two
    disagree. Dropping the old /Producer lets pyHanko write the same value in both places.
    The renderer should not write /Info at all; this is the safety net when it does.
    """
    try:
        info_ref = writer.trailer.raw_get("/Info")
    except KeyError:
        return
    if not isinstance(info_ref, generic.IndirectObject):
        return
    info = info_ref.get_object()
    if (
        isinstance(info, generic.DictionaryObject)
        and "/Producer" in info
        and str(info["/Producer"]) != PYHANKO_PRODUCER
    ):
        del info["/Producer"]
        writer.mark_update(info_ref)


def _check_output(pdf: bytes, out: bytes, revisions_before: int, version_before) -> None:
    if not out.startswith(pdf) or _header(out) != _header(pdf):
        raise SigningError(MSG_NOT_INCREMENTAL)
    try:
        after = PdfFileReader(BytesIO(out), strict=False)
        revisions_after = after.xrefs.total_revisions
        version_after = _catalog_version(after)
    except Exception as exc:
        raise SigningError(MSG_SIGN_FAILED) from exc
    if revisions_after != revisions_before + 1:
        raise SigningError(MSG_NOT_INCREMENTAL)
    if version_after != version_before:
        raise SigningError(MSG_VERSION_CHANGED)


def sign_pdf(
    pdf: bytes,
    request: SignatureRequest,
    unlocked: UnlockedSigner,
    *,
    trust_roots_pem: Sequence[bytes],
    expected_fingerprints: Sequence[str] | None = None,
    stamp_font: Path | None = None,
) -> SignedPdf:
    """``pdf`` with ONE incremental update appended that holds ``unlocked``'s signature, verified.

    ``trust_roots_pem`` and ``expected_fingerprints`` are passed to ``verify_pdf`` (the
    fingerprints of every signer so far, this one last). Raises ``SigningError`` when the request
    or the PDF is unusable, pyHanko fails, the result is not one incremental update at the same
    version, or (``SignatureNotVerified``) it does not verify; nothing is returned then.
    """
    font_bytes, font_chars = _stamp_font(stamp_font)
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        revisions_before = reader.xrefs.total_revisions
        version_before = _catalog_version(reader)
    except Exception as exc:  # pyHanko raises many kinds of errors on bad input
        raise SigningError(MSG_BAD_PDF) from exc
    _check_request(reader, request)

    meta = signers.PdfSignatureMetadata(
        field_name=request.field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=request.reason or None,
        location=request.location or None,
    )
    field_spec = fields.SigFieldSpec(
        sig_field_name=request.field_name,
        on_page=request.page_index,
        box=tuple(float(v) for v in request.box),
        field_mdp_spec=(fields.FieldMDPSpec(fields.FieldMDPAction.INCLUDE, fields=[n for n, _v in request.fills])
                        if request.fills else None),
    )
    pdf_signer = signers.PdfSigner(
        meta,
        unlocked.signer,
        timestamper=unlocked.timestamper,
        stamp_style=_stamp_style(tuple(request.stamp_lines), font_bytes, font_chars),
        new_field_spec=field_spec,
    )
    try:
        writer = IncrementalPdfFileWriter.from_reader(reader)
        _align_info_with_xmp(writer)
        fill_fields(writer, dict(request.fills))
    except KeyError as exc:
        raise SigningError(exc.args[0]) from exc
    except Exception as exc:
        raise SigningError(MSG_SIGN_FAILED) from exc
    try:
        out = pdf_signer.sign_pdf(writer).getvalue()
    except Exception as exc:
        raise SigningError(MSG_SIGN_FAILED) from exc

    _check_output(pdf, out, revisions_before, version_before)
    report = verify_pdf(out, trust_roots_pem=trust_roots_pem, expected_fingerprints=expected_fingerprints)
    if not report.valid:
        raise SignatureNotVerified(report)
    return SignedPdf(content=out, report=report)
