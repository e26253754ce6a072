"""Logs reach the console as JSON lines: one parseable line per record, a 500's traceback included."""

import io
import json
import logging

import pytest
from django.contrib.auth.decorators import login_not_required
from django.test import Client
from django.urls import path

from sepakat.logs import JsonLinesFormatter


@login_not_required
def broken(request):
    raise RuntimeError("render gagal\nbaris kedua")


urlpatterns = [path("rusak/", broken)]


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


@pytest.mark.parametrize("app", ["agreements", "audit", "permissions", "workflows", "sepakat"])
def test_every_apps_logger_writes_json_lines_to_the_console(app):
    logger = logging.getLogger(f"{app}.services")
    assert logger.isEnabledFor(logging.INFO)
    handlers = logging.getLogger(app).handlers
    assert [h.name for h in handlers] == ["console"]
    assert isinstance(handlers[0].formatter, JsonLinesFormatter)
