"""GET /sehat/ and manage.py health: every check, their failures, and who sees which detail (issue 13.3)."""

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from sepakat import health
from sepakat.celery import app as celery_app
from sepakat.models import Heartbeat
from sepakat.tasks import WORKER_HEARTBEAT, heartbeat

from .test_headers import BASE_DIR, PRODUCTION_ENV

pytestmark = pytest.mark.django_db

CHECKS = ["database", "broker", "worker", "media", "signing"]


@pytest.fixture(autouse=True)
def _nothing_kept():
    health.forget()
    yield
    health.forget()


@pytest.fixture
def anonymous():
    return Client()


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_user(username="operator.sehat", is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture
def celery_conf():
    """celery_conf(task_always_eager=False, ...): Celery's configuration changed for one test."""
    previous = {}

    def change(**values):
        for name, value in values.items():
            previous.setdefault(name, getattr(celery_app.conf, name))
            setattr(celery_app.conf, name, value)

    yield change
    for name, value in previous.items():
        setattr(celery_app.conf, name, value)


@pytest.fixture
def not_eager(celery_conf):
    """Celery as production runs it: tasks go to a broker (here one that is not there), a worker runs them."""
    celery_conf(task_always_eager=False, broker_url=f"redis://127.0.0.1:{closed_port()}/0")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_check_passes_in_the_test_environment_and_nobody_needs_to_log_in(anonymous):
    response = anonymous.get("/sehat/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert list(body["checks"]) == CHECKS
    for name, check in body["checks"].items():
        assert set(check) == {"ok", "detail", "ms"}, name
        assert check["ok"] is True, (name, check)
        assert isinstance(check["detail"], str) and isinstance(check["ms"], float)
    # Eager Celery (development, tests): no broker and no worker to look for.
    assert body["checks"]["broker"]["detail"] == str(health.NOT_USED)
    assert body["checks"]["worker"]["detail"] == str(health.NOT_USED)


def test_health_is_not_redirected_to_https_when_everything_else_is(anonymous, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert anonymous.get("/accounts/login/").status_code == 301
    assert anonymous.get("/sehat/").status_code == 200
    assert anonymous.get("/sehat/hidup/").status_code == 200


def test_there_is_one_address_for_it(anonymous):
    assert anonymous.get("/health/").status_code == 404


def test_liveness_only_says_the_process_answers(anonymous, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(health, "run", lambda *a, **k: pytest.fail("liveness runs no check"))
    with django_assert_num_queries(0):
        response = anonymous.get("/sehat/hidup/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}


def test_only_the_checks_asked_for(anonymous):
    body = anonymous.get("/sehat/?check=database&check=media").json()
    assert list(body["checks"]) == ["database", "media"]
    response = anonymous.get("/sehat/?check=db")
    assert response.status_code == 400
    assert response.json()["status"] == "fail"
    assert response.json()["error"].startswith("Pemeriksaan tidak dikenal: db.")


def test_media_that_cannot_be_written_fails_with_a_short_detail_for_anonymous_callers(anonymous, settings,
                                                                                    tmp_path):
    blocker = tmp_path / "bukan-folder"
    blocker.write_text("")
    settings.MEDIA_ROOT = str(blocker / "media")  # under a file: not writable, not even for root
    response = anonymous.get("/sehat/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["media"]["ok"] is False
    assert body["checks"]["media"]["detail"] in {"gagal: NotADirectoryError", "gagal: FileExistsError"}
    assert all(check["ok"] for name, check in body["checks"].items() if name != "media")
    assert str(tmp_path) not in response.content.decode()


def test_a_missing_authority_folder_fails_signing_and_only_staff_see_where(anonymous, operator, settings, tmp_path):
    settings.SIGNING = {**settings.SIGNING, "AUTHORITY_DIR": tmp_path / "pki-hilang"}
    response = anonymous.get("/sehat/")
    assert response.status_code == 503
    signing = response.json()["checks"]["signing"]
    assert signing["ok"] is False and signing["detail"] == str(health.SIGNING_UNAVAILABLE)
    assert "pki-hilang" not in response.content.decode()

    detail = operator.get("/sehat/").json()["checks"]["signing"]["detail"]
    assert detail.startswith(f"Folder otoritas penandatanganan {tmp_path / 'pki-hilang'} tidak ada atau kosong.")


def test_an_authority_locked_with_another_secret_fails_signing_once_per_interval(operator, settings, monkeypatch):
    from agreements.signing.backends import local

    local._authority_at.cache_clear()
    settings.SIGNING = {**settings.SIGNING, "AUTHORITY_SECRET": "bukan-rahasianya"}
    loads = []
    original = local.load_authority
    monkeypatch.setattr(local, "load_authority", lambda *a, **k: loads.append(1) or original(*a, **k))
    try:
        for _ in range(3):
            detail = operator.get("/sehat/?check=signing").json()["checks"]["signing"]["detail"]
            assert detail.startswith("Penandatanganan tidak tersedia: Rahasia operator tidak membuka kunci ca-key.pem")
        assert len(loads) == 1, "the failed load is kept for SIGNING_CACHE_SECONDS, not redone on every probe"
    finally:
        local._authority_at.cache_clear()


def test_a_check_that_raises_is_a_failed_check_naming_the_exception_only(anonymous, operator, monkeypatch):
    def broken():
        raise RuntimeError("postgres://sepakat:rahasia@db/sepakat")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = anonymous.get("/sehat/")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "ok": False, "detail": "gagal: RuntimeError", "ms": response.json()["checks"]["database"]["ms"]}
    assert "rahasia" not in response.content.decode()
    assert "rahasia" in operator.get("/sehat/").json()["checks"]["database"]["detail"]


def test_a_check_that_hangs_fails_in_time_and_is_not_started_twice(anonymous, settings, monkeypatch):
    settings.SEPAKAT_HEALTH = {**settings.SEPAKAT_HEALTH, "TIMEOUT": 0.2}
    released, started = threading.Event(), []

    def hanging():
        started.append(1)
        released.wait(10)
        return health.Result(True, health.OK)

    monkeypatch.setitem(health.CHECKS, "media", hanging)
    try:
        began = time.monotonic()
        response = anonymous.get("/sehat/")
        assert time.monotonic() - began < 2
        assert response.status_code == 503
        media = response.json()["checks"]["media"]
        assert media["ok"] is False and media["detail"] == "tidak menjawab dalam 0.2 detik"
        assert media["ms"] >= 200
        assert all(check["ok"] for name, check in response.json()["checks"].items() if name != "media")

        time.sleep(0.05)
        again = anonymous.get("/sehat/?check=media").json()["checks"]["media"]
        assert again["ok"] is False and again["detail"].startswith("pemeriksaan sebelumnya belum selesai")
        assert len(started) == 1, "no second thread while the first is stuck"
    finally:
        released.set()
    deadline = time.monotonic() + 5
    while health._running.get("media") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert anonymous.get("/sehat/?check=media").json()["checks"]["media"]["ok"] is True


def test_the_worker_check_reads_the_heartbeat_that_beat_has_a_worker_write(not_eager, settings):
    assert heartbeat.name == "sepakat.tasks.heartbeat" and heartbeat.name in celery_app.tasks
    missing = health.worker()
    assert not missing.ok and missing.detail == str(health.NO_HEARTBEAT)

    heartbeat.apply()
    fresh = health.worker()
    assert fresh.ok and fresh.detail.startswith("detak pekerja terakhir 0 detik lalu")

    limit = settings.SEPAKAT_HEALTH["HEARTBEAT_MAX_AGE"]
    Heartbeat.objects.filter(name=WORKER_HEARTBEAT).update(at=timezone.now() - timedelta(seconds=limit + 60))
    stale = health.worker()
    assert not stale.ok
    assert stale.detail == f"detak pekerja terakhir {limit + 60} detik lalu (batas {limit} detik)"


def test_a_broker_that_does_not_answer_fails_quickly(not_eager, anonymous):
    began = time.monotonic()
    broker = anonymous.get("/sehat/?check=broker").json()["checks"]["broker"]
    assert broker == {"ok": False, "detail": "gagal: OperationalError", "ms": broker["ms"]}
    assert time.monotonic() - began < 3


def test_a_memory_broker_without_eager_tasks_fails(celery_conf):
    celery_conf(task_always_eager=False, broker_url="memory://")
    result = health.run(["broker"])["broker"]
    assert not result.ok and result.detail == str(health.MEMORY_BROKER)


def test_a_failing_probe_is_one_warning_line_not_a_request_error(anonymous, settings, tmp_path, caplog):
    settings.SIGNING = {**settings.SIGNING, "AUTHORITY_DIR": tmp_path / "pki-hilang"}
    with caplog.at_level("WARNING"):
        assert anonymous.get("/sehat/").status_code == 503
    records = [(r.name, r.levelname) for r in caplog.records]
    assert records == [("sepakat.views", "WARNING")]
    assert caplog.records[0].getMessage().startswith("health check failed: signing: Folder otoritas")


def run_command(*args) -> int:
    """manage.py health as a shell runs it (less django.setup(), done already): its exit code."""
    try:
        ManagementUtility(["manage.py"]).fetch_command("health").run_from_argv(["manage.py", "health", *args])
    except SystemExit as exited:
        return exited.code
    return 0


def test_the_command_prints_every_check_and_exits_0_when_all_pass(capsys):
    assert run_command() == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["ok", name] for name in CHECKS]


def test_the_command_exits_1_and_says_why_when_a_check_fails(capsys, settings, tmp_path):
    settings.SIGNING = {**settings.SIGNING, "AUTHORITY_DIR": tmp_path / "pki-hilang"}
    assert run_command() == 1
    output = capsys.readouterr()
    assert "GAGAL signing" in output.out and str(tmp_path / "pki-hilang") in output.out
    assert "Tidak sehat: signing." in output.err

    assert run_command("--check", "database", "--json") == 0
    assert json.loads(capsys.readouterr().out)["checks"]["database"]["ok"] is True
    with pytest.raises(CommandError, match="Tidak sehat: signing"):
        call_command("health", "--check", "signing")


@pytest.mark.slow  # production settings in a subprocess
def test_under_production_settings_plain_http_gets_an_answer_and_other_pages_are_redirected(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "SEPAKAT"))}, **PRODUCTION_ENV,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'kosong.sqlite3'}", "MEDIA_ROOT": str(tmp_path / "media"),
           "SIGNING_AUTHORITY_DIR": str(tmp_path / "pki"), "DJANGO_SETTINGS_MODULE": "sepakat.settings"}
    code = textwrap.dedent("""
        import json, django
        django.setup()
        from django.test import Client
        client = Client(HTTP_HOST="sepakat.example.go.id")
        health, login = client.get("/sehat/"), client.get("/accounts/login/")
        print(json.dumps({"health": health.status_code, "body": health.json(), "login": login.status_code,
                          "location": login.get("Location"), "request_id": health.get("X-Request-ID")}))
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["login"] == 301 and answer["location"].startswith("https://")
    assert answer["health"] == 503  # answered, not redirected: no authority here, and no broker
    assert answer["body"]["checks"]["database"]["ok"] and answer["body"]["checks"]["media"]["ok"]
    assert answer["body"]["checks"]["broker"]["detail"] == str(health.MEMORY_BROKER)
    assert not answer["body"]["checks"]["signing"]["ok"]
    assert answer["request_id"]
