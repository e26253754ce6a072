"""Regulation and masterplan PDF rendering: content, placeholders, draft marking, escaping."""

import copy
import io

import pytest
from pypdf import PdfReader
from weasyprint.urls import path2url

from agreements import pdf

from .test_pdf import HOSTILE, RecordingFetcher, pdf_text, squash, static_dir

PREVIOUS_SHA = "ab12" + "0123456789abcdef" * 3 + "cd34ef56ab78"
REGION = {
    "name": "Kota Banjar",
    "kind": "kota",
    "head_title": "Wali Kota Banjar",
    "region_label": "Pemerintah Kota Banjar",
}
APPROVALS = [
    {
        "step": "Telaah Tenaga Ahli",
        "name": "Prof. Dr. Rina Wulandari",
        "post": "Tenaga Ahli",
        "agency": "Tenaga Ahli Gerakan Menuju Kota Cerdas",
        "decision": "Disetujui",
        "note": "Substansi sudah sesuai.",
        "time": "01-03-2024 09:00 WIB",
        "version": 1,
    },
    {
        "step": "Harmonisasi Hukum",
        "name": "Siti Aminah, S.H., M.H.",
        "post": "Kepala Bagian Hukum",
        "agency": "Sekretariat Daerah Kota Banjar",
        "decision": "Dikembalikan",
        "note": "Konsiderans huruf b diperbaiki.",
        "time": "02-03-2024 14:30 WIB",
        "version": 1,
    },
]

REGULATION = {
    "document_id": "REG-kota-banjar-2024-7-v2",
    "version": 2,
    "year": 2024,
    "status_label": "Diundangkan",
    "region": REGION,
    "regulation_kind": "Peraturan Wali Kota",
    "head_post_upper": "WALI KOTA BANJAR",
    "title": "Masterplan Kota Cerdas",
    "number": "12",
    "number_year": "2024",
    "considerations": [
        "bahwa untuk mewujudkan tata kelola pemerintahan yang efektif diperlukan pengembangan kota cerdas;",
        "bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam huruf a, perlu menetapkan Peraturan Wali Kota;",
        "bahwa pertimbangan ketiga;",
    ],
    "legal_basis": [
        "Undang-Undang Nomor 27 Tahun 2002 tentang Pembentukan Kota Banjar di Provinsi Jawa Barat;",
        "Undang-Undang Nomor 23 Tahun 2014 tentang Pemerintahan Daerah;",
    ],
    "articles": [
        {
            "number": 1,
            "heading": "Ketentuan Umum",
            "body": "Dalam Peraturan Wali Kota ini yang dimaksud dengan:\n1. Daerah adalah Kota Banjar.",
        },
        {"number": 2, "heading": "Ruang Lingkup", "body": "Masterplan Kota Cerdas meliputi enam dimensi."},
        {"number": 3, "heading": "", "body": "Peraturan Wali Kota ini mulai berlaku pada tanggal diundangkan."},
    ],
    "enactment": {
        "place": "Banjar",
        "date": "5 Maret 2024",
        "post": "WALI KOTA BANJAR",
        "name": "Ade Uu Sukaesih",
        "on_behalf": "",
    },
    "promulgation": {
        "place": "Banjar",
        "date": "6 Maret 2024",
        "post": "SEKRETARIS DAERAH KOTA BANJAR",
        "name": "Agus Salim",
        "nip": "19680505 199003 1 004",
        "berita_daerah": "BERITA DAERAH KOTA BANJAR TAHUN 2024 NOMOR 12",
    },
    "approvals": APPROVALS,
    "previous_stage_sha256": PREVIOUS_SHA,
}

DIMENSIONS = [
    ("smart_governance", "Smart Governance"),
    ("smart_branding", "Smart Branding"),
    ("smart_economy", "Smart Economy"),
    ("smart_living", "Smart Living"),
    ("smart_society", "Smart Society"),
    ("smart_environment", "Smart Environment"),
]

