from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from agreements.models import Programme
from demo import driver
from demo.world import COHORT_YEAR, DEMO_PASSWORD, seed_world
from workflows.models import StageProcess

# Programmes already under way, so that inboxes are not empty:
# region -> (stage, step) to stop before; (None, None) runs the whole programme.
DEMO_CASES = {
    "kota-solok": ("mou", "draft"),
    "kota-banjar": ("mou", "review_diskominfo"),
    "kab-gianyar": ("mou", "paraf_laip"),
    "kab-bangli": ("mou", "sign_region"),
    "kab-purbalingga": ("regulation", "record_letter"),
    "kab-pekalongan": ("masterplan", "council"),
    "kota-parepare": (None, None),
}


class Command(BaseCommand):
    help = "Seed the 2024 cohort, its agencies, demo officials and a few MoU cases (idempotent)."

    def handle(self, *args, **options):
        officials = seed_world()
        self._ensure_admin()
        for slug, (stage, step) in DEMO_CASES.items():
            self._ensure_programme_under_way(slug, stage, step)
        self._print_table(officials)

    def _ensure_admin(self):
        user_model = get_user_model()
        if not user_model.objects.filter(username="admin").exists():
            user_model.objects.create_superuser("admin", "admin@sepakat.local", DEMO_PASSWORD)

    def _ensure_programme_under_way(self, slug: str, stage: str | None, step: str | None):
        programme = Programme.objects.get(region__slug=slug, year=COHORT_YEAR)
        if StageProcess.objects.filter(programme=programme).exists():
            return
        driver.run_programme(programme, stop_stage=stage, stop_step=step)

    def _print_table(self, officials):
        width = max(len(o.username) for o in officials)
        agency_width = max(len(o.agency) for o in officials)
        self.stdout.write("")
        self.stdout.write(f"{'username'.ljust(width)}  {'instansi'.ljust(agency_width)}  peran  —  nama")
        self.stdout.write("-" * (width + agency_width + 40))
        for o in officials:
            self.stdout.write(f"{o.username.ljust(width)}  {o.agency.ljust(agency_width)}  {o.roles}  —  {o.full_name}")
        self.stdout.write("")
        self.stdout.write("admin (Administrator, Django admin at /admin/)")
        self.stdout.write(self.style.SUCCESS(f"Demo password for every account: {DEMO_PASSWORD}"))
        self.stdout.write(
            f"Signing passphrase of the officials the seed signed for: {driver.DEMO_SIGNING_PASSPHRASE} "
            "(others set their own at the first signature)."
        )
        self.stdout.write("Open http://127.0.0.1:8000/ and log in as any username above.")
