"""Render the stage documents to PDF/A-3b: frozen stage data in, PDF out.

Three documents: the MoU (Nota Kesepakatan), the regional head regulation
(Peraturan Wali Kota / Peraturan Bupati) and the smart-city masterplan. Each
ends with the same approval sheet (templates/pdf/_approval_sheet.html), which
also lists the initials (paraf) and holds one empty cell per electronic
signature slot; ``render_pdf`` reports where those cells landed so the
signer can stamp inside them.

Every PDF carries its data: the stage's canonical JSON is embedded as an
associated file (``sepakat-data.json``, /AFRelationship /Data), and each page's
footer prints that JSON's SHA-256 next to a QR code of the verification URL.

Pure rendering, no database. Everything a user typed reaches WeasyPrint through
Django's autoescaping templates, and WeasyPrint may only read our own static files
(stylesheet and bundled fonts) through ``safe_url_fetcher``.
"""

import base64
import datetime
import hashlib
import json
import mimetypes
import re
import threading
from dataclasses import dataclass
from functools import partial
from itertools import groupby
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pydyf
import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

MOU_TEMPLATE = "pdf/mou.html"
REGULATION_TEMPLATE = "pdf/regulation.html"
MASTERPLAN_TEMPLATE = "pdf/masterplan.html"
# The signature fields each document places in its own signature block ("ttd_" + the signing step).
MOU_SIGNER_STEPS = ("sign_ministry", "sign_region")
MOU_SIGNERS = tuple(f"ttd_{step}" for step in MOU_SIGNER_STEPS)
REGULATION_SIGNERS = ("ttd_enact", "ttd_promulgate")
MASTERPLAN_SIGNERS = ("ttd_commitment", "ttd_accept")

# Region.display_name is "<Kind> <name>"; legal headings use the bare name.
REGION_KIND_PREFIX = {"kota": "Kota ", "kabupaten": "Kabupaten "}

PDF_VARIANT = "pdf/a-3b"
LOGO_DATA_URL_PREFIXES = ("data:image/png;base64,", "data:image/svg+xml;base64,")
DATA_ATTACHMENT_NAME = "sepakat-data.json"
DATA_ATTACHMENT_DESCRIPTION = "Data tahap dokumen (JSON kanonik, kunci terurut) yang dirender ke PDF ini"
# HTML ids of the signature cells: "slot-" + the signature field name.
SLOT_ID_PREFIX = "slot-"
# A signature field name becomes a PDF form field name (no dots) and an HTML id.
SLOT_FIELD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
# The blanks a signing step fills (templatetags/pdf_fields.py): "fill-" + the text field's name.
FILL_ID_PREFIX = "fill-"
FILL_FIELD_RE = re.compile(r"isi_[a-z0-9_]{1,60}")
_FILL_ID_RE = re.compile(r'id="fill-(isi_[a-z0-9_]{1,60})"')
FIELD_READ_ONLY = 1  # /Ff bit 1: a viewer never edits (nor re-draws) the field; the signing step fills it
PT_PER_PX = 0.75  # 1 CSS px = 1/96 in, 1 pt = 1/72 in


@dataclass(frozen=True)
class SignatureBox:
    """Where a signature cell's empty stamp area landed, ready for pyHanko's SigFieldSpec."""

    page_index: int  # 0-based
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in PDF points, origin bottom-left


@dataclass(frozen=True)
class FillBox:
    """Where a blank landed: it becomes an empty, read-only text field of that name."""

    page_index: int
    box: tuple[float, float, float, float]
    centred: bool
    bold: bool
    font_size: int = 11  # the body text's; smaller where a long line must fit (fill--small)


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    data_sha256: str  # SHA-256 hex of canonical_json(data): embedded, and printed in every footer
    signature_boxes: dict[str, SignatureBox]  # keyed by the slot's "field" name
    fill_fields: tuple[str, ...] = ()  # the text fields the signing steps fill (isi_<step>_<what>)


class UnsafeResourceError(Exception):
    """WeasyPrint asked for a resource outside our static folder."""


def static_root() -> Path:
    return (Path(settings.BASE_DIR) / "static").resolve()


def canonical_json(data: dict) -> bytes:
    return json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


