"""Stage 3, the masterplan, and the whole programme."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from agreements.models import DecisionKind, Programme, Version
from demo import driver
from demo.world import COHORT_YEAR
from workflows.models import Outcome, Stage, StageProcess

from ..conftest import world_kept_for_the_module
from .helpers import act, claim, open_task, pdf_text, task_url

pytestmark = pytest.mark.django_db

SOLOK = "kota-solok"


def _solok_at_the_masterplan_draft() -> int:
    programme = Programme.objects.get(region__slug=SOLOK, year=COHORT_YEAR)
    driver.run_programme(programme, stop_stage=Stage.MASTERPLAN, stop_step="draft")
    return StageProcess.objects.get(programme=programme, stage=Stage.MASTERPLAN).pk


@pytest.fixture(scope="module")
def masterplan_pk(django_db_setup, django_db_blocker):
    """Signing the MoU and the regulation to get there takes seconds: done once for the module's tests."""
    with world_kept_for_the_module(django_db_blocker, _solok_at_the_masterplan_draft) as pk:
        yield pk


@pytest.fixture
def masterplan(masterplan_pk):
    """Kota Solok's masterplan case at its draft step (each test's changes are rolled back after it)."""
    return StageProcess.objects.get(pk=masterplan_pk)


def masterplan_form(**overrides):
    today = timezone.localdate()
    form = {
        "title": "Masterplan Kota Cerdas Kota Solok 2024-2034",
        "rpjmd_alignment": "Selaras dengan misi RPJMD.",
        "quick_wins-TOTAL_FORMS": "1", "quick_wins-INITIAL_FORMS": "0",
        "quick_wins-MIN_NUM_FORMS": "1", "quick_wins-MAX_NUM_FORMS": "30",
        "quick_wins-0-name": "Aplikasi pengaduan warga",
        "quick_wins-0-dimension": "smart_governance",
        "quick_wins-0-responsible_agency": "Diskominfo",
        "quick_wins-0-target_date": (today + datetime.timedelta(days=180)).isoformat(),
        "roadmap-TOTAL_FORMS": "1", "roadmap-INITIAL_FORMS": "0",
        "roadmap-MIN_NUM_FORMS": "1", "roadmap-MAX_NUM_FORMS": "60",
        "roadmap-0-horizon": "5", "roadmap-0-dimension": "smart_living",
        "roadmap-0-description": "Rekam medis elektronik.",
    }
    for dimension in ("governance", "branding", "economy", "living", "society", "environment"):
        form[f"chapter_smart_{dimension}"] = f"Isi bab smart {dimension}."
    form.update(overrides)
    return form


def post_draft(as_user, masterplan, **overrides):
    client = as_user(f"{SOLOK}.kominfo.staf")
    task = open_task(masterplan, "draft")
    if task.owner_id is None:
        claim(client, task)
    return client.post(task_url(task, "execute"), masterplan_form(**overrides))


def test_masterplan_through_the_site_to_acceptance(as_user, masterplan):
    assert post_draft(as_user, masterplan).status_code == 302
    act(as_user, "mentor", masterplan, "review_mentor", DecisionKind.APPROVED)
    act(as_user, f"{SOLOK}.bappeda", masterplan, "review_bappeda", DecisionKind.APPROVED)
    act(as_user, f"{SOLOK}.sekda", masterplan, "council", DecisionKind.APPROVED, "Notulen rapat dewan: setuju.")
    act(as_user, f"{SOLOK}.kdh", masterplan, "commitment", DecisionKind.SIGNED)
    act(as_user, "laip.direktur", masterplan, "accept", DecisionKind.ACCEPTED)

    masterplan.refresh_from_db()
    assert masterplan.outcome == Outcome.COMPLETED
    regulation = StageProcess.objects.get(programme=masterplan.programme, stage=Stage.REGULATION)
    assert masterplan.final_pdf.previous_stage_sha256 == regulation.final_pdf.sha256
    text = " ".join(pdf_text(masterplan.final_pdf.file.read()).split())
    for expected in ("SMART GOVERNANCE", "SMART ENVIRONMENT", "APLIKASI PENGADUAN WARGA", "REKAM MEDIS ELEKTRONIK",
                     "LEMBAR KOMITMEN", "DITERIMA", "NOTULEN RAPAT DEWAN: SETUJU."):
        assert expected in text.upper(), expected


