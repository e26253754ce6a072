from django.core.management.base import BaseCommand, CommandError

from agreements.checkpoints import checkpoint_make
from agreements.signing import AuthorityError


class Command(BaseCommand):
    help = ("Seal the audit chain's head now: a checkpoint signed with the system's seal and timestamped "
            "(RFC 3161). Production runs it hourly (Celery beat, or cron).")

    def handle(self, *args, **options):
        try:
            made = checkpoint_make(reason="perintah")
        except AuthorityError as error:
            raise CommandError(str(error)) from error
        if made is None:
            raise CommandError("Tidak ada titik periksa dibuat: log audit kosong atau segel sistem belum ada "
                               "(jalankan manage.py init_pki).")
        self.stdout.write(f"Titik periksa #{made.seq}: hash {made.head_hash}, {made.count} peristiwa, "
                          f"cap waktu {made.timestamp_time.isoformat() if made.timestamp_time else '-'}")
