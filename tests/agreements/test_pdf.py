"""MoU PDF rendering: content, draft marking, escaping and the URL fetcher."""

import copy
import io
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import path2url

from agreements import pdf

HOSTILE = [
    '<img src="file:///etc/passwd">',
    "<script>alert(1)</script>",
    '<link rel=stylesheet href="http://127.0.0.1:9/x.css">',
    '<div style="background:url(http://127.0.0.1:9/x)">',
]

MOU = {
    "document_id": "MOU-kota-banjar-2024-v3",
    "title": "Nota Kesepakatan tentang Gerakan Menuju Kota Cerdas di Kota Banjar",
    "version": 3,
    "year": 2024,
    "region": {
        "name": "Kota Banjar",
        "kind": "kota",
        "head_title": "Wali Kota Banjar",
        "region_label": "Pemerintah Kota Banjar",
    },
    "ministry": {
        "name": "Kementerian Komunikasi dan Digital",
        "unit": "Direktorat Jenderal Aplikasi Informatika",
    },
    "number_ministry": "B-123/DJAI/HK.03.01/03/2024",
    "number_region": "415.4/12/Diskominfo/2024",
    "place_date": "Jakarta, 5 Maret 2024",
    "preamble": "Pada hari ini Selasa tanggal lima bulan Maret tahun 2024.",
    "articles": [
        {
            "number": 1,
            "heading": "Maksud dan Tujuan",
            "body": "Nota Kesepakatan ini menjadi pedoman.\nParagraf kedua.",
        },
        {"number": 2, "heading": "Ruang Lingkup", "body": "Penyusunan Rencana Induk."},
    ],
    "signatories": [
        {
            "party": "PIHAK KESATU",
            "post": "Direktur Jenderal Aplikasi Informatika",
            "name": "Dr. Ir. Bambang Santoso, M.Sc.",
            "nip": "19700101 199503 1 001",
            "on_behalf": "",
        },
        {
            "party": "PIHAK KEDUA",
            "post": "Sekretaris Daerah Kota Banjar",
            "name": "Drs. H. Agus Salim, M.Si.",
            "nip": "19680505 199003 1 004",
            "on_behalf": "a.n. Wali Kota Banjar",
        },
    ],
    "approvals": [
        {
            "step": "Telaah Diskominfo",
            "name": "Andi Pratama, S.Kom.",
            "post": "Kepala Dinas Kominfo",
            "agency": "Dinas Komunikasi dan Informatika Kota Banjar",
            "decision": "Dikembalikan",
            "note": "Pasal 2 perlu dilengkapi.",
            "time": "02-03-2024 14:30 WIB",
            "version": 2,
        },
        {
            "step": "Verifikasi Hukum",
            "name": "Siti Aminah, S.H., M.H.",
            "post": "Kepala Bagian Hukum",
            "agency": "Sekretariat Daerah Kota Banjar",
            "decision": "Disetujui",
            "note": "Tidak ada catatan substansi.",
            "time": "04-03-2024 10:12 WIB",
            "version": 3,
        },
    ],
    "status_label": "Ditandatangani",
}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squash(text: str) -> str:
    """Drop all whitespace: line wrapping in the PDF must not hide a match."""
    return "".join(text.split())


def static_dir() -> Path:
    return (Path(settings.BASE_DIR) / "static").resolve()


class RecordingFetcher(pdf.SafeURLFetcher):
    def __init__(self):
        super().__init__()
        self.urls = []
        self.refused = []

    def fetch(self, url, headers=None):
        self.urls.append(url)
        try:
            return super().fetch(url, headers)
        except pdf.UnsafeResourceError:
            self.refused.append(url)
            raise


@pytest.fixture(scope="module")
def draft_pdf():
    return pdf.render_mou_pdf(MOU, draft=True)


@pytest.fixture(scope="module")
def final_pdf():
    return pdf.render_mou_pdf(MOU, draft=False)


@pytest.fixture
def hostile_mou():
    data = copy.deepcopy(MOU)
    data["title"] = "Judul " + HOSTILE[0]
    data["preamble"] = " ".join(HOSTILE)
    data["articles"][0]["heading"] = HOSTILE[1]
    data["articles"][0]["body"] = "\n".join(HOSTILE)
    data["signatories"][1]["on_behalf"] = HOSTILE[2]
    data["approvals"][0]["note"] = "\n".join(HOSTILE)
    return data


def test_output_is_a_pdf(draft_pdf, final_pdf):
    assert draft_pdf.startswith(b"%PDF")
    assert final_pdf.startswith(b"%PDF")