class SafeURLFetcher(URLFetcher):
    """Serve files under ``static/`` and kop logos given as data: URLs; refuse every other URL.

    WeasyPrint 70 expects a ``URLFetcher`` instance (it reads private attributes
    of the fetcher when a fetch fails), so this subclasses it instead of being a
    plain function. Any exception raised here makes WeasyPrint skip the resource
    with a warning.
    """

    def fetch(self, url, headers=None):
        if url.startswith(LOGO_DATA_URL_PREFIXES):
            # A kop logo checked on upload (agreements/logos.py) and carried in the document's data.
            content_type, _, payload = url[len("data:"):].partition(";base64,")
            return URLFetcherResponse(url, body=base64.b64decode(payload, validate=True),
                                      headers={"Content-Type": content_type})
        path = self._static_path(url)
        content_type, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            path.as_uri(),
            body=path.read_bytes(),
            headers={"Content-Type": content_type or "application/octet-stream"},
        )

    @staticmethod
    def _static_path(url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise UnsafeResourceError(f"refused non-static URL: {url}")
        root = static_root()
        # resolve() collapses "../" and symlinks before the containment check.
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(root):
            raise UnsafeResourceError(f"refused path outside static/: {url}")
        return path


safe_url_fetcher = SafeURLFetcher()


def data_sha256(data: dict) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()


def qr_svg(data: dict) -> SafeString:
    """The footer's QR code as inline SVG: the verification URL, or the document id without one.

    The SVG is geometry only (one path, no text, no links), so user data cannot
    smuggle markup through it; sized by CSS (.footer-qr svg).
    """
    payload = data.get("verification_url") or data.get("document_id") or ""
    code = segno.make(str(payload), error="m", micro=False)
    return SafeString(code.svg_inline(scale=1, border=2, omitsize=True, dark="#000"))


def signature_slots(data: dict) -> list[dict]:
    """data["signature_slots"], checked: each field a plain, unique name usable as an HTML id."""
    slots = data.get("signature_slots") or []
    seen = set()
    for slot in slots:
        field = slot.get("field", "")
        if not isinstance(field, str) or not SLOT_FIELD_RE.fullmatch(field):
            raise ValueError(f"invalid signature field name: {field!r}")
        if field in seen:
            raise ValueError(f"duplicate signature field name: {field!r}")
        seen.add(field)
    return slots


def _stage_context(data: dict, draft: bool, placed: tuple[str, ...] = ()) -> dict:
    """What every stage template reads besides its own keys: data hash, QR, signature cells.

    ``placed``: the signature fields the kind's template puts in its own signature block
    (``slots_by_field``); any other slot gets a cell on the approval sheet (``sheet_slots``).
    """
    slots = [{**slot, "html_id": SLOT_ID_PREFIX + slot["field"]} for slot in signature_slots(data)]
    return {
        "doc": data,
        "draft": draft,
        "data_sha256": data_sha256(data),
        "qr_svg": qr_svg(data),
        "slots": slots,
        "slots_by_field": {slot["field"]: slot for slot in slots if slot["field"] in placed},
        "sheet_slots": [slot for slot in slots if slot["field"] not in placed],
    }


def _finish_pdf_a(document, pdf, fills: dict[str, FillBox] | None = None) -> None:
    """WeasyPrint finisher, run after its PDF/A step and before the file is written.

    * No /Info dictionary: the XMP packet alone carries the metadata. pydyf
      writes /Info only when the dictionary is not empty. Without it, a later
      incremental update (pyHanko signing) only updates the XMP packet and adds
      no /Producer that the XMP would have to mirror.
    * The catalog's /AF lists each attachment once: WeasyPrint 70 adds it
      twice (from the EmbeddedFiles name tree and from the Filespec objects).
    * The blanks become empty text fields (``_add_fill_fields``).
    """
    pdf.info.clear()
    if "AF" in pdf.catalog:
        unique = list(dict.fromkeys(pdf.catalog["AF"]))
        pdf.catalog["AF"].clear()
        pdf.catalog["AF"].extend(unique)
    if fills:
        _add_fill_fields(pdf, fills)


def _add_fill_fields(pdf, fills: dict[str, FillBox]) -> None:
    """One read-only text field per blank, each with an empty appearance (PDF/A wants one per widget).

    The signing step that owns a field sets its value and appearance in the same incremental
    update as its signature, which pyHanko's validator classes as form filling.
    """
    page_numbers = pdf.pages["Kids"][::3]
    references = []
    for name, fill in fills.items():
        x1, y1, x2, y2 = fill.box
        appearance = pydyf.Stream([], extra={
            "Type": "/XObject", "Subtype": "/Form", "BBox": pydyf.Array([0, 0, x2 - x1, y2 - y1]),
        })
        pdf.add_object(appearance)
        page = pdf.objects[page_numbers[fill.page_index]]
        widget = pydyf.Dictionary({
            "Type": "/Annot", "Subtype": "/Widget", "FT": "/Tx", "T": pydyf.String(name),
            "Rect": pydyf.Array([x1, y1, x2, y2]), "F": 4, "Ff": FIELD_READ_ONLY, "Q": 1 if fill.centred else 0,
            "P": page.reference, "AP": pydyf.Dictionary({"N": appearance.reference}),
            # The face the filled text takes (agreements/signing/formfill.py draws it with DejaVu Serif).
            "DA": pydyf.String(f"/{'SerifBold' if fill.bold else 'Serif'} {fill.font_size} Tf 0 g"),
        })
        pdf.add_object(widget)
        page.setdefault("Annots", pydyf.Array()).append(widget.reference)
        references.append(widget.reference)
    pdf.catalog["AcroForm"] = pydyf.Dictionary({"Fields": pydyf.Array(references)})


def _layout_boxes(document, ids: dict[str, str]) -> dict[str, tuple[int, tuple[float, float, float, float], object]]:
    """For each wanted HTML id, (page index, box in PDF points, element) of its first laid-out box."""
    found = {}
    for page_index, page in enumerate(document.pages):
        page_height_pt = page.height * PT_PER_PX
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is None or box.element_tag not in ("div", "span"):
                continue
            name = ids.get(element.get("id"))
            if name is None or name in found:
                continue
            x, y = box.content_box_x(), box.content_box_y()
            x1, x2 = x * PT_PER_PX, (x + box.width) * PT_PER_PX
            y1 = page_height_pt - (y + box.height) * PT_PER_PX
            y2 = page_height_pt - y * PT_PER_PX
            found[name] = (page_index, tuple(round(v, 2) for v in (x1, y1, x2, y2)), element)
    return found


def _signature_boxes(document, fields: list[str]) -> dict[str, SignatureBox]:
    """Find each signature cell's stamp area in the laid-out pages and convert it to PDF points."""
    found = _layout_boxes(document, {SLOT_ID_PREFIX + field: field for field in fields})
    missing = [field for field in fields if field not in found]
    if missing:
        raise RuntimeError(f"signature cells not laid out: {missing}")
    return {field: SignatureBox(page, box) for field, (page, box, _element) in found.items()}


def _fill_boxes(document, names: list[str]) -> dict[str, FillBox]:
    found = _layout_boxes(document, {FILL_ID_PREFIX + name: name for name in names})
    missing = [name for name in names if name not in found]
    if missing:
        raise RuntimeError(f"blanks not laid out: {missing}")
    fills = {}
    for name, (page, box, element) in found.items():
        classes = (element.get("class") or "").split()
        fills[name] = FillBox(page, box, "fill--center" in classes, "fill--bold" in classes,
                              9 if "fill--small" in classes else 11)
    return fills


_STYLE = threading.local()


def _document_style(fetcher) -> tuple[CSS, FontConfiguration]:
    """The stylesheet and its fonts, fetched through ``fetcher`` and parsed once per thread
    (a quarter of each rendering otherwise). Font configurations hold Pango and fontconfig
    state, so threads do not share them; another fetcher (a test's) gets its own.
    """
    cached = getattr(_STYLE, "value", None)
    if cached is None or cached[0] is not fetcher:
        fonts = FontConfiguration()
        css = CSS(url=path2url(static_root() / "pdf" / "document.css"), font_config=fonts, url_fetcher=fetcher)
        cached = _STYLE.value = (fetcher, css, fonts)
    return cached[1], cached[2]


def _render(html: str, canonical: bytes, fields: list[str], moment: datetime.datetime | None,
            ) -> tuple[bytes, dict[str, SignatureBox], tuple[str, ...]]:
    """The one WeasyPrint call: our stylesheet and fonts, nothing else; PDF/A-3b with the data attached.

    The attachment's dates are the only clock the output reads: with ``moment`` given, the
    same data renders to the same bytes (a paraf is on a file identified by its hash).
    """
    # safe_url_fetcher is looked up at call time so tests can swap it.
    fetcher = safe_url_fetcher
    css, fonts = _document_style(fetcher)
    document = HTML(string=html, base_url=path2url(static_root()), url_fetcher=fetcher).render(
        stylesheets=[css], font_config=fonts, pdf_variant=PDF_VARIANT
    )
    boxes = _signature_boxes(document, fields)
    fills = _fill_boxes(document, list(dict.fromkeys(_FILL_ID_RE.findall(html))))
    now = moment or datetime.datetime.now(datetime.UTC)
    attachment = Attachment(
        string=canonical,
        name=DATA_ATTACHMENT_NAME,
        description=DATA_ATTACHMENT_DESCRIPTION,
        relationship="Data",
        created=now,
        modified=now,
        url_fetcher=fetcher,
    )
    content = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=[attachment],
                                 finisher=partial(_finish_pdf_a, fills=fills))
    return content, boxes, tuple(fills)


