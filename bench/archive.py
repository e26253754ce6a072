"""What PAdES B-LTA costs: the close's validation data and archive timestamp, its verification, a renewal.

Usage: .venv/bin/python bench/archive.py [programmes]   (default 3; at most the cohort's programmes)
Runs on a throwaway test database with the test settings (a fresh local authority, fast key
derivation): drives whole programmes as the seeded officials, timing every ``lta_extend`` at a
close; then verifies each final document with and without its archive timestamp, and renews them
all. Not a test: it prints figures, never fails on time.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "sepakat.test_settings"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def line(label, values):
    ordered = sorted(values)
    print(f"{label:<58} median {statistics.median(ordered):6.3f} s  max {ordered[-1]:6.3f} s  (n={len(ordered)})")


def main(count: int) -> None:
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    from agreements import archival, pki, signatures
    from agreements.models import Programme, StoredPdf
    from agreements.signing import verify_pdf
    from demo import driver
    from demo.world import seed_world
    from workflows import archiving
    from workflows.models import StageProcess

    pki.authority_init()
    seed_world()
    original, extend_times, sizes = archival.lta_extend, [], []

    def measured(content):
        result, wall, _cpu = timed(lambda: original(content))
        extend_times.append(wall)
        sizes.append(len(result) - len(content))
        return result

    archival.lta_extend = measured
    programmes = list(Programme.objects.order_by("pk")[:count])
    _done, wall, _cpu = timed(lambda: [driver.run_programme(p) for p in programmes])
    print(f"{len(programmes)} programmes driven through every stage in {wall:.1f} s")
    line("close: DSS + archive timestamp (lta_extend)", extend_times)
    print(f"{'bytes the archive revision adds':<58} median {statistics.median(sizes):8.0f}  max {max(sizes)}")

    roots = signatures.trust_roots()
    with_archive, without = [], []
    for process in StageProcess.objects.filter(final_pdf__isnull=False):
        final = process.final_pdf.file.read()
        signed = StoredPdf.objects.get(sha256=process.final_pdf.parent_sha256).file.read()
        with_archive.append(timed(lambda final=final: verify_pdf(final, trust_roots_pem=roots))[1])
        without.append(timed(lambda signed=signed: verify_pdf(signed, trust_roots_pem=roots))[1])
    line("verify_pdf, final document (B-LTA)", with_archive)
    line("verify_pdf, its last signed revision (B-T)", without)
    print(f"{'ratio B-LTA / B-T':<58} {statistics.median(with_archive) / statistics.median(without):6.2f}")

    extend_times.clear()
    archival.renewal_due = lambda stored, now: True  # everything is due (no rollover: the authority is young)
    counts, wall, _cpu = timed(archiving.archive_renew)
    print(f"archive_renew: {counts} in {wall:.1f} s")
    line("renewal: last timestamp's data + a new one (lta_extend)", extend_times)
    connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
