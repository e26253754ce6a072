"""Stage data as the snapshots produce it, for benchmarks (no database needed)."""

REGION = {
    "name": "Kota Banjar",
    "kind": "kota",
    "head_title": "Wali Kota Banjar",
    "region_label": "Pemerintah Kota Banjar",
}
PARAGRAPH = "Isi pasal yang cukup panjang untuk satu paragraf dokumen resmi pemerintah daerah. " * 6


def approvals(n=7):
    return [
        {
            "step": f"Langkah {i}",
            "name": "Andi Pratama, S.Kom.",
            "post": "Kepala Dinas",
            "agency": "Dinas Komunikasi dan Informatika Kota Banjar",
            "decision": "Disetujui",
            "note": "Catatan singkat.",
            "time": "05-03-2024 10:12 WIB",
            "version": 1,
        }
        for i in range(n)
    ]


def common(kind, slots):
    return {
        "document_id": f"{kind.upper()}-kota-banjar-2024-1-v1",
        "title": "Masterplan Kota Cerdas",
        "version": 1,
        "year": 2024,
        "region": REGION,
        "approvals": approvals(),
        "status_label": "Final",
        "previous_stage_sha256": "ab" * 32 if kind != "mou" else "",
        "paraf": [
            {"step": "Paraf", "name": "Eko Wibowo, S.T.", "post": "Sekretaris Daerah", "time": "05-03-2024 10:12 WIB"}
        ],
        "signature_slots": [
            {"field": f"ttd_{i}", "label": f"Penanda tangan {i}", "post": "Jabatan", "name": ""} for i in range(slots)
        ],
        "verification_url": "http://127.0.0.1:8000/verifikasi/X-1/",
    }


def mou(slots=2):
    return {
        **common("mou", slots),
        "ministry": {"name": "Kementerian Komunikasi dan Digital", "unit": "Direktorat Jenderal Aplikasi Informatika"},
        "number_ministry": "B-1/DJAI/2024",
        "number_region": "415/1/2024",
        "place_date": "Jakarta, 5 Maret 2024",
        "preamble": "Pada hari ini",
        "articles": [{"number": n, "heading": f"Pasal {n}", "body": PARAGRAPH} for n in range(1, 7)],
        "signatories": [
            {"party": "PIHAK KESATU", "post": "Direktur Jenderal", "name": "", "nip": "", "on_behalf": ""},
            {"party": "PIHAK KEDUA", "post": "Wali Kota Banjar", "name": "", "nip": "", "on_behalf": ""},
        ],
    }


def regulation(slots=2):
    blank = {"place": "Banjar", "date": "", "post": "WALI KOTA BANJAR", "name": "", "nip": "", "on_behalf": ""}
    return {
        **common("regulation", slots),
        "regulation_kind": "Peraturan Wali Kota",
        "head_post_upper": "WALI KOTA BANJAR",
        "number": "",
        "number_year": "",
        "considerations": ["bahwa perlu;", "bahwa perlu pula;"],
        "legal_basis": ["Undang-Undang Nomor 23 Tahun 2014;"],
        "articles": [{"number": n, "heading": f"Pasal {n}", "body": PARAGRAPH} for n in range(1, 6)],
        "enactment": blank,
        "promulgation": {**blank, "post": "SEKRETARIS DAERAH KOTA BANJAR", "berita_daerah": ""},
    }


def masterplan(slots=2):
    dims = ["governance", "branding", "economy", "living", "society", "environment"]
    return {
        **common("masterplan", slots),
        "chapters": [
            {"dimension": f"smart_{d}", "dimension_label": f"Smart {d.title()}", "body": PARAGRAPH * 3} for d in dims
        ],
        "quick_wins": [
            {
                "name": f"Program {i}",
                "dimension_label": "Smart Living",
                "responsible_agency": "Dinas",
                "target_date": "05-03-2025",
            }
            for i in range(5)
        ],
        "roadmap": [
            {"horizon": h, "horizon_label": f"{h} tahun", "dimension_label": "Smart Economy", "description": "Uraian."}
            for h in (1, 5, 10)
        ],
        "rpjmd_alignment": "Selaras.",
        "commitment": {"post": "Wali Kota Banjar", "name": "", "date": ""},
        "acceptance": {"post": "Direktur", "name": "", "date": ""},
    }


SAMPLES = {"mou": mou, "regulation": regulation, "masterplan": masterplan}