def region_name_part(region: dict) -> str:
    """'Kota Banjar' -> 'Banjar', 'Kabupaten Bone Bolango' -> 'Bone Bolango'."""
    name = region.get("name", "")
    prefix = REGION_KIND_PREFIX.get(region.get("kind", ""), "")
    if prefix and name.startswith(prefix) and len(name) > len(prefix):
        return name[len(prefix):]
    return name


def roman(number: int) -> str:
    numerals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for value, numeral in numerals:
        count, number = divmod(number, value)
        out.append(numeral * count)
    return "".join(out)


def letter(number: int) -> str:
    """1 -> 'a', 26 -> 'z', 27 -> 'aa': the Menimbang item labels."""
    out = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


def render_mou_html(data: dict, *, draft: bool) -> str:
    context = _stage_context(data, draft, MOU_SIGNERS)
    # PIHAK KESATU (the ministry) signs at sign_ministry, PIHAK KEDUA (the region) at sign_region.
    numbers = (data.get("number_ministry", ""), data.get("number_region", ""))
    context["signatories"] = [
        {"step": step, "number": number, "slot": context["slots_by_field"].get(f"ttd_{step}"), **signer}
        for step, number, signer in zip(MOU_SIGNER_STEPS, numbers, data.get("signatories", []), strict=False)
    ]
    return render_to_string(MOU_TEMPLATE, context)


