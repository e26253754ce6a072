"""The standard text a first MoU draft starts from (the drafter edits it)."""


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
                "Nota Kesepakatan ini dibuat dalam rangkap 2 (dua), "
                "masing-masing mempunyai kekuatan hukum yang sama."
            ),
        },
    ]
