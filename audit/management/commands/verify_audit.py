"""Walk the audit chain and report the first broken link.

Exit status 0 when the chain is intact, 1 when it is not. Rows are streamed in
sequence order, a chunk at a time, so memory stays flat however long the log is.
Note the last hash it prints: passed back later as --expect-hash, it also catches
events removed from the end of the log, which leave no broken link behind.
"""

from django.core.management.base import BaseCommand, CommandError

from audit.services import GENESIS_HASH, chain_check, guard_installed

GUARD_MISSING = (
    "Peringatan: trigger append-only pada tabel audit_auditevent tidak terpasang; "
    "basis data tidak menolak perubahan. Pasang lagi (migrasi audit 0003)."
)


class Command(BaseCommand):
    help = "Periksa rantai hash jejak audit; keluar dengan status 1 bila rantai rusak."

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=2000, help="peristiwa per baca (default 2000)")
        parser.add_argument("--expect-hash", default="", help="hash terakhir yang dicatat sebelumnya")

    def handle(self, *args, chunk_size, expect_hash, **options):
        if guard_installed() is False:
            self.stderr.write(GUARD_MISSING)
        report = chain_check(chunk_size=chunk_size, expect_hash=expect_hash.strip().lower())
        last = f"#{report.last_seq}" if report.last_seq is not None else "(belum ada)"
        if report.intact:
            self.stdout.write(f"Rantai utuh: {report.checked} peristiwa diperiksa.")
            self.stdout.write(f"Peristiwa terakhir: {last}; hash terakhir: {report.last_hash}")
            return
        self.stdout.write(f"{report.checked} peristiwa pertama utuh; yang terakhir utuh: {last}, hash "
                          f"{report.last_hash if report.last_hash != GENESIS_HASH else '(awal rantai)'}")
        raise CommandError(report.problem, returncode=1)
