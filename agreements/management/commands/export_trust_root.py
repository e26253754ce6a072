from pathlib import Path

from django.core.management.base import BaseCommand

from agreements.signatures import authority


class Command(BaseCommand):
    help = "Write the CA certificate that verifiers trust (PEM)."

    def add_arguments(self, parser):
        parser.add_argument("--out", default="sepakat-ca.pem", help="file to write (default sepakat-ca.pem)")

    def handle(self, *args, out, **options):
        Path(out).write_bytes(authority().ca_cert_pem)
        self.stdout.write(f"{out} ({authority().ca_fingerprint_sha256()})")