MASTERPLAN = {
    "document_id": "MP-kota-banjar-2024-9-v1",
    "version": 1,
    "year": 2024,
    "status_label": "Diterima",
    "region": REGION,
    "title": "Masterplan Kota Cerdas Kota Banjar 2024-2034",
    "chapters": [
        {
            "dimension": key,
            "dimension_label": label,
            "body": f"Analisis kondisi {label} di Kota Banjar.\nSasaran {label} sepuluh tahun.",
        }
        for key, label in DIMENSIONS
    ],
    "quick_wins": [
        {
            "name": "Layanan antrean puskesmas daring",
            "dimension_label": "Smart Living",
            "responsible_agency": "Dinas Kesehatan",
            "target_date": "05-03-2025",
        },
        {
            "name": "Satu data UMKM",
            "dimension_label": "Smart Economy",
            "responsible_agency": "Dinas Koperasi, UKM dan Perdagangan",
            "target_date": "30-09-2024",
        },
    ],
    # Deliberately out of horizon order: the renderer groups them.
    "roadmap": [
        {
            "horizon": 10,
            "horizon_label": "Jangka panjang (10 tahun)",
            "dimension_label": "Smart Environment",
            "description": "Kota rendah emisi.",
        },
        {
            "horizon": 1,
            "horizon_label": "Jangka pendek (1 tahun)",
            "dimension_label": "Smart Economy",
            "description": "Pasar daring UMKM.",
        },
        {
            "horizon": 5,
            "horizon_label": "Jangka menengah (5 tahun)",
            "dimension_label": "Smart Governance",
            "description": "Integrasi layanan perizinan.",
        },
        {
            "horizon": 1,
            "horizon_label": "Jangka pendek (1 tahun)",
            "dimension_label": "Smart Living",
            "description": "Antrean puskesmas daring.",
        },
    ],
    "rpjmd_alignment": "Selaras dengan misi kedua RPJMD Kota Banjar 2023-2026.\nIndikator kinerja utama dipetakan.",
    "commitment": {"post": "Wali Kota Banjar", "name": "Ade Uu Sukaesih", "date": "5 Maret 2024"},
    "acceptance": {
        "post": "Direktur Layanan Aplikasi Informatika Pemerintahan",
        "name": "Dr. Bonifasius Wahyu Pudjianto",
        "date": "20 Maret 2024",
    },
    "approvals": APPROVALS,
    "previous_stage_sha256": PREVIOUS_SHA,
}

RENDERERS = {
    "regulation": (pdf.render_regulation_pdf, REGULATION),
    "masterplan": (pdf.render_masterplan_pdf, MASTERPLAN),
}


@pytest.fixture(scope="module")
def rendered():
    """Each document, draft and final, rendered once for the module."""
    return {
        (kind, draft): render(data, draft=draft)
        for kind, (render, data) in RENDERERS.items()
        for draft in (True, False)
    }


def pages_of(data: bytes):
    return PdfReader(io.BytesIO(data)).pages


def assert_all_in(snippets, text):
    for snippet in snippets:
        assert squash(snippet) in text, snippet


# Regulation


def test_regulation_title_block_and_structure(rendered):
    text = squash(pdf_text(rendered["regulation", False]))
    assert_all_in(
        [
            "WALI KOTA BANJAR",
            "PERATURAN WALI KOTA BANJAR",
            "NOMOR 12 TAHUN 2024",
            "TENTANG",
            "MASTERPLAN KOTA CERDAS",
            "DENGAN RAHMAT TUHAN YANG MAHA ESA",
            "WALI KOTA BANJAR,",
            "Menimbang",
            "Mengingat",
            "MEMUTUSKAN:",
            "Menetapkan",
            "PERATURAN WALI KOTA TENTANG MASTERPLAN KOTA CERDAS.",
        ],
        text,
    )
    # Lettered considerations, numbered legal basis, in order.
    assert_all_in([f"{label}.{item}" for label, item in zip("abc", REGULATION["considerations"], strict=True)], text)
    assert_all_in([f"{n}.{item}" for n, item in enumerate(REGULATION["legal_basis"], start=1)], text)
    assert text.index("Menimbang") < text.index("Mengingat") < text.index("MEMUTUSKAN") < text.index("Pasal1")


