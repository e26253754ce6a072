from django.conf import settings
from django.core.management.base import BaseCommand

from agreements.signatures import authority


class Command(BaseCommand):
    help = "Create the local signing authority (CA and timestamp authority) if it does not exist yet."

    def handle(self, *args, **options):
        ca = authority()
        self.stdout.write(f"Otoritas sertifikat lokal: {settings.SIGNING['AUTHORITY_DIR']}")
        self.stdout.write(f"Sidik jari CA (SHA-256): {ca.ca_fingerprint_sha256()}")
        self.stdout.write("Sertifikat pejabat diterbitkan saat mereka mengatur passphrase pertama kali.")
