"""Write a consistent backup of this installation into a new folder (agreements.backup).

The database (SQLite: the online backup API; PostgreSQL: pg_dump --format=custom), MEDIA_ROOT and the
signing authority folder (keys encrypted at rest; the operator's secret is never copied), with
manifest.json listing every file with its SHA-256 and size. Exit status 1 when the backup was written
but checking the set found problems (a recorded file missing, a broken audit chain): see the lines above it.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agreements.backup import BackupError, backup_make

PROBLEMS = ("Cadangan ditulis ke %(path)s, tetapi %(count)s masalah ditemukan (lihat di atas): periksa sebelum "
            "mengandalkannya.")


class Command(BaseCommand):
    help = ("Back up the database, MEDIA_ROOT and the signing authority folder into DEST_DIR (new or empty), "
            "with a manifest of every file's SHA-256. The operator's secret is not copied.")

    def add_arguments(self, parser):
        parser.add_argument("dest_dir", help="folder baru (atau kosong) untuk cadangan")

    def handle(self, *args, dest_dir, **options):
        try:
            result = backup_make(Path(dest_dir))
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        audit, pdfs = manifest["audit"], manifest["stored_pdfs"]
        media = sum(entry["path"].startswith("media/") for entry in manifest["files"])
        authority = sum(entry["path"].startswith("authority/") for entry in manifest["files"])
        database = manifest["files"][[e["path"] for e in manifest["files"]].index(manifest["database"]["file"])]
        self.stdout.write(f"Cadangan: {result.path}")
        self.stdout.write(f"Basis data {manifest['vendor']}: {database['path']} ({database['size']} bita)")
        self.stdout.write(f"Berkas: {media} di media/, {authority} di authority/ (kunci terenkripsi; rahasia "
                          f"operator tidak disalin)")
        last = f"#{audit['last_seq']} (hash {audit['last_hash']})" if audit["last_seq"] is not None else "(kosong)"
        self.stdout.write(f"Jejak audit: {audit['count']} peristiwa, terakhir {last}")
        self.stdout.write(f"PDF tersimpan: {pdfs['count']} ({pdfs['final']} final)")
        self.stdout.write(f"SHA-256 manifest.json: {result.manifest_sha256}")
        for warning in result.warnings:
            self.stdout.write(f"Peringatan: {warning}")
        for problem in result.problems:
            self.stdout.write(f"Masalah: {problem}")
        if result.problems:
            raise CommandError(PROBLEMS % {"path": result.path, "count": len(result.problems)}, returncode=1)
