from django.core.management.base import BaseCommand, CommandError

from agreements.archival import RENEW_BEFORE
from agreements.signing import AuthorityError
from workflows.archiving import AlreadyRunning, archive_renew


class Command(BaseCommand):
    help = ("Add a fresh archive timestamp (PAdES B-LTA) to every final document whose last one's certificate "
            f"ends within {RENEW_BEFORE.days} days, re-issuing the local TSA or rolling the CA over first when "
            "theirs do. Production runs it daily (Celery beat, or cron).")

    def handle(self, *args, **options):
        try:
            counts = archive_renew()
        except AuthorityError as error:
            raise CommandError(str(error)) from error
        except AlreadyRunning as error:
            raise CommandError("Pembaruan cap waktu arsip lain sedang berjalan; tidak ada yang dilakukan.") from error
        if counts["authority"]:
            self.stdout.write("Otoritas lokal diperbarui (sertifikat TSA baru, atau CA baru) sebelum berakhir.")
        self.stdout.write(f"{counts['checked']} dokumen final diperiksa, {counts['renewed']} diberi cap waktu arsip "
                          f"baru, {counts['failed']} gagal.")
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} dokumen gagal diperbarui; lihat log. Jalankan lagi nanti.")
