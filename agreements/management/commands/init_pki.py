from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agreements import pki
from agreements.signing import AuthorityError


class Command(BaseCommand):
    help = (
        "Create the local signing authority (CA and timestamp authority, keys encrypted with the operator's "
        "secret) if this installation never had one, encrypt keys left unencrypted, and record the CA in the "
        "audit log. Never makes a second CA where one was recorded."
    )

    def handle(self, *args, **options):
        try:
            ca, done = pki.authority_init()
        except AuthorityError as error:
            raise CommandError(str(error)) from error
        for line in done:
            self.stdout.write(line)
        self.stdout.write(f"Otoritas sertifikat lokal: {settings.SIGNING['AUTHORITY_DIR']}")
        self.stdout.write(f"Sidik jari CA (SHA-256): {ca.ca_fingerprint_sha256()}")
        self.stdout.write("Sertifikat pejabat diterbitkan saat mereka mengatur passphrase pertama kali.")
