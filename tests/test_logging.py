"""Logs reach the console as JSON lines: one parseable line per record, a 500's traceback included,
each naming the request (request_id, user_id) or the Celery task (task_id) it belongs to."""

import io
import json
import logging
import os
import re
import subprocess
import sys
import textwrap

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from sepakat import urls as sepakat_urls
from sepakat.celery import app as celery_app
from sepakat.logs import JsonLinesFormatter, current
from sepakat.middleware import REQUEST_ID_HEADER
from sepakat.views import server_error

GENERATED = re.compile(r"[0-9a-f]{32}")


@login_not_required
def broken(request):
    raise RuntimeError("render gagal\nbaris kedua")


def broken_behind_login(request):
    raise RuntimeError("gagal untuk pengguna")


@login_not_required
def logs_a_line(request):
    logging.getLogger("sepakat.uji").warning("baris dari tampilan")
    return HttpResponse("ok")


@celery_app.task(name="tests.test_logging.logs_in_a_task")
def logs_in_a_task():
    logging.getLogger("workflows.uji").warning("baris dari tugas")
    return current().task_id


urlpatterns = [path("rusak/", broken), path("rusak-masuk/", broken_behind_login), path("catat/", logs_a_line),
               *sepakat_urls.urlpatterns]
handler500 = sepakat_urls.handler500


@pytest.fixture
def console():
    """What the configured console handler of django.request writes."""
    handler = next(h for h in logging.getLogger("django.request").handlers if h.name == "console")
    assert isinstance(handler.formatter, JsonLinesFormatter)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_request_error_is_one_json_line_with_its_traceback(console):
    response = Client(raise_request_exception=False).get("/rusak/")
    assert response.status_code == 500
    lines = console.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["level"] == "ERROR" and record["logger"] == "django.request"
    assert record["message"] == "Internal Server Error: /rusak/"
    assert record["status"] == 500 and record["method"] == "GET" and record["path"] == "/rusak/"
    assert "RuntimeError: render gagal\nbaris kedua" in record["exception"]
    assert {"time", "level", "logger", "message"} <= record.keys()
    assert record["request_id"] == response[REQUEST_ID_HEADER]
    assert "user_id" not in record  # nobody logged in (and the formatter never loads a user itself)


@pytest.mark.parametrize("app", ["agreements", "audit", "permissions", "workflows", "sepakat"])
def test_every_apps_logger_writes_json_lines_to_the_console(app):
    logger = logging.getLogger(f"{app}.services")
    assert logger.isEnabledFor(logging.INFO)
    handlers = logging.getLogger(app).handlers
    assert [h.name for h in handlers] == ["console"]
    assert isinstance(handlers[0].formatter, JsonLinesFormatter)


def test_a_request_id_is_made_when_none_comes_and_kept_when_a_proxy_sends_one():
    client = Client()
    made = client.get("/sehat/hidup/")[REQUEST_ID_HEADER]
    assert GENERATED.fullmatch(made)
    assert client.get("/sehat/hidup/")[REQUEST_ID_HEADER] != made
    kept = "3f2b9c1e-8a7d-4c6b-9e5f-0a1b2c3d4e5f"
    assert client.get("/sehat/hidup/", headers={REQUEST_ID_HEADER: kept})[REQUEST_ID_HEADER] == kept


@pytest.mark.parametrize("incoming", ["", "a b", "x" * 65, "id\nlevel=ERROR", "<script>", "ä", "a;b=c"])
def test_an_insane_incoming_request_id_is_replaced(incoming):
    answered = Client().get("/sehat/hidup/", headers={REQUEST_ID_HEADER: incoming})[REQUEST_ID_HEADER]
    assert GENERATED.fullmatch(answered)


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_every_line_logged_during_a_request_carries_its_id(console):
    response = Client().get("/catat/", headers={REQUEST_ID_HEADER: "permintaan-42"})
    assert response.status_code == 200
    record = json.loads(console.getvalue().splitlines()[-1])
    assert record["logger"] == "sepakat.uji" and record["message"] == "baris dari tampilan"
    assert record["request_id"] == "permintaan-42"
    assert current().request_id == "", "the id does not outlive its request"


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_request_error_of_a_logged_in_user_names_the_user(console, client, official):
    user = official("kota-banjar.kominfo")
    client.force_login(user)
    client.raise_request_exception = False
    response = client.get("/rusak-masuk/")
    assert response.status_code == 500
    [record] = [json.loads(line) for line in console.getvalue().splitlines()]
    assert record["level"] == "ERROR" and record["status"] == 500 and record["path"] == "/rusak-masuk/"
    assert record["user_id"] == user.pk and record["request_id"] == response[REQUEST_ID_HEADER]
    assert "RuntimeError: gagal untuk pengguna" in record["exception"]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_500_page_shows_the_request_id_to_quote_to_support():
    assert sepakat_urls.handler500 == "sepakat.views.server_error"
    response = Client(raise_request_exception=False).get("/rusak/", headers={REQUEST_ID_HEADER: "kode-uji-500"})
    assert response.status_code == 500
    page = response.content.decode()
    assert "Terjadi kesalahan pada server" in page
    assert "<code>kode-uji-500</code>" in page
    assert response[REQUEST_ID_HEADER] == "kode-uji-500"


def test_the_500_page_stands_even_when_its_template_cannot(monkeypatch, rf):
    from django.template import loader

    monkeypatch.setattr(loader, "get_template", lambda name: 1 / 0)
    request = rf.get("/")
    request.request_id = "kode<b>"
    response = server_error(request)
    assert response.status_code == 500
    assert "Kode permintaan: <code>kode&lt;b&gt;</code>" in response.content.decode()


def test_lines_logged_in_a_celery_task_carry_its_id(console):
    result = logs_in_a_task.apply()
    ours, celerys = [json.loads(line) for line in console.getvalue().splitlines()]
    assert ours["message"] == "baris dari tugas" and ours["logger"] == "workflows.uji"
    assert celerys["logger"] == "celery.app.trace" and celerys["message"].startswith(
        "Task tests.test_logging.logs_in_a_task[")
    for record in (ours, celerys):
        assert record["task_id"] == result.id == result.get()
        assert record["task"] == "tests.test_logging.logs_in_a_task"
    assert current().task_id == "", "the task's id does not outlive it"


@pytest.mark.slow  # a process of its own, with the real settings and DEBUG off, as gunicorn's workers run
def test_with_debug_off_a_request_error_reaches_the_process_stderr_once(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "SEPAKAT"))},
           "DJANGO_SETTINGS_MODULE": "sepakat.settings", "DEBUG": "false",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'kosong.sqlite3'}",
           "PYTHONWARNINGS": "ignore::UserWarning"}  # WhiteNoise's: no collected static files here
    code = textwrap.dedent("""
        import django
        django.setup()
        from django.test import Client
        from django.test.utils import override_settings
        with override_settings(ROOT_URLCONF="tests.test_logging"):
            response = Client(raise_request_exception=False).get("/rusak/", headers={"X-Request-ID": "dari-proxy"})
        print(response.status_code)
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(os.path.dirname(__file__)), env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "500", result.stderr
    [line] = result.stderr.splitlines()
    record = json.loads(line)
    assert record["level"] == "ERROR" and record["logger"] == "django.request"
    assert record["status"] == 500 and record["method"] == "GET" and record["path"] == "/rusak/"
    assert record["request_id"] == "dari-proxy"
    assert record["exception"].startswith("Traceback (most recent call last):")
