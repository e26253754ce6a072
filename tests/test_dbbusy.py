"""SQLite busy past its bound: a 503 page with Retry-After, in Bahasa Indonesia, logged; nothing written.

The lock is real: a second sqlite3 connection holds the write lock (BEGIN IMMEDIATE) on a database file
while a request tries to write. The test database is SQLite in memory (one connection per process), which
has no file to lock: the seeded test database is copied into a temporary file with SQLite's backup API, and
the requests run in a thread of their own whose connection (Django keeps one per thread) opens that file,
with a busy timeout of a fraction of a second instead of the settings' bound.
"""

import contextlib
import logging
import sqlite3
import threading
import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection, connections
from django.test import Client, RequestFactory
from viewflow.workflow.models import Task

from agreements.models import Decision, Programme, Region
from audit.models import AuditEvent
from demo import driver
from sepakat.dbbusy import DatabaseBusyMiddleware, is_busy
from workflows import services

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own lock")

TIMEOUT = 0.3  # seconds: the busy timeout of the thread's connection


@pytest.fixture
def file_database(tmp_path, db, django_db_blocker):
    """The seeded test database, copied into a file; yields its path (database access allowed meanwhile)."""
    path = tmp_path / "busy.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        # Dumped through the test's own connection: in its open transaction, a backup would wait forever.
        target = sqlite3.connect(path, isolation_level=None)
        target.executescript("\n".join(connection.connection.iterdump()))
        target.close()
        yield path


def in_thread(path, work):
    """Run work() in a new thread whose default connection opens `path`; return its result or raise."""
    saved = connections.settings["default"]
    options = {**saved.get("OPTIONS", {}), "transaction_mode": "IMMEDIATE", "timeout": TIMEOUT}
    connections.settings["default"] = {**saved, "NAME": str(path), "OPTIONS": options, "TEST": {}}
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(60)
    finally:
        connections.settings["default"] = saved
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def review_case():
    """A new MoU case whose Diskominfo review is claimed by its reviewer; (client, execute URL, process)."""
    programme, _ = Programme.objects.get_or_create(region=Region.objects.get(slug="kota-banjar"), year=2090)
    process = services.stage_open(programme=programme, stage="mou")
    driver.advance(process, until_step="review_diskominfo")
    task = next(t for t in driver.open_tasks(process) if t.flow_task.name == "review_diskominfo")
    reviewer = get_user_model().objects.get(username="kota-banjar.kominfo")
    driver.claim(task, reviewer)
    client = Client()
    client.force_login(reviewer)
    return client, f"/workflow/flows/mou/{process.pk}/review_diskominfo/{task.pk}/execute/", process.pk, task.pk


def written(process_pk, task_pk):
    """What a decision would write: its decision rows, the case's audit events, the task's status."""
    return (Decision.objects.count(), AuditEvent.objects.count(), Task.objects.get(pk=task_pk).status,
            Task.objects.filter(process_id=process_pk).count())


@contextlib.contextmanager
def logged(name):
    """The records `name` logs meanwhile (the suite runs with -p no:logging: no caplog)."""
    records = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


class WriteLock:
    """Another connection holding SQLite's write lock on the file, as a long write would."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.holder = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        self.holder.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        self.holder.execute("ROLLBACK")
        self.holder.close()


def assert_busy_page(response):
    assert response.status_code == 503, response.content.decode()[:3000]
    assert response["Retry-After"].isdigit()
    page = response.content.decode()
    assert "Server sedang sibuk melayani banyak pengguna. Silakan coba lagi sebentar lagi." in page
    assert "database is locked" not in page
    assert response["X-Request-ID"] in page  # to quote to support, as on the 500 page


def test_a_decision_while_the_database_stays_locked_answers_the_busy_page_and_writes_nothing(
        file_database):
    def work():
        client, execute, process_pk, task_pk = review_case()
        page = client.get(execute)
        assert page.status_code == 200
        before = written(process_pk, task_pk)
        with WriteLock(file_database):
            started = time.monotonic()
            response = client.post(execute, {"decision": "approved", "note": "", "document_sha256": ""})
            waited = time.monotonic() - started
        after = written(process_pk, task_pk)
        # Once the lock is gone, the same click goes through: nothing was left half-done.
        again = client.post(execute, {"decision": "approved", "note": "", "document_sha256": ""})
        return response, waited, before, after, again, written(process_pk, task_pk)

    with logged("sepakat.dbbusy") as records:
        response, waited, before, after, again, finally_ = in_thread(file_database, work)
    assert_busy_page(response)
    assert waited >= TIMEOUT  # it waited for the lock, up to the bound, before giving up
    assert after == before
    assert again.status_code == 302
    assert finally_[0] == before[0] + 1  # the decision, written once
    assert any("database busy" in r.getMessage() and r.levelname == "WARNING" for r in records)


def test_a_page_view_is_served_while_the_database_stays_locked(file_database):
    """SESSION_SAVE_EVERY_REQUEST: every page view writes its session's expiry after the view; a lock there
    is no 400 "session deleted" (Django's session store) nor a busy page: the page is served, logged."""
    def work():
        client = Client()
        client.force_login(get_user_model().objects.get(username="kota-banjar.kominfo"))
        assert client.get("/sepakat/").status_code == 200
        with WriteLock(file_database):
            return client.get("/sepakat/")

    assert settings.SESSION_SAVE_EVERY_REQUEST
    with logged("sepakat.dbbusy") as records:
        response = in_thread(file_database, work)
    assert response.status_code == 200
    assert any("without refreshing the session's expiry" in r.getMessage() for r in records)


def test_the_busy_page_follows_the_chosen_language(file_database):
    def work():
        client, execute, _, _ = review_case()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        with WriteLock(file_database):
            return client.post(execute, {"decision": "approved", "note": "", "document_sha256": ""})

    response = in_thread(file_database, work)
    assert response.status_code == 503
    assert 'lang="en"' in response.content.decode()


def test_only_sqlites_lock_is_the_busy_page():
    def wrapped(message, cause):
        error = OperationalError(message)
        error.__cause__ = cause
        return error

    assert is_busy(wrapped("database is locked", sqlite3.OperationalError("database is locked")))
    assert not is_busy(wrapped("no such table: x", sqlite3.OperationalError("no such table: x")))
    assert not is_busy(wrapped("database is locked", None))  # not SQLite's
    assert not is_busy(ValueError("database is locked"))
    middleware = DatabaseBusyMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    assert middleware.process_exception(request, wrapped("no such table: x", sqlite3.OperationalError("x"))) is None


def test_the_busy_timeout_is_bounded():
    """The embedded default waits for the lock a few seconds, not 20 (README: concurrent users)."""
    from sepakat import settings as project

    if project.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        assert 1 <= project.DATABASES["default"]["OPTIONS"]["timeout"] <= 10
    assert "sepakat.dbbusy.DatabaseBusyMiddleware" in settings.MIDDLEWARE
