"""Stage PDFs as PDF/A-3b: embedded data, hash and QR in every footer, signature cells located."""

import copy
import hashlib
import io
import re
import xml.etree.ElementTree as ET

import pytest
import segno
from pypdf import PdfReader
from pypdf.generic import IndirectObject
from weasyprint.urls import path2url

from agreements import kinds, pdf

from .test_pdf import HOSTILE, MOU, RecordingFetcher, squash, static_dir
from .test_pdf_stages import MASTERPLAN, REGULATION

VERIFY_URL = "http://127.0.0.1:8000/verifikasi/{}/"
SLOTS = {
    "mou": [
        {"field": "ttd_sign_ministry", "label": "PIHAK KESATU", "post": "Direktur Jenderal Aplikasi Informatika",
         "name": "Dr. Ir. Bambang Santoso, M.Sc."},
        {"field": "ttd_sign_region", "label": "PIHAK KEDUA", "post": "Wali Kota Banjar", "name": ""},
    ],
    "regulation": [
        {"field": "ttd_enact", "label": "DITETAPKAN", "post": "Wali Kota Banjar", "name": "Ade Uu Sukaesih"},
    ],
    "masterplan": [
        {"field": "ttd_commitment", "label": "YANG MENYATAKAN", "post": "Wali Kota Banjar", "name": "Ade Uu Sukaesih"},
        {"field": "ttd_accept", "label": "DITERIMA OLEH", "post": "Direktur LAIP", "name": "Dr. Bonifasius"},
    ],
}
PARAF = [
    {"step": "1.3 Paraf Direktur LAIP", "name": "Ir. Sri Rahayu, M.T.", "post": "Direktur LAIP",
     "time": "05-03-2024 10:12 WIB"},
    {"step": "1.4 Paraf Kepala Bagian Hukum", "name": "Siti Aminah, S.H., M.H.", "post": "Kepala Bagian Hukum",
     "time": "05-03-2024 13:40 WIB"},
]


def stage_data(kind: str) -> dict:
    data = copy.deepcopy({"mou": MOU, "regulation": REGULATION, "masterplan": MASTERPLAN}[kind])
    data["verification_url"] = VERIFY_URL.format(data["document_id"])
    data["signature_slots"] = copy.deepcopy(SLOTS[kind])
    data["paraf"] = copy.deepcopy(PARAF)
    return data


KINDS = ["mou", "regulation", "masterplan"]
CASES = [(kind, draft) for kind in KINDS for draft in (True, False)]
DATA = {kind: stage_data(kind) for kind in KINDS}


@pytest.fixture(scope="module")
def rendered():
    """Every kind, draft and final, rendered once for the module."""
    return {(kind, draft): kinds.render_stage_pdf(kind, DATA[kind], draft=draft) for kind, draft in CASES}


def reader_of(result: pdf.RenderedPdf) -> PdfReader:
    return PdfReader(io.BytesIO(result.content))


def xmp_root(reader: PdfReader) -> ET.Element:
    packet = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    return ET.fromstring(re.search(rb"<x:xmpmeta.*</x:xmpmeta>", packet, re.S).group(0))


def xmp_property(root: ET.Element, namespace: str, name: str) -> str | None:
    """An XMP simple property, written either as an attribute or as an element of rdf:Description."""
    key = f"{{{namespace}}}{name}"
    for description in root.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"):
        if key in description.attrib:
            return description.attrib[key]
        element = description.find(key)
        if element is not None:
            return element.text
    return None


def fonts_of(resources, seen=None):
    """Every font dictionary reachable from a resources dictionary, form XObjects included."""
    seen = set() if seen is None else seen
    resources = resources.get_object() if resources is not None else {}
    for font in (resources.get("/Font") or {}).values():
        if isinstance(font, IndirectObject):
            if font.idnum in seen:
                continue
            seen.add(font.idnum)
        yield font.get_object()
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            yield from fonts_of(xobject.get("/Resources"), seen)


