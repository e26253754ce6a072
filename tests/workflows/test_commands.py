import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command, load_command_class

from agreements.models import Agency, Region
from audit.services import chain_verify
from permissions.models import RoleAssignment
from workflows.models import Outcome, Stage, StageProcess

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_run_programme_completes_the_mou_and_prints_each_step_and_the_pdf(programme):
    output = run("run_programme", "--region", "kota-solok", "--stage", "mou")
    assert "[Nota Kesepakatan] 1.1 Penyusunan draf: Diajukan" in output
    assert "1.4 Tanda tangan Direktur Jenderal APTIKA: Ditandatangani" in output
    process = StageProcess.objects.get(programme=programme("kota-solok"), stage=Stage.MOU)
    assert process.outcome == Outcome.COMPLETED
    pdf_path = process.final_pdf.file.path
    assert f"PDF final Nota Kesepakatan: {pdf_path}" in output
    assert Path(pdf_path).read_bytes().startswith(b"%PDF")
    assert chain_verify() == (True, "ok")


def test_run_programme_refuses_unknown_region_and_unavailable_stage_with_exit_code_2():
    with pytest.raises(CommandError, match="Daerah 'atlantis' tidak dikenal") as unknown:
        run("run_programme", "--region", "atlantis")
    assert unknown.value.returncode == 2
    with pytest.raises(CommandError, match="Tahap 'masterplan' tidak dapat dijalankan") as stage:
        run("run_programme", "--region", "kota-solok", "--stage", "masterplan")
    assert stage.value.returncode == 2


@pytest.mark.slow  # drives a whole programme through the command
def test_run_programme_refuses_a_stage_already_done(programme):
    run("run_programme", "--region", "kota-solok", "--stage", "mou")
    with pytest.raises(CommandError, match="sudah selesai") as done:
        run("run_programme", "--region", "kota-solok", "--stage", "mou")
    assert done.value.returncode == 2
    run("run_programme", "--region", "kota-solok")
    with pytest.raises(CommandError, match="sudah selesai") as all_done:
        run("run_programme", "--region", "kota-solok")
    assert all_done.value.returncode == 2


@pytest.mark.slow  # seeds the demo world twice
def test_seed_demo_is_idempotent_and_prints_the_logins():
    first = run("seed_demo")
    counts = (
        Region.objects.count(), Agency.objects.count(), get_user_model().objects.count(),
        RoleAssignment.objects.count(), StageProcess.objects.count(),
    )
    second = run("seed_demo")
    assert counts == (
        Region.objects.count(), Agency.objects.count(), get_user_model().objects.count(),
        RoleAssignment.objects.count(), StageProcess.objects.count(),
    )
    assert counts[0] == 10 and counts[1] == 10 * 5 + 3
    assert "kota-banjar.kominfo" in first and "sepakat-demo-2024" in second
    assert StageProcess.objects.filter(outcome=Outcome.OPEN).count() == 6
    assert StageProcess.objects.filter(outcome=Outcome.COMPLETED).count() == 6


def test_manage_py_exits_2_for_an_unknown_region(capsys):
    """What manage.py does once Django is set up (run_from_argv), on this test's database: status 2, a message.

    Not manage.main() itself: its django.setup() would configure logging again, onto pytest's captured stderr.
    """
    command = load_command_class("demo", "run_programme")
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "run_programme", "--region", "atlantis"])
    assert exited.value.code == 2
    assert "tidak dikenal" in capsys.readouterr().err