def render_mou_pdf(data: dict, *, draft: bool) -> bytes:
    return render_pdf(render_mou_html, data, draft=draft).content


def render_regulation_html(data: dict, *, draft: bool) -> str:
    context = {
        **_stage_context(data, draft, REGULATION_SIGNERS),
        # "Peraturan Wali Kota Banjar": the title line; the Menetapkan line uses the bare kind.
        "regulation_heading": f"{data['regulation_kind']} {region_name_part(data['region'])}",
        "considerations": [
            {"label": letter(n), "text": text} for n, text in enumerate(data.get("considerations", []), start=1)
        ],
    }
    return render_to_string(REGULATION_TEMPLATE, context)


def render_regulation_pdf(data: dict, *, draft: bool) -> bytes:
    return render_pdf(render_regulation_html, data, draft=draft).content


def _roadmap_groups(items: list[dict]) -> list[dict]:
    """Roadmap rows grouped by horizon (1, 5, 10 years), in horizon order, input order kept within."""
    ordered = sorted(items, key=lambda item: item["horizon"])
    groups = []
    for horizon, rows in groupby(ordered, key=lambda item: item["horizon"]):
        rows = list(rows)
        label = rows[0].get("horizon_label") or f"{horizon} tahun"
        groups.append({"horizon": horizon, "label": label, "items": rows})
    return groups


def render_masterplan_html(data: dict, *, draft: bool) -> str:
    context = {
        **_stage_context(data, draft, MASTERPLAN_SIGNERS),
        "place": region_name_part(data["region"]),
        "chapters": [
            {**chapter, "roman": roman(n)} for n, chapter in enumerate(data.get("chapters", []), start=1)
        ],
        "roadmap_groups": _roadmap_groups(data.get("roadmap", [])),
    }
    return render_to_string(MASTERPLAN_TEMPLATE, context)


def render_masterplan_pdf(data: dict, *, draft: bool) -> bytes:
    return render_pdf(render_masterplan_html, data, draft=draft).content


def render_pdf(render_html, data: dict, *, draft: bool, moment: datetime.datetime | None = None) -> RenderedPdf:
    """Render one stage document as PDF/A-3b, its HTML made by its kind's ``render_html``.

    The data's hash is fixed before rendering: the same canonical JSON is hashed
    into every footer and embedded as ``sepakat-data.json``. Optional data keys
    read by every kind: ``verification_url`` (QR), ``verification_code`` (footer and
    approval sheet: the document's unguessable code, which the URL carries), ``paraf`` and
    ``signature_slots`` (approval sheet).
    """
    canonical = canonical_json(data)
    html = render_html(data, draft=draft)
    fields = [slot["field"] for slot in signature_slots(data)]
    content, boxes, fills = _render(html, canonical, fields, moment)
    return RenderedPdf(content=content, data_sha256=hashlib.sha256(canonical).hexdigest(), signature_boxes=boxes,
                       fill_fields=fills)