def text_positions(page) -> list[tuple[str, float, float]]:
    """(text, x, y) of every shown string, in PDF points with the origin bottom-left."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x, y))

    page.extract_text(visitor_text=visit)
    return found


# PDF/A-3b


@pytest.mark.parametrize(("kind", "draft"), CASES)
def test_pdf_a_3b_markers(rendered, kind, draft):
    result = rendered[kind, draft]
    assert result.content.startswith(b"%PDF-1.7\n")
    reader = reader_of(result)
    root = xmp_root(reader)
    assert xmp_property(root, "http://www.aiim.org/pdfa/ns/id/", "part") == "3"
    assert xmp_property(root, "http://www.aiim.org/pdfa/ns/id/", "conformance") == "B"
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert len(intents) == 1
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert "/DestOutputProfile" in intent


@pytest.mark.parametrize(("kind", "draft"), CASES)
def test_no_info_dictionary_and_xmp_carries_the_title(rendered, kind, draft):
    reader = reader_of(rendered[kind, draft])
    assert reader.trailer.get("/Info") is None
    title = xmp_root(reader).find(".//{http://purl.org/dc/elements/1.1/}title//{*}li")
    assert title is not None and title.text == DATA[kind]["title"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_font_is_embedded(rendered, kind):
    reader = reader_of(rendered[kind, False])
    fonts = [font for page in reader.pages for font in fonts_of(page["/Resources"])]
    assert fonts
    for font in fonts:
        descriptors = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
        for descriptor in descriptors:
            entry = descriptor["/FontDescriptor"].get_object()
            assert any(key in entry for key in ("/FontFile", "/FontFile2", "/FontFile3")), font.get("/BaseFont")
            # Only our bundled families, never a system fallback.
            assert "Sepakat" in descriptor["/BaseFont"], descriptor["/BaseFont"]


# The data travels with the PDF


@pytest.mark.parametrize(("kind", "draft"), CASES)
def test_canonical_json_is_embedded_as_data(rendered, kind, draft):
    reader = reader_of(rendered[kind, draft])
    canonical = pdf.canonical_json(DATA[kind])
    assert dict(reader.attachments) == {"sepakat-data.json": [canonical]}

    catalog = reader.trailer["/Root"]
    associated = [ref.get_object() for ref in catalog["/AF"]]
    assert len(associated) == 1  # listed once
    filespec = associated[0]
    assert filespec["/UF"] == filespec["/F"] == "sepakat-data.json"
    assert filespec["/AFRelationship"] == "/Data"
    embedded = filespec["/EF"]["/F"].get_object()
    assert embedded["/Subtype"] == "/application/json"
    assert embedded.get_data() == canonical
    assert embedded["/Params"]["/Size"] == len(canonical)


@pytest.mark.parametrize(("kind", "draft"), CASES)
def test_data_hash_is_returned_and_printed_on_every_page(rendered, kind, draft):
    result = rendered[kind, draft]
    expected = hashlib.sha256(pdf.canonical_json(DATA[kind])).hexdigest()
    assert result.data_sha256 == expected
    pages = reader_of(result).pages
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert expected in squash(text), number
        assert f"Halaman {number} dari {len(pages)}" in text
        assert DATA[kind]["document_id"] in text


def test_hash_follows_the_data():
    data = stage_data("mou")
    changed = copy.deepcopy(data)
    changed["articles"][0]["body"] += " Diubah."
    first = kinds.render_stage_pdf("mou", data, draft=True)
    second = kinds.render_stage_pdf("mou", changed, draft=True)
    assert first.data_sha256 != second.data_sha256
    assert second.data_sha256 in squash(reader_of(second).pages[0].extract_text())


# QR code


def qr_path_runs(payload: str) -> int:
    """Dark runs in segno's SVG path: each becomes one line segment in the PDF."""
    svg = segno.make(payload, error="m", micro=False).svg_inline(scale=1, border=2, omitsize=True)
    return re.search(r' d="([^"]+)"', svg).group(1).count("h")


def test_qr_encodes_the_verification_url_or_the_document_id():
    data = stage_data("mou")
    expected = segno.make(data["verification_url"], error="m", micro=False).svg_inline(
        scale=1, border=2, omitsize=True, dark="#000"
    )
    html = pdf.render_mou_html(data, draft=False)
    assert expected in html
    assert "data:" not in html.split("<body>")[1]

    del data["verification_url"]
    fallback = segno.make(data["document_id"], error="m", micro=False).svg_inline(
        scale=1, border=2, omitsize=True, dark="#000"
    )
    assert fallback in pdf.render_mou_html(data, draft=False)


