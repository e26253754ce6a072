"""Fill a document's blanks (read-only text fields) in the incremental update that signs it.

The fields were made empty by the renderer (agreements.pdf) where the document has a blank:
a date, a number, a name known only when its step signs. Each gets its value (/V) and an
appearance drawn with an embedded font (PDF/A), so that every reader, pdftotext included,
shows the text where the blank was. pyHanko's difference analysis classes this as form filling
for the signatures made before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, BoxConstraints, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStamp, TextStampStyle

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
FILL_FONT = FONTS / "DejaVuSerif.ttf"  # the documents' body font (static/pdf/document.css)
FILL_FONT_BOLD = FONTS / "DejaVuSerif-Bold.ttf"  # printed names, as the signature blocks print them
FILL_FONT_SIZE = 11
FILL_BASELINE_LIFT = 3  # pt, whole (pyHanko lays out in exact fractions): the text sits on the baseline
# The field's /DA (set by agreements.pdf) names the face and size: bold where the line around it is bold.
BOLD_MARK = "/SerifBold "
_DA_SIZE = re.compile(r" (\d{1,2}) Tf")
MAX_FILL_LENGTH = 300

MSG_FILL_NOT_FOUND = "Kolom isian {name} tidak ada di dokumen."
MSG_FILL_NOT_TEXT = "Kolom isian {name} bukan kolom teks."


def _fields_by_name(writer: IncrementalPdfFileWriter) -> dict[str, generic.IndirectObject]:
    try:
        fields = writer.root["/AcroForm"]["/Fields"]
    except KeyError:
        return {}
    found = {}
    for reference in fields:
        field = reference.get_object()
        if "/T" in field:
            found[str(field["/T"])] = reference
    return found


def _appearance(writer, value: str, width: float, height: float, *, bold: bool, centred: bool, size: int):
    # The stamp's font machinery: subset, rescaled to 1000 units per em, cached per process.
    from .signer import _clean_line, _EmbeddedStampFont, _stamp_font

    font_bytes, font_chars = _stamp_font(FILL_FONT_BOLD if bold else FILL_FONT)
    text = _clean_line(value, font_chars)[:MAX_FILL_LENGTH].replace("%", "%%")
    style = TextStampStyle(
        stamp_text=text,
        text_box_style=TextBoxStyle(
            font=_EmbeddedStampFont(font_bytes=font_bytes, font_size=size),
            font_size=size,
            border_width=0,
            box_layout_rule=SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MID if centred else AxisAlignment.ALIGN_MIN,
                y_align=AxisAlignment.ALIGN_MIN,
                margins=Margins(left=0, right=0, top=0, bottom=FILL_BASELINE_LIFT),
            ),
        ),
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MID if centred else AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MID,
        ),
        border_width=0,
        background=None,
    )
    # pyHanko's layout takes exact numbers (it computes the aspect ratio as a Fraction).
    box = BoxConstraints(width=Fraction(str(round(width, 2))), height=Fraction(str(round(height, 2))))
    stamp = TextStamp(writer, style, box=box)
    return writer.add_object(stamp.as_form_xobject())


def _blank_appearance(writer, width: float, height: float):
    from pyhanko.pdf_utils.writer import init_xobject_dictionary

    return writer.add_object(init_xobject_dictionary(command_stream=b"", box_width=width, box_height=height))


def fill_fields(writer: IncrementalPdfFileWriter, values: Mapping[str, str]) -> None:
    """Set each named text field's value and appearance.

    A name the document does not have raises ``KeyError`` with a message: the step would
    otherwise sign a document with a blank left in it. An empty value (a signer in their own
    right has no "a.n." line) gets an empty appearance, and is set all the same: a field left
    without /V counts as changed later.
    """
    fields = _fields_by_name(writer)
    for name, value in values.items():
        reference = fields.get(name)
        if reference is None:
            raise KeyError(MSG_FILL_NOT_FOUND.format(name=name))
        field = reference.get_object()
        if field.get("/FT") != "/Tx":
            raise KeyError(MSG_FILL_NOT_TEXT.format(name=name))
        x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
        if value.strip():
            appearance_spec = str(field.get("/DA", ""))
            size = _DA_SIZE.search(appearance_spec)
            appearance = _appearance(writer, value, x2 - x1, y2 - y1, bold=BOLD_MARK in appearance_spec,
                                     centred=int(field.get("/Q", 0)) == 1,
                                     size=min(int(size.group(1)), 24) if size else FILL_FONT_SIZE)
        else:
            appearance = _blank_appearance(writer, x2 - x1, y2 - y1)
        field["/V"] = generic.TextStringObject(value if value.strip() else "")
        field["/AP"] = generic.DictionaryObject({generic.NameObject("/N"): appearance})
        writer.update_container(field)
