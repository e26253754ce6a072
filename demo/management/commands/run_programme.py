from django.core.management.base import BaseCommand, CommandError

from agreements.models import Programme, Region
from demo import driver
from workflows import selectors
from workflows.models import STAGE_ORDER, Outcome, StageProcess, stage_before


class Command(BaseCommand):
    help = (
        "Drive a region's programme (or one stage of it) to its end without a browser, acting as the "
        "seeded officials through the same services the site uses."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="region slug, e.g. kota-banjar")
        parser.add_argument("--stage", help="mou, regulation or masterplan (default: every stage still to do)")
        parser.add_argument("--year", type=int, help="programme year (default: the region's latest)")

    def handle(self, *args, region, stage, year, **options):
        programme = self._programme(region, year)
        if stage is not None:
            self._check_stage(programme, stage)
        try:
            cases = driver.run_programme(programme, only_stage=stage, on_step=self._print_step)
        except driver.NoHolder as missing:
            raise CommandError(f"Tidak ada pejabat yang memegang peran untuk langkah {missing}", returncode=2) from None
        if not cases:
            raise CommandError(f"Program {programme.region} {programme.year} sudah selesai; tidak ada yang dijalankan.",
                               returncode=2)
        for case in cases:
            if case.outcome != Outcome.COMPLETED:
                raise CommandError(f"{case.get_stage_display()} berakhir dengan status {case.get_outcome_display()}.",
                                   returncode=1)
        self.stdout.write(self.style.SUCCESS("Selesai."))
        for case in cases:
            self.stdout.write(f"PDF final {case.get_stage_display()}: {case.final_pdf.file.path}")
            self.stdout.write(f"  SHA-256 {case.final_pdf.sha256}")

    def _programme(self, region: str, year: int | None) -> Programme:
        region_obj = Region.objects.filter(slug=region).first()
        if region_obj is None:
            known = ", ".join(Region.objects.order_by("slug").values_list("slug", flat=True)) or "—"
            raise CommandError(f"Daerah '{region}' tidak dikenal. Daerah yang ada: {known}", returncode=2)
        programmes = Programme.objects.filter(region=region_obj).order_by("-year")
        programme = programmes.filter(year=year).first() if year else programmes.first()
        if programme is None:
            raise CommandError(f"{region_obj} tidak memiliki program{f' tahun {year}' if year else ''}.", returncode=2)
        return programme

    def _check_stage(self, programme: Programme, stage: str) -> None:
        if stage not in STAGE_ORDER:
            raise CommandError(
                f"Tahap '{stage}' tidak dikenal. Tahap yang ada: {', '.join(STAGE_ORDER)}", returncode=2
            )
        if StageProcess.objects.filter(programme=programme, stage=stage, outcome=Outcome.OPEN).exists():
            return
        if stage_before(stage) is None and selectors.stage_blocker(programme=programme, stage=stage) is None:
            return
        blocker = selectors.stage_blocker(programme=programme, stage=stage)
        reason = blocker or "tahap ini dibuka otomatis setelah tahap sebelumnya selesai"
        raise CommandError(f"Tahap '{stage}' tidak dapat dijalankan: {reason}", returncode=2)

    def _print_step(self, acted: driver.Acted):
        self.stdout.write(f"  [{acted.stage}] {acted.step_title}: {acted.decision} oleh {acted.actor}")
