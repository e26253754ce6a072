from pathlib import Path

from django.core.management.base import BaseCommand

from agreements import pki


class Command(BaseCommand):
    help = "Write the CA certificates that verifiers trust (PEM; every CA Sepakat recorded, oldest first)."

    def add_arguments(self, parser):
        parser.add_argument("--out", default="sepakat-ca.pem", help="file to write (default sepakat-ca.pem)")

    def handle(self, *args, out, **options):
        Path(out).write_bytes(pki.published_root())
        self.stdout.write(f"{out} ({', '.join(pki.published_root_fingerprints())})")