def test_document_content_is_in_the_pdf(final_pdf):
    text = squash(pdf_text(final_pdf))
    expected = [
        MOU["title"].upper(),  # heading block, uppercased by CSS
        MOU["title"],  # approval sheet
        MOU["number_ministry"],
        MOU["number_region"],
        "LEMBAR PERSETUJUAN",
        "a.n. Wali Kota Banjar",
    ]
    expected += [f"Pasal {article['number']}" for article in MOU["articles"]]
    expected += [article["heading"] for article in MOU["articles"]]
    expected += [signer["name"] for signer in MOU["signatories"]]
    expected += [signer["nip"] for signer in MOU["signatories"]]
    for approval in MOU["approvals"]:
        expected += [approval["name"], approval["decision"], approval["note"]]
    for snippet in expected:
        assert squash(snippet) in text, snippet


def test_every_page_has_the_footer(final_pdf):
    pages = PdfReader(io.BytesIO(final_pdf)).pages
    total = len(pages)
    assert total >= 2  # the approval sheet starts on its own page
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert f"Halaman {number} dari {total}" in text
        assert "MOU-kota-banjar-2024-v3" in text


def test_draft_is_marked_on_every_page(draft_pdf):
    for page in PdfReader(io.BytesIO(draft_pdf)).pages:
        text = page.extract_text()
        assert "DRAF — bukan dokumen final" in text
        assert text.count("DRAF") >= 2  # watermark and footer


def test_final_has_no_draft_marking(final_pdf):
    text = pdf_text(final_pdf)
    assert "DRAF" not in text
    assert "bukan dokumen final" not in text


def test_missing_numbers_and_empty_lists_still_render():
    data = copy.deepcopy(MOU)
    data.update(number_ministry="", number_region="", place_date="", preamble="")
    data["approvals"] = []
    text = pdf_text(pdf.render_mou_pdf(data, draft=True))
    assert "Belum ada keputusan." in text
    assert "Halaman 1 dari" in text


def test_user_markup_is_escaped_in_html(hostile_mou):
    html = pdf.render_mou_html(hostile_mou, draft=False)
    for snippet in HOSTILE:
        assert snippet not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_user_markup_is_literal_text_and_never_fetched(hostile_mou, monkeypatch):
    fetcher = RecordingFetcher()
    monkeypatch.setattr(pdf, "safe_url_fetcher", fetcher)

    text = squash(pdf_text(pdf.render_mou_pdf(hostile_mou, draft=False)))

    for snippet in HOSTILE:
        assert squash(snippet) in text, snippet
    assert fetcher.refused == []
    static_prefix = path2url(static_dir())
    assert all(url.startswith(static_prefix) for url in fetcher.urls), fetcher.urls
    # Proves the recorder saw the real traffic: stylesheet and bundled fonts.
    assert static_prefix + "pdf/document.css" in fetcher.urls
    assert any(url.endswith("fonts/DejaVuSerif.ttf") for url in fetcher.urls)


def test_fetcher_blocks_markup_that_escapes_the_template():
    # Second line of defence: if raw markup ever reached WeasyPrint,
    # the fetcher would still refuse to load it.
    fetcher = RecordingFetcher()
    HTML(
        string="".join(HOSTILE) + "</div>",
        base_url=path2url(static_dir()),
        url_fetcher=fetcher,
    ).write_pdf()
    assert set(fetcher.refused) == {
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "http://127.0.0.1:9/x",
    }


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.css",
        "https://example.com/font.ttf",
        "file:///etc/passwd",
        "file://example.com/etc/passwd",
        "data:text/css,body{}",
        "ftp://example.com/x",
    ],
)
def test_safe_url_fetcher_refuses_foreign_urls(url):
    with pytest.raises(pdf.UnsafeResourceError):
        pdf.safe_url_fetcher(url)


@pytest.mark.parametrize(
    "traversal", ["../agreements/pdf.py", "%2e%2e/agreements/pdf.py"]
)
def test_safe_url_fetcher_refuses_path_traversal(traversal):
    assert (static_dir().parent / "agreements" / "pdf.py").is_file()
    with pytest.raises(pdf.UnsafeResourceError):
        pdf.safe_url_fetcher(path2url(static_dir()) + traversal)


def test_safe_url_fetcher_refuses_symlink_out_of_static(tmp_path, settings):
    (tmp_path / "static").mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "static" / "link.txt").symlink_to(tmp_path / "secret.txt")
    settings.BASE_DIR = tmp_path
    with pytest.raises(pdf.UnsafeResourceError):
        pdf.safe_url_fetcher(path2url(tmp_path / "static" / "link.txt"))


def test_safe_url_fetcher_serves_static_files():
    css = static_dir() / "pdf" / "document.css"
    response = pdf.safe_url_fetcher(path2url(css))
    try:
        assert response.content_type == "text/css"
        assert response.read() == css.read_bytes()
    finally:
        response.close()


def test_canonical_json_is_sorted_compact_utf8():
    data = {"b": "Wali Kota", "a": {"z": 1, "y": "é"}}
    assert pdf.canonical_json(data) == '{"a":{"y":"é","z":1},"b":"Wali Kota"}'.encode()