def test_regulation_articles_signatures_and_berita_daerah(rendered):
    text = squash(pdf_text(rendered["regulation", False]))
    for article in REGULATION["articles"]:
        assert_all_in([f"Pasal {article['number']}", article["heading"], article["body"]], text)
    enactment, promulgation = REGULATION["enactment"], REGULATION["promulgation"]
    assert_all_in(
        [
            "Ditetapkan di Banjar",
            "pada tanggal 5 Maret 2024",
            "WALI KOTA BANJAR,",
            enactment["name"].upper(),
            "Diundangkan di Banjar",
            "pada tanggal 6 Maret 2024",
            "SEKRETARIS DAERAH KOTA BANJAR,",
            promulgation["name"].upper(),
            "NIP. 19680505 199003 1 004",
            "BERITA DAERAH KOTA BANJAR TAHUN 2024 NOMOR 12",
        ],
        text,
    )
    assert text.index("Ditetapkandi") < text.index("Diundangkandi") < text.index("BERITADAERAH")


def test_regulation_before_promulgation_shows_placeholders():
    data = copy.deepcopy(REGULATION)
    data.update(number="", number_year="", approvals=[], previous_stage_sha256="")
    data["enactment"].update(name="", date="")
    data["promulgation"].update(name="", date="", nip="", berita_daerah="")
    text = squash(pdf_text(pdf.render_regulation_pdf(data, draft=True)))
    assert "NOMOR……TAHUN……" in text
    assert "BERITADAERAHKOTABANJARTAHUN……NOMOR……" in text
    assert "pada tanggal ……".replace(" ", "") in text
    assert "NOMOR12" not in text
    assert squash(REGULATION["enactment"]["name"].upper()) not in text
    assert squash(REGULATION["promulgation"]["name"].upper()) not in text
    assert "Belumadakeputusan." in text
    assert "Dokumentahapsebelumnya" not in text  # no previous stage hash (the footer has its own)


def test_regulation_with_empty_lists_still_renders():
    data = copy.deepcopy(REGULATION)
    data.update(considerations=[], legal_basis=[], articles=[], approvals=[])
    text = squash(pdf_text(pdf.render_regulation_pdf(data, draft=False)))
    assert_all_in(["Menimbang:……", "Mengingat:……", "MEMUTUSKAN:", "Halaman 1 dari"], text)


def test_regulation_on_behalf_is_shown():
    data = copy.deepcopy(REGULATION)
    data["enactment"].update(on_behalf="a.n. WALI KOTA BANJAR", post="SEKRETARIS DAERAH")
    text = squash(pdf_text(pdf.render_regulation_pdf(data, draft=False)))
    assert squash("a.n. WALI KOTA BANJAR SEKRETARIS DAERAH,") in text


# Masterplan


def test_masterplan_cover_and_chapters(rendered):
    pages = pages_of(rendered["masterplan", False])
    cover = squash(pages[0].extract_text())
    assert_all_in(["MASTERPLAN KOTA CERDAS", MASTERPLAN["title"], "PEMERINTAH KOTA BANJAR", "2024"], cover)
    text = squash(pdf_text(rendered["masterplan", False]))
    numerals = ["I", "II", "III", "IV", "V", "VI"]
    for numeral, chapter in zip(numerals, MASTERPLAN["chapters"], strict=True):
        assert_all_in([f"BAB {numeral} — {chapter['dimension_label'].upper()}", chapter["body"]], text)
    # One chapter per page, in order, after the cover.
    for number, (_, label) in enumerate(DIMENSIONS, start=1):
        assert squash(label.upper()) in squash(pages[number].extract_text())


def test_masterplan_quick_wins_roadmap_and_rpjmd(rendered):
    text = squash(pdf_text(rendered["masterplan", False]))
    assert_all_in(["Program Cepat (Quick Wins)", "Perangkat Daerah penanggung jawab", "Peta Jalan"], text)
    for win in MASTERPLAN["quick_wins"]:
        assert_all_in([win["name"], win["responsible_agency"], win["target_date"]], text)
    for item in MASTERPLAN["roadmap"]:
        assert_all_in([item["horizon_label"], item["description"]], text)
    # Grouped by horizon: 1, 5, 10 years, whatever the input order.
    short, medium, long = (text.index(squash(f"Jangka {w}")) for w in ("pendek", "menengah", "panjang"))
    assert short < text.index("Pasardaring") < text.index("Antreanpuskesmasdaring.") < medium < long
    assert text.count(squash("Jangka pendek (1 tahun)")) == 1
    assert_all_in(["Keselarasan dengan RPJMD", MASTERPLAN["rpjmd_alignment"]], text)


