import json

from django.core.management.base import BaseCommand, CommandError

from sepakat import health

FAILED = "Tidak sehat: {names}."


class Command(BaseCommand):
    help = ("The checks of GET /sehat/ (database, broker, worker heartbeat, media storage, signing "
            "authority), with their reasons in full; exits 1 when one fails (make targets, a container's "
            "HEALTHCHECK).")
    # Cheap and quick, for a probe run every few seconds: the server ran the system checks when it started.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--check", action="append", choices=list(health.CHECKS), dest="checks",
                            help="only this check (repeatable); all by default")
        parser.add_argument("--json", action="store_true", help="print the JSON that /sehat/ answers")
        parser.add_argument("--timeout", type=float, default=None,
                            help='seconds for all checks together (default SEPAKAT_HEALTH["TIMEOUT"])')

    def handle(self, *args, **options):
        results = health.run(options["checks"], timeout=options["timeout"])
        if options["json"]:
            self.stdout.write(json.dumps(health.report(results, private=True), ensure_ascii=False))
        else:
            width = max(len(name) for name in results)
            for name, result in results.items():
                mark = self.style.SUCCESS("ok   ") if result.ok else self.style.ERROR("GAGAL")
                self.stdout.write(f"{mark} {name:<{width}} {result.ms:8.1f} ms  {result.private or result.detail}")
        failed = [name for name, result in results.items() if not result.ok]
        if failed:
            raise CommandError(FAILED.format(names=", ".join(failed)))
