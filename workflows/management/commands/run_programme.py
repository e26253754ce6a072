from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agreements.models import Programme, Region
from workflows import driver, services
from workflows.models import Outcome, Stage, StageProcess

AVAILABLE_STAGES = (Stage.MOU,)


class Command(BaseCommand):
    help = (
        "Drive a region's programme stage to its end without a browser, acting as the seeded "
        "officials through the same services the site uses."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="region slug, e.g. kota-banjar")
        parser.add_argument("--stage", default=Stage.MOU, help="mou (regulation and masterplan come later)")
        parser.add_argument("--year", type=int, help="programme year (default: the region's latest)")

    def handle(self, *args, region, stage, year, **options):
        region_obj = Region.objects.filter(slug=region).first()
        if region_obj is None:
            known = ", ".join(Region.objects.order_by("slug").values_list("slug", flat=True)) or "—"
            raise CommandError(f"Daerah '{region}' tidak dikenal. Daerah yang ada: {known}", returncode=2)
        if stage not in AVAILABLE_STAGES:
            raise CommandError(
                f"Tahap '{stage}' tidak dapat dijalankan. Tahap yang tersedia: "
                + ", ".join(s.value for s in AVAILABLE_STAGES),
                returncode=2,
            )
        programmes = Programme.objects.filter(region=region_obj).order_by("-year")
        programme = programmes.filter(year=year).first() if year else programmes.first()
        if programme is None:
            raise CommandError(f"{region_obj} tidak memiliki program{f' tahun {year}' if year else ''}.", returncode=2)

        process = self._case(programme)
        self.stdout.write(f"{process.get_stage_display()} — {programme.region} {programme.year} (kasus #{process.pk})")
        try:
            process = driver.advance(process, on_step=self._print_step)
        except driver.NoHolder as missing:
            raise CommandError(f"Tidak ada pejabat yang memegang peran untuk langkah {missing}", returncode=2) from None
        if process.outcome != Outcome.COMPLETED:
            raise CommandError(f"Tahap berakhir dengan status {process.get_outcome_display()}.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"Selesai. PDF final: {process.final_pdf.file.path}"))
        self.stdout.write(f"SHA-256: {process.final_pdf.sha256}")

    def _case(self, programme) -> StageProcess:
        cases = StageProcess.objects.filter(programme=programme, stage=Stage.MOU)
        open_case = cases.filter(outcome=Outcome.OPEN).first()
        if open_case:
            return open_case
        if cases.filter(outcome=Outcome.COMPLETED).exists():
            raise CommandError(
                f"Nota Kesepakatan {programme.region} {programme.year} sudah selesai; tidak ada yang dijalankan.",
                returncode=2,
            )
        with transaction.atomic():
            return services.mou_case_open(programme=programme)

    def _print_step(self, acted: driver.Acted):
        self.stdout.write(f"  {acted.step_title}: {acted.decision} oleh {acted.actor}")