@pytest.mark.parametrize(("step", "username"), [("council", f"{SOLOK}.sekda"), ("accept", "laip.direktur")])
def test_council_and_acceptance_can_return_the_draft(as_user, masterplan, step, username):
    driver.run_programme(masterplan.programme, stop_stage=Stage.MASTERPLAN, stop_step=step)
    act(as_user, username, masterplan, step, DecisionKind.RETURNED, "Perbaiki peta jalan.")
    assert open_task(masterplan, "draft")


def test_acceptance_can_reject(as_user, masterplan):
    driver.run_programme(masterplan.programme, stop_stage=Stage.MASTERPLAN, stop_step="accept")
    act(as_user, "laip.direktur", masterplan, "accept", DecisionKind.REJECTED, "Tidak memenuhi pedoman.")
    masterplan.refresh_from_db()
    assert masterplan.outcome == Outcome.REJECTED and masterplan.rejection_reason == "Tidak memenuhi pedoman."


def test_a_quick_win_past_twelve_months_is_a_form_error_and_nothing_is_saved(as_user, masterplan):
    late = (timezone.localdate() + datetime.timedelta(days=400)).isoformat()
    response = post_draft(as_user, masterplan, **{"quick_wins-0-target_date": late})
    page = response.content.decode()
    assert response.status_code == 200
    assert "paling lambat 12 bulan" in page
    assert "Isi bab smart living." in page  # everything else typed is still there
    assert not Version.objects.filter(document=masterplan.document).exists()


def test_a_roadmap_item_without_a_horizon_is_a_form_error(as_user, masterplan):
    response = post_draft(as_user, masterplan, **{"roadmap-0-horizon": ""})
    assert response.status_code == 200
    assert "Pilih horizon 1, 5, atau 10 tahun." in response.content.decode()
    assert not Version.objects.filter(document=masterplan.document).exists()


@pytest.mark.slow  # a whole programme
def test_run_programme_without_a_stage_runs_the_whole_programme():
    out = io.StringIO()
    call_command("run_programme", "--region", "kab-serang", stdout=out)
    output = out.getvalue()
    cases = StageProcess.objects.filter(programme__region__slug="kab-serang").order_by("created")
    assert [c.stage for c in cases] == [Stage.MOU, Stage.REGULATION, Stage.MASTERPLAN]
    assert all(c.outcome == Outcome.COMPLETED for c in cases)
    for case in cases:
        assert case.final_pdf.file.path in output
    assert "[Masterplan Kota Cerdas] 3.5 Penerimaan oleh Direktorat LAIP: Diterima" in output


def test_after_a_returned_acceptance_the_new_version_is_signed_afresh(as_user, masterplan):
    """The commitment signed on the returned version is not printed on the next one: its blanks come back."""
    from agreements.signatures import base_revision

    driver.run_programme(masterplan.programme, stop_stage=Stage.MASTERPLAN, stop_step="accept")
    act(as_user, "laip.direktur", masterplan, "accept", DecisionKind.RETURNED, "Perbaiki peta jalan.")
    driver.advance(masterplan)
    masterplan.refresh_from_db()
    assert masterplan.outcome == Outcome.COMPLETED
    latest = masterplan.document.latest_version()
    assert latest.number == 2
    assert {"isi_commitment_name", "isi_commitment_date", "isi_accept_name"} <= set(base_revision(latest).fill_fields)
    assert masterplan.final_pdf.version == latest