def test_masterplan_commitment_sheet(rendered):
    pages = pages_of(rendered["masterplan", False])
    commitment = next(squash(p.extract_text()) for p in pages if "LEMBAR KOMITMEN" in p.extract_text())
    assert_all_in(
        [
            "Pemerintah Kota Banjar",
            MASTERPLAN["title"],
            "Banjar, 5 Maret 2024",
            "Wali Kota Banjar,",
            MASTERPLAN["commitment"]["name"],
            "Direktur Layanan Aplikasi Informatika Pemerintahan,",
            MASTERPLAN["acceptance"]["name"],
            "Diterima pada tanggal 20 Maret 2024",
        ],
        commitment,
    )


def test_masterplan_unsigned_and_empty_still_renders():
    data = copy.deepcopy(MASTERPLAN)
    data.update(quick_wins=[], roadmap=[], approvals=[], previous_stage_sha256="")
    data["commitment"].update(name="", date="")
    data["acceptance"].update(name="", date="")
    text = squash(pdf_text(pdf.render_masterplan_pdf(data, draft=True)))
    assert_all_in(
        ["Belum ada program cepat.", "Belum ada peta jalan.", "Belum ada keputusan.", "LEMBAR KOMITMEN"], text
    )
    assert squash(MASTERPLAN["commitment"]["name"]) not in text
    assert squash(MASTERPLAN["acceptance"]["name"]) not in text
    assert "Dokumentahapsebelumnya" not in text  # no previous stage hash (the footer has its own)


def test_roadmap_groups_keep_input_order_within_a_horizon():
    groups = pdf._roadmap_groups(MASTERPLAN["roadmap"])
    assert [g["horizon"] for g in groups] == [1, 5, 10]
    assert [i["description"] for i in groups[0]["items"]] == ["Pasar daring UMKM.", "Antrean puskesmas daring."]


def test_numbering_helpers():
    assert [pdf.roman(n) for n in (1, 4, 6, 9, 14, 40)] == ["I", "IV", "VI", "IX", "XIV", "XL"]
    assert [pdf.letter(n) for n in (1, 3, 26, 27, 28)] == ["a", "c", "z", "aa", "ab"]
    assert pdf.region_name_part(REGION) == "Banjar"
    assert pdf.region_name_part({"name": "Kabupaten Bone Bolango", "kind": "kabupaten"}) == "Bone Bolango"
    assert pdf.region_name_part({"name": "Kota Kotamobagu", "kind": "kota"}) == "Kotamobagu"


def test_regency_regulation_heading():
    data = copy.deepcopy(REGULATION)
    data.update(
        region={"name": "Kabupaten Bangli", "kind": "kabupaten", "head_title": "Bupati Bangli",
                "region_label": "Pemerintah Kabupaten Bangli"},
        regulation_kind="Peraturan Bupati",
        head_post_upper="BUPATI BANGLI",
    )
    text = squash(pdf_text(pdf.render_regulation_pdf(data, draft=False)))
    assert_all_in(
        ["PERATURAN BUPATI BANGLI", "PERATURAN BUPATI TENTANG MASTERPLAN KOTA CERDAS.", "BUPATI BANGLI,"], text
    )
    assert "KABUPATENBANGLI" not in text.split("Menimbang")[0]


# Both documents


@pytest.mark.parametrize("kind", RENDERERS)
def test_approval_sheet(rendered, kind):
    data = RENDERERS[kind][1]
    last = squash(pages_of(rendered[kind, False])[-1].extract_text())
    assert_all_in(["LEMBAR PERSETUJUAN", "Pemerintah daerah", "Pemerintah Kota Banjar"], last)
    for approval in APPROVALS:
        assert_all_in([approval["name"], approval["decision"], approval["note"]], last)
    assert_all_in(["Dokumen tahap sebelumnya (SHA-256)", PREVIOUS_SHA], last)
    assert_all_in([data["title"], data["status_label"]], last)