@pytest.mark.parametrize(("kind", "draft"), CASES)
def test_qr_is_drawn_as_vectors_on_every_page(rendered, kind, draft):
    runs = qr_path_runs(DATA[kind]["verification_url"])
    assert runs > 100
    for page in reader_of(rendered[kind, draft]).pages:
        operators = []
        page.extract_text(visitor_operand_before=lambda op, args, cm, tm: operators.append(op))
        assert operators.count(b"l") >= runs
        assert not page["/Resources"].get("/XObject")  # vectors, not a picture


# Paraf and signature cells


@pytest.mark.parametrize("kind", KINDS)
def test_approval_sheet_lists_paraf_and_signature_cells(rendered, kind):
    """The approval sheet keeps decisions and paraf; the signatures stand in the document's own blocks."""
    reader = reader_of(rendered[kind, False])
    sheet = squash("".join(p.extract_text() for p in reader.pages if "LEMBAR PERSETUJUAN" in p.extract_text()))
    assert "Paraf" in sheet
    for initial in PARAF:
        for key in ("step", "name", "post", "time"):
            assert squash(initial[key]) in sheet, initial[key]
    assert squash("Tanda Tangan Elektronik") not in sheet
    assert sheet.index("Waktu(WIB)") < sheet.index("Paraf")


@pytest.mark.parametrize(("kind", "draft"), CASES)
def test_signature_boxes_sit_under_their_labels_on_the_approval_sheet(rendered, kind, draft):
    """Each stamp area lies in its signer's block, on the page of the block, not on the approval sheet."""
    result = rendered[kind, draft]
    reader = reader_of(result)
    assert set(result.signature_boxes) == {slot["field"] for slot in SLOTS[kind]}
    sheet_page = next(i for i, page in enumerate(reader.pages) if "LEMBAR PERSETUJUAN" in page.extract_text())
    for slot in SLOTS[kind]:
        found = result.signature_boxes[slot["field"]]
        assert found.page_index < sheet_page
        page = reader.pages[found.page_index]
        x1, y1, x2, y2 = found.box
        _, _, page_width, page_height = (float(v) for v in page.mediabox)
        assert 0 <= x1 < x2 <= page_width
        assert 0 <= y1 < y2 <= page_height
        assert x2 - x1 == pytest.approx(190, abs=0.5)
        assert y2 - y1 == pytest.approx(62, abs=0.5)
        # Clear of the footer (24 mm bottom margin) and of the top margin.
        assert y1 > 24 / 25.4 * 72
        assert y2 < page_height - 25 / 25.4 * 72
        block = {"mou": ["PIHAK KESATU", "PIHAK KEDUA"], "regulation": ["Ditetapkan di"],
                 "masterplan": ["Diterima oleh", "Yang menyatakan"]}[kind]
        assert all(squash(label) in squash(page.extract_text()) for label in block)  # the page of the block


