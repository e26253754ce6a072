from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from agreements.verification import verify_content


class Command(BaseCommand):
    help = "Verify a Sepakat PDF: signatures, timestamp, registration and the chain of stages. Exit 0 when genuine."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--at", default="", help="periksa seolah-olah pada tanggal ini (YYYY-MM-DD, WIB)")

    def handle(self, *args, file, at, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Berkas tidak ditemukan: {file}", returncode=2)
        moment = None
        if at:
            try:
                moment = datetime.combine(date.fromisoformat(at), time(12), tzinfo=ZoneInfo("Asia/Jakarta"))
            except ValueError as error:
                raise CommandError(f"--at harus berupa tanggal YYYY-MM-DD: {at}", returncode=2) from error
            self.stdout.write(f"Diperiksa per {moment:%d-%m-%Y %H:%M} WIB")
        verification = verify_content(path.read_bytes(), at=moment)
        stored = verification.stored
        if stored:
            self.stdout.write(f"{stored.document.get_kind_display()} {stored.document.identifier} "
                              f"(versi {stored.version.number}, revisi {stored.revision})")
        self.stdout.write(f"SHA-256 {verification.sha256}")
        for signature in verification.report.signatures:
            status = "sah" if signature.ok else "TIDAK SAH"
            self.stdout.write(f"  tanda tangan: {signature.signer_name} — {status} — "
                              f"waktu {signature.signing_time}, cap waktu {signature.timestamp_time}")
            if signature.judged_at_timestamp:
                self.stdout.write("    sertifikat penanda tangan dinilai pada waktu cap waktunya (kini sudah tidak "
                                  "berlaku; cap waktu membuktikan tanda tangan dibuat saat masih berlaku)")
        for archive in verification.report.archive_timestamps:
            status = ("sah" if archive.trusted else "TIDAK UTUH" if not archive.intact else
                      "BERAKHIR" if archive.lapsed else "TIDAK DINILAI" if not archive.judged_at else "TIDAK DIPERCAYA")
            until = f"{archive.tsa_not_after:%d-%m-%Y}" if archive.tsa_not_after else "-"
            self.stdout.write(f"  cap waktu arsip: {archive.time} oleh {archive.tsa_name} ({status}; "
                              f"sertifikat berlaku hingga {until})")
        for link in verification.chain:
            self.stdout.write(f"  rantai: {link.label} {link.identifier} — {'sah' if link.ok else 'BERMASALAH'}")
        if verification.genuine:
            self.stdout.write(self.style.SUCCESS("ASLI: semua pemeriksaan lolos."))
            return
        for reason in verification.all_problems:
            self.stderr.write(f"  - {reason}")
        raise CommandError("TIDAK ASLI: lihat alasan di atas.", returncode=1)
