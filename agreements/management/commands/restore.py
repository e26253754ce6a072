"""Restore a backup made by manage.py backup into an empty installation (agreements.backup).

Refuses, changing nothing, a backup whose files do not match its manifest, and a target that is not
empty (a user or audit event in the database, a file under MEDIA_ROOT or the authority folder). After
loading it checks the restored set (audit chain, every stored file's SHA-256, triggers, the CA); exit
status 1 when a check fails: the restored set is then NOT consistent and must not be used.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agreements.backup import BackupError, restore

INCONSISTENT = ("Hasil pemulihan TIDAK konsisten (%(count)s masalah, lihat di atas) dan TIDAK boleh dipakai: "
                "jangan jalankan server; kosongkan basis data dan folder, lalu pulihkan cadangan lain.")


class Command(BaseCommand):
    help = ("Restore a backup folder (manage.py backup) into an empty database, MEDIA_ROOT and authority folder, "
            "then check the audit chain and every stored file; exit 1 if the restored set is not consistent.")

    def add_arguments(self, parser):
        parser.add_argument("src_dir", help="folder cadangan yang dibuat manage.py backup")

    def handle(self, *args, src_dir, **options):
        try:
            result = restore(Path(src_dir), say=self.stdout.write)
        except BackupError as error:
            for problem in error.problems[1:]:
                self.stderr.write(f"Juga: {problem}")
            raise CommandError(str(error)) from error
        for warning in result.warnings:
            self.stdout.write(f"Peringatan: {warning}")
        for problem in result.problems:
            self.stdout.write(f"Masalah: {problem}")
        if result.problems:
            raise CommandError(INCONSISTENT % {"count": len(result.problems)}, returncode=1)
        audit = result.manifest["audit"]
        self.stdout.write(f"Rantai audit utuh: {result.checked_events} peristiwa, terakhir #{audit['last_seq']}.")
        self.stdout.write(f"{result.checked_files} berkas tersimpan cocok dengan SHA-256 di basis data.")
        self.stdout.write("Pemulihan selesai dan konsisten. Pasang rahasia operator yang sama seperti sebelumnya.")