def test_many_slots_flow_onto_the_next_page_whole():
    data = stage_data("mou")
    data["approvals"] = data["approvals"] * 6
    data["signature_slots"] = [
        {"field": f"ttd_{n}", "label": f"PENANDA TANGAN {n}", "post": "Jabatan", "name": f"Nama {n}"}
        for n in range(1, 17)  # more than a page holds, wherever the block starts
    ]
    result = kinds.render_stage_pdf("mou", data, draft=False)
    pages = reader_of(result).pages
    assert len({found.page_index for found in result.signature_boxes.values()}) >= 2
    for n, slot in enumerate(data["signature_slots"], start=1):
        found = result.signature_boxes[slot["field"]]
        x1, y1, x2, y2 = found.box
        assert y2 - y1 == pytest.approx(75, abs=0.5)
        labels = [(x, y) for text, x, y in text_positions(pages[found.page_index]) if text == f"PENANDA TANGAN {n}"]
        assert len(labels) == 1
        assert x1 <= labels[0][0] <= x2 and y2 < labels[0][1] < y2 + 40
    # No two cells overlap.
    boxes = list(result.signature_boxes.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a.page_index == b.page_index:
                ax1, ay1, ax2, ay2 = a.box
                bx1, by1, bx2, by2 = b.box
                assert ax2 <= bx1 or bx2 <= ax1 or ay2 <= by1 or by2 <= ay1


def test_without_slots_or_paraf_there_are_no_blocks_and_no_boxes():
    data = copy.deepcopy(MOU)
    result = kinds.render_stage_pdf("mou", data, draft=False)
    assert result.signature_boxes == {}
    text = squash("".join(p.extract_text() for p in reader_of(result).pages))
    assert "TandaTanganElektronik" not in text
    assert "Belumadaparaf." not in text
    data["paraf"] = []
    text = squash("".join(p.extract_text() for p in reader_of(kinds.render_stage_pdf("mou", data, draft=True)).pages))
    assert "Belumadaparaf." in text


@pytest.mark.parametrize(
    "slots",
    [
        [{"field": "ttd.region", "label": "x", "post": "x", "name": "x"}],  # a dot splits PDF field names
        [{"field": '"><script>', "label": "x", "post": "x", "name": "x"}],
        [{"field": "", "label": "x", "post": "x", "name": "x"}],
        [{"field": "ttd_a", "label": "x", "post": "x", "name": "x"}] * 2,  # duplicate
    ],
)
def test_bad_signature_field_names_are_refused(slots):
    data = copy.deepcopy(MOU)
    data["signature_slots"] = slots
    with pytest.raises(ValueError, match="signature field"):
        kinds.render_stage_pdf("mou", data, draft=True)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown document kind"):
        kinds.render_stage_pdf("letter", MOU, draft=True)


# The old entry points


@pytest.mark.parametrize(
    ("render", "kind"),
    [(pdf.render_mou_pdf, "mou"), (pdf.render_regulation_pdf, "regulation"), (pdf.render_masterplan_pdf, "masterplan")],
)
def test_old_entry_points_return_the_same_pdf_a_bytes(render, kind):
    content = render(DATA[kind], draft=False)
    assert isinstance(content, bytes)
    reader = PdfReader(io.BytesIO(content))
    assert dict(reader.attachments) == {"sepakat-data.json": [pdf.canonical_json(DATA[kind])]}
    assert reader.trailer.get("/Info") is None
    assert pdf.data_sha256(DATA[kind]) in squash(reader.pages[0].extract_text())


# Hostile input in the new fields


def hostile_stage(kind: str) -> dict:
    data = stage_data(kind)
    for n, slot in enumerate(data["signature_slots"]):
        slot["name"] = HOSTILE[n % len(HOSTILE)]
        slot["label"] = HOSTILE[(n + 1) % len(HOSTILE)]
        slot["post"] = HOSTILE[(n + 2) % len(HOSTILE)]
    data["paraf"][0].update(name=HOSTILE[0], post=HOSTILE[1], step=HOSTILE[2], time=HOSTILE[3])
    data["paraf"][1]["name"] = "\n".join(HOSTILE)
    data["verification_url"] = "javascript:alert(1)//" + HOSTILE[0]
    return data


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_slot_and_paraf_text_is_escaped_in_html(kind):
    html = kinds.kind_spec(kind).render_html(hostile_stage(kind), draft=False)
    for snippet in HOSTILE:
        assert snippet not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_slot_and_paraf_text_is_literal_and_never_fetched(kind, monkeypatch):
    data = hostile_stage(kind)
    fetcher = RecordingFetcher()
    monkeypatch.setattr(pdf, "safe_url_fetcher", fetcher)

    result = kinds.render_stage_pdf(kind, data, draft=False)

    reader = reader_of(result)
    text = squash("".join(page.extract_text() for page in reader.pages))
    for snippet in HOSTILE:
        assert squash(snippet) in text, snippet
    assert set(result.signature_boxes) == {slot["field"] for slot in data["signature_slots"]}
    assert dict(reader.attachments) == {"sepakat-data.json": [pdf.canonical_json(data)]}
    assert fetcher.refused == []
    static_prefix = path2url(static_dir())
    assert all(url.startswith(static_prefix) for url in fetcher.urls), fetcher.urls
    assert static_prefix + "pdf/document.css" in fetcher.urls
