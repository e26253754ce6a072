"""Compare the stored files with the database: missing, changed, orphaned (agreements.storage_check).

Exit status 0 when every recorded file is there with its recorded SHA-256 and no old orphan is
left, 1 otherwise. ``--delete-orphans`` removes orphans older than ``--older-than`` minutes
(default 60), so that a file of a transaction still running is never removed.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from agreements.storage_check import ORPHAN_MIN_AGE, orphans_delete, storage_check

NOT_OK = "Penyimpanan tidak cocok dengan basis data: %(count)s masalah."


class Command(BaseCommand):
    help = ("Check every stored file (PDF revisions, paraf copies, attachments) against the SHA-256 the database "
            "records, and list orphans under MEDIA_ROOT; exit 1 when anything is wrong.")

    def add_arguments(self, parser):
        parser.add_argument("--delete-orphans", action="store_true",
                            help="hapus berkas yatim yang lebih tua dari --older-than menit")
        parser.add_argument("--older-than", type=int, default=int(ORPHAN_MIN_AGE.total_seconds() // 60),
                            metavar="MENIT", help="umur minimum berkas yatim (default 60 menit)")

    def handle(self, *args, delete_orphans, older_than, **options):
        if older_than < 0:
            raise CommandError("--older-than tidak boleh negatif.")
        report = storage_check(orphan_min_age=timedelta(minutes=older_than))
        if delete_orphans:
            for name in orphans_delete(report):
                self.stdout.write(f"Dihapus (yatim): {name}")
        for line in report.problem_lines():
            self.stdout.write(line)
        for orphan in report.recent_orphans:
            self.stdout.write(f"{orphan.message} Dibiarkan: lebih muda dari {older_than} menit.")
        self.stdout.write(
            f"{report.checked} berkas diperiksa: {len(report.missing)} hilang, {len(report.mismatched)} berubah, "
            f"{len(report.orphans)} yatim, {len(report.recent_orphans)} yatim baru, {len(report.deleted)} dihapus.")
        if not report.ok:
            raise CommandError(NOT_OK % {"count": len(report.problem_lines())}, returncode=1)
