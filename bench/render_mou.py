"""Render an MoU (draft and final) repeatedly and print median and p95 times.

Usage: .venv/bin/python bench/render_mou.py [runs]
Not a test: it prints figures and never fails on time.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sepakat.settings")

import django  # noqa: E402

django.setup()

from agreements.pdf import render_mou_pdf  # noqa: E402


def sample(articles: int) -> dict:
    return {
        "document_id": "MOU-bench-2024-1-v1",
        "title": "Sinergi Program Gerakan Menuju Kota Cerdas di Kota Banjar",
        "version": 1,
        "year": 2024,
        "region": {
            "name": "Kota Banjar",
            "kind": "kota",
            "head_title": "Wali Kota Banjar",
            "region_label": "Pemerintah Kota Banjar",
        },
        "ministry": {"name": "Kementerian Komunikasi dan Digital", "unit": "Direktorat Jenderal Aplikasi Informatika"},
        "number_ministry": "B-123/DJAI/HK.03.01/03/2024",
        "number_region": "415.4/12/Diskominfo/2024",
        "place_date": "Jakarta, 5 Maret 2024",
        "preamble": "Pada hari ini telah dibuat dan ditandatangani Nota Kesepakatan. " * 3,
        "articles": [
            {"number": n, "heading": f"Pasal uji {n}", "body": "Isi pasal yang cukup panjang untuk satu paragraf. " * 8}
            for n in range(1, articles + 1)
        ],
        "signatories": [
            {
                "party": "PIHAK KESATU",
                "post": "Direktur Jenderal Aplikasi Informatika",
                "name": "Dr. Bambang Santoso",
                "nip": "19700101 199503 1 001",
                "on_behalf": "",
            },
            {
                "party": "PIHAK KEDUA",
                "post": "Wali Kota Banjar",
                "name": "Lestari Daulay, S.Sos.",
                "nip": "19810626 200804 2 053",
                "on_behalf": "",
            },
        ],
        "approvals": [
            {
                "step": f"Langkah {n}",
                "name": "Andi Pratama, S.Kom.",
                "post": "Kepala Dinas",
                "agency": "Dinas Komunikasi dan Informatika Kota Banjar",
                "decision": "Disetujui",
                "note": "Catatan singkat.",
                "time": "05-03-2024 10:12 WIB",
                "version": 1,
            }
            for n in range(7)
        ],
        "status_label": "Ditandatangani",
    }


def measure(label: str, data: dict, draft: bool, runs: int) -> None:
    render_mou_pdf(data, draft=draft)  # warm-up: fonts, templates
    wall, cpu, size = [], [], 0
    for _ in range(runs):
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        size = len(render_mou_pdf(data, draft=draft))
        wall.append(time.perf_counter() - started_wall)
        cpu.append(time.process_time() - started_cpu)
    p95 = sorted(wall)[max(0, int(len(wall) * 0.95) - 1)]
    print(
        f"{label:<28} median {statistics.median(wall):.3f} s  p95 {p95:.3f} s  "
        f"cpu median {statistics.median(cpu):.3f} s  size {size / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    measure("MoU final, 6 articles", sample(6), False, runs)
    measure("MoU draft, 6 articles", sample(6), True, runs)
    measure("MoU final, 30 articles", sample(30), False, runs)
