"""The standard text a first draft of each stage starts from (the drafter edits it)."""


def default_title(region) -> str:
    return f"Sinergi Program Gerakan Menuju Kota Cerdas di {region.display_name}"


def default_preamble(region) -> str:
    return (
        "Pada hari ini telah dibuat dan ditandatangani Nota Kesepakatan oleh dan antara "
        "Direktorat Jenderal Aplikasi Informatika, Kementerian Komunikasi dan Digital, "
        f"selanjutnya disebut PIHAK KESATU, dan {region.government_label}, "
        "selanjutnya disebut PIHAK KEDUA."
    )


def default_articles(region) -> list[dict]:
    return [
        {
            "heading": "Maksud dan Tujuan",
            "body": (
                "Nota Kesepakatan ini dimaksudkan sebagai landasan kerja sama PARA PIHAK dalam "
                f"pelaksanaan Gerakan Menuju Kota Cerdas di {region.display_name}.\n"
                "Tujuannya adalah mewujudkan tata kelola daerah yang cerdas, terpadu, dan berkelanjutan."
            ),
        },
        {
            "heading": "Ruang Lingkup",
            "body": (
                "Ruang lingkup Nota Kesepakatan ini meliputi:\n"
                "a. penyusunan regulasi kepala daerah tentang kota cerdas;\n"
                "b. bimbingan teknis penyusunan Masterplan Kota Cerdas;\n"
                "c. pelaksanaan program cepat (quick win) dan evaluasinya."
            ),
        },
        {
            "heading": "Pelaksanaan",
            "body": (
                "PIHAK KESATU menyediakan tenaga ahli pendamping dan bimbingan teknis.\n"
                "PIHAK KEDUA menetapkan regulasi, menyusun masterplan, dan membentuk Dewan Smart City."
            ),
        },
        {
            "heading": "Pembiayaan",
            "body": "Biaya pelaksanaan dibebankan pada anggaran masing-masing PARA PIHAK sesuai ketentuan.",
        },
        {
            "heading": "Jangka Waktu",
            "body": "Nota Kesepakatan ini berlaku selama 5 (lima) tahun sejak tanggal ditandatangani.",
        },
        {
            "heading": "Penutup",
            "body": (
                "Nota Kesepakatan ini dibuat dalam rangkap 2 (dua), masing-masing mempunyai kekuatan hukum yang sama."
            ),
        },
    ]


def default_regulation(region) -> dict:
    kind = f"Peraturan {region.head_post}"
    return {
        "title": "Masterplan Kota Cerdas",
        "considerations": "\n".join(
            [
                f"bahwa untuk mewujudkan tata kelola {region.display_name} yang efektif dan efisien melalui "
                "pemanfaatan teknologi informasi dan komunikasi, perlu disusun masterplan kota cerdas;",
                f"bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam huruf a, perlu menetapkan {kind} "
                "tentang Masterplan Kota Cerdas;",
            ]
        ),
        "legal_basis": "\n".join(
            [
                "Undang-Undang Nomor 23 Tahun 2014 tentang Pemerintahan Daerah;",
                "Peraturan Presiden Nomor 95 Tahun 2018 tentang Sistem Pemerintahan Berbasis Elektronik;",
                "Peraturan Presiden Nomor 39 Tahun 2019 tentang Satu Data Indonesia;",
            ]
        ),
        "articles": [
            {
                "heading": "Ketentuan Umum",
                "body": (
                    f"Dalam {kind} ini yang dimaksud dengan:\n"
                    f"1. Daerah adalah {region.display_name}.\n"
                    "2. Kota Cerdas adalah daerah yang mengelola sumber dayanya secara efektif dan efisien "
                    "dengan memanfaatkan teknologi informasi dan komunikasi."
                ),
            },
            {
                "heading": "Maksud dan Tujuan",
                "body": (
                    "Masterplan Kota Cerdas dimaksudkan sebagai pedoman bagi Perangkat Daerah dalam "
                    "melaksanakan pembangunan kota cerdas secara terpadu."
                ),
            },
            {
                "heading": "Ketentuan Penutup",
                "body": (
                    f"{kind} ini mulai berlaku pada tanggal diundangkan. Agar setiap orang mengetahuinya, "
                    f"memerintahkan pengundangan {kind} ini dengan penempatannya dalam "
                    f"Berita Daerah {region.display_name}."
                ),
            },
        ],
    }


MASTERPLAN_CHAPTERS = {
    "smart_governance": "Penguatan layanan publik digital terpadu, satu data daerah, dan sistem pemerintahan "
    "berbasis elektronik.",
    "smart_branding": "Penguatan citra daerah melalui pariwisata, budaya, dan identitas visual kota.",
    "smart_economy": "Pengembangan ekosistem UMKM digital, pasar daring, dan transaksi nontunai.",
    "smart_living": "Layanan kesehatan, pendidikan, dan transportasi yang terhubung bagi warga.",
    "smart_society": "Peningkatan literasi digital dan partisipasi warga dalam perencanaan daerah.",
    "smart_environment": "Pengelolaan sampah, air, dan energi berbasis data serta pemantauan lingkungan.",
}


def default_masterplan(region, today) -> dict:
    return {
        "title": f"Masterplan Kota Cerdas {region.display_name} {today.year}-{today.year + 10}",
        "chapters": dict(MASTERPLAN_CHAPTERS),
        "rpjmd_alignment": (
            f"Masterplan ini selaras dengan misi RPJMD {region.display_name} tentang tata kelola "
            "pemerintahan yang bersih dan pelayanan publik yang prima."
        ),
        "quick_wins": [
            {
                "name": "Aplikasi pengaduan warga terpadu",
                "dimension": "smart_governance",
                "responsible_agency": "Dinas Komunikasi dan Informatika",
                "months": 6,
            },
            {
                "name": "Katalog UMKM daring",
                "dimension": "smart_economy",
                "responsible_agency": "Dinas Koperasi dan UMKM",
                "months": 9,
            },
        ],
        "roadmap": [
            {"horizon": 1, "dimension": "smart_governance", "description": "Integrasi layanan perizinan daring."},
            {"horizon": 5, "dimension": "smart_living", "description": "Rekam medis elektronik di seluruh puskesmas."},
            {
                "horizon": 10,
                "dimension": "smart_environment",
                "description": "Pemantauan kualitas udara dan air real-time.",
            },
        ],
    }
