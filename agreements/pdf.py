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
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

MOU_TEMPLATE = "pdf/mou.html"
REGULATION_TEMPLATE = "pdf/regulation.html"
MASTERPLAN_TEMPLATE = "pdf/masterplan.html"

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
PT_PER_PX = 0.75  # 1 CSS px = 1/96 in, 1 pt = 1/72 in


@dataclass(frozen=True)
class SignatureBox:
    """Where a signature cell's empty stamp area landed, ready for pyHanko's SigFieldSpec."""

    page_index: int  # 0-based
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in PDF points, origin bottom-left


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    data_sha256: str  # SHA-256 hex of canonical_json(data): embedded, and printed in every footer
    signature_boxes: dict[str, SignatureBox]  # keyed by the slot's "field" name


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


def _stage_context(data: dict, draft: bool) -> dict:
    """What every stage template reads besides its own keys: data hash, QR, signature cells."""
    return {
        "doc": data,
        "draft": draft,
        "data_sha256": data_sha256(data),
        "qr_svg": qr_svg(data),
        "slots": [{**slot, "html_id": SLOT_ID_PREFIX + slot["field"]} for slot in signature_slots(data)],
    }


def _finish_pdf_a(document, pdf) -> None:
    """WeasyPrint finisher, run after its PDF/A step and before the file is written.

    * No /Info dictionary: the XMP packet alone carries the metadata. pydyf
      writes /Info only when the dictionary is not empty. Without it, a later
      incremental update (pyHanko signing) only updates the XMP packet and adds
      no /Producer that the XMP would have to mirror.
    * The catalog's /AF lists each attachment once: WeasyPrint 70 adds it
      twice (from the EmbeddedFiles name tree and from the Filespec objects).
    """
    pdf.info.clear()
    if "AF" in pdf.catalog:
        unique = list(dict.fromkeys(pdf.catalog["AF"]))
        pdf.catalog["AF"].clear()
        pdf.catalog["AF"].extend(unique)


def _signature_boxes(document, fields: list[str]) -> dict[str, SignatureBox]:
    """Find each signature cell's stamp area in the laid-out pages and convert it to PDF points."""
    wanted = {SLOT_ID_PREFIX + field: field for field in fields}
    found: dict[str, SignatureBox] = {}
    for page_index, page in enumerate(document.pages):
        page_height_pt = page.height * PT_PER_PX
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is None or box.element_tag != "div":
                continue
            field = wanted.get(element.get("id"))
            if field is None or field in found:
                continue
            x, y = box.content_box_x(), box.content_box_y()
            x1, x2 = x * PT_PER_PX, (x + box.width) * PT_PER_PX
            y1 = page_height_pt - (y + box.height) * PT_PER_PX
            y2 = page_height_pt - y * PT_PER_PX
            found[field] = SignatureBox(page_index, tuple(round(v, 2) for v in (x1, y1, x2, y2)))
    missing = [field for field in fields if field not in found]
    if missing:
        raise RuntimeError(f"signature cells not laid out: {missing}")
    return found


def _render(html: str, canonical: bytes, fields: list[str]) -> tuple[bytes, dict[str, SignatureBox]]:
    """The one WeasyPrint call: our stylesheet and fonts, nothing else; PDF/A-3b with the data attached."""
    # safe_url_fetcher is looked up at call time so tests can swap it.
    fetcher = safe_url_fetcher
    document = HTML(string=html, base_url=path2url(static_root()), url_fetcher=fetcher).render(
        pdf_variant=PDF_VARIANT
    )
    boxes = _signature_boxes(document, fields)
    now = datetime.datetime.now(datetime.UTC)
    attachment = Attachment(
        string=canonical,
        name=DATA_ATTACHMENT_NAME,
        description=DATA_ATTACHMENT_DESCRIPTION,
        relationship="Data",
        created=now,
        modified=now,
        url_fetcher=fetcher,
    )
    content = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=[attachment], finisher=_finish_pdf_a)
    return content, boxes


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
    return render_to_string(MOU_TEMPLATE, _stage_context(data, draft))


def render_mou_pdf(data: dict, *, draft: bool) -> bytes:
    return render_pdf(render_mou_html, data, draft=draft).content


def render_regulation_html(data: dict, *, draft: bool) -> str:
    context = {
        **_stage_context(data, draft),
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
        **_stage_context(data, draft),
        "place": region_name_part(data["region"]),
        "chapters": [
            {**chapter, "roman": roman(n)} for n, chapter in enumerate(data.get("chapters", []), start=1)
        ],
        "roadmap_groups": _roadmap_groups(data.get("roadmap", [])),
    }
    return render_to_string(MASTERPLAN_TEMPLATE, context)


def render_masterplan_pdf(data: dict, *, draft: bool) -> bytes:
    return render_pdf(render_masterplan_html, data, draft=draft).content


def render_pdf(render_html, data: dict, *, draft: bool) -> RenderedPdf:
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
    content, boxes = _render(html, canonical, fields)
    return RenderedPdf(content=content, data_sha256=hashlib.sha256(canonical).hexdigest(), signature_boxes=boxes)