def test_regulation_approval_sheet_names_the_kind(rendered):
    last = squash(pages_of(rendered["regulation", False])[-1].extract_text())
    assert squash("Peraturan Wali Kota Banjar tentang Masterplan Kota Cerdas") in last


@pytest.mark.parametrize("kind", RENDERERS)
def test_every_page_has_the_footer(rendered, kind):
    data = RENDERERS[kind][1]
    pages = pages_of(rendered[kind, False])
    total = len(pages)
    assert total >= 2
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert f"Halaman {number} dari {total}" in text
        assert data["document_id"] in text


@pytest.mark.parametrize("kind", RENDERERS)
def test_draft_marking_only_on_drafts(rendered, kind):
    for page in pages_of(rendered[kind, True]):
        text = page.extract_text()
        assert "DRAF — bukan dokumen final" in text
        assert text.count("DRAF") >= 2  # watermark and footer
    final = pdf_text(rendered[kind, False])
    assert "DRAF" not in final
    assert "bukan dokumen final" not in final


# Hostile input


@pytest.fixture
def hostile_regulation():
    data = copy.deepcopy(REGULATION)
    data["title"] = "Judul " + HOSTILE[0]
    data["considerations"] = [f"bahwa {snippet};" for snippet in HOSTILE]
    data["legal_basis"] = [HOSTILE[1], HOSTILE[2]]
    data["articles"][0]["heading"] = HOSTILE[3]
    data["articles"][0]["body"] = "\n".join(HOSTILE)
    data["enactment"]["on_behalf"] = HOSTILE[2]
    data["promulgation"]["berita_daerah"] = HOSTILE[1]
    data["approvals"] = copy.deepcopy(APPROVALS)
    data["approvals"][0]["note"] = "\n".join(HOSTILE)
    data["previous_stage_sha256"] = HOSTILE[3]
    return data


@pytest.fixture
def hostile_masterplan():
    data = copy.deepcopy(MASTERPLAN)
    data["title"] = "Judul " + HOSTILE[0]
    data["chapters"][0]["body"] = "\n".join(HOSTILE)
    data["chapters"][1]["dimension_label"] = HOSTILE[1]
    data["quick_wins"][0]["name"] = HOSTILE[2]
    data["quick_wins"][1]["responsible_agency"] = HOSTILE[3]
    data["roadmap"][0]["description"] = "\n".join(HOSTILE)
    data["rpjmd_alignment"] = " ".join(HOSTILE)
    data["commitment"]["name"] = HOSTILE[1]
    return data


@pytest.mark.parametrize(
    ("render_html", "fixture"),
    [
        (pdf.render_regulation_html, "hostile_regulation"),
        (pdf.render_masterplan_html, "hostile_masterplan"),
    ],
)
def test_user_markup_is_escaped_in_html(render_html, fixture, request):
    html = render_html(request.getfixturevalue(fixture), draft=False)
    for snippet in HOSTILE:
        assert snippet not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("render", "fixture", "case"),
    [
        (pdf.render_regulation_pdf, "hostile_regulation", str.upper),  # the title block is uppercased
        (pdf.render_masterplan_pdf, "hostile_masterplan", str),
    ],
)
def test_user_markup_is_literal_text_and_never_fetched(render, fixture, case, request, monkeypatch):
    data = request.getfixturevalue(fixture)
    fetcher = RecordingFetcher()
    monkeypatch.setattr(pdf, "safe_url_fetcher", fetcher)

    text = squash(pdf_text(render(data, draft=False)))

    for snippet in HOSTILE:
        assert squash(snippet) in text, snippet
    assert squash(case(data["title"])) in text
    assert fetcher.refused == []
    static_prefix = path2url(static_dir())
    assert all(url.startswith(static_prefix) for url in fetcher.urls), fetcher.urls
    # Proves the recorder saw the real traffic: stylesheet and bundled fonts.
    assert static_prefix + "pdf/document.css" in fetcher.urls
    assert any(url.endswith("fonts/DejaVuSerif.ttf") for url in fetcher.urls)
