"""The seeded demo world, shared by every test (seeded once per database)."""

import contextlib

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from agreements.models import Programme
from demo.world import COHORT_YEAR, seed_world

# The longest modules (tens of seconds each: big worlds, walks over every route), started first.
# Tests run with --dist loadscope, one module per worker at a time, in collection order: a long
# module collected last keeps one worker busy while the other has nothing left to do.
LONGEST_MODULES = (
    "tests/permissions/test_matrix.py",
    "tests/workflows/test_url_tampering.py",
    "tests/workflows/test_signatures.py",
    "tests/workflows/test_commands.py",
    "tests/workflows/test_regulation_flow.py",
)


def pytest_collection_modifyitems(config, items):
    def rank(item):
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_MODULES.index(path) if path in LONGEST_MODULES else len(LONGEST_MODULES)

    items.sort(key=rank)  # stable: the order within a module, and of every other module, is kept


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from agreements import pki

        pki.authority_init()  # as make run's init_pki: the authority, made and recorded
        seed_world()


@pytest.fixture
def official(db):
    """official("kota-banjar.kominfo") -> that seeded user."""

    def get(username):
        return get_user_model().objects.select_related("official").get(username=username)

    return get


@pytest.fixture
def as_user(client, official):
    """as_user("kota-banjar.kominfo") -> a test client logged in as that official."""

    def login(username):
        client.logout()
        client.force_login(official(username))
        return client

    return login


@pytest.fixture
def programme(db):
    def get(slug):
        return Programme.objects.select_related("region").get(region__slug=slug, year=COHORT_YEAR)

    return get


@pytest.fixture(autouse=True, scope="session")
def _urls_loaded():
    """viewflow nodes can reverse their URLs only once the URLconf is built."""
    import sepakat.urls  # noqa: F401


@pytest.fixture(autouse=True, scope="session")
def _issue_each_certificate_once():
    """Key generation is the slow part of enrolment: issue one certificate per official per run."""
    from agreements import signatures

    original = signatures.issue_signer
    issued = {}

    def issue_once(authority, **kwargs):
        key = (kwargs["common_name"], kwargs["nip"], kwargs["passphrase"])
        if key not in issued:
            issued[key] = original(authority, **kwargs)
        return issued[key]

    signatures.issue_signer = issue_once
    yield
    signatures.issue_signer = original


def _only_the_tests_transaction_is_open(connection) -> bool:
    return all(block._from_testcase for block in connection.atomic_blocks)


def _run_on_commit_callbacks_as_a_commit_would(monkeypatch) -> None:
    original_exit, original_on_commit = transaction.Atomic.__exit__, BaseDatabaseWrapper.on_commit

    def exit_and_commit(self, exc_type, exc_value, traceback):
        result = original_exit(self, exc_type, exc_value, traceback)
        connection = transaction.get_connection(self.using)
        if exc_type is None and connection.atomic_blocks and _only_the_tests_transaction_is_open(connection):
            callbacks, connection.run_on_commit = connection.run_on_commit, []
            for _savepoints, callback, _robust in callbacks:
                callback()
        return result

    def on_commit(connection, func, robust=False):
        original_on_commit(connection, func, robust)
        if connection.atomic_blocks and _only_the_tests_transaction_is_open(connection):
            connection.run_on_commit.pop()
            func()

    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_and_commit)
    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)


@pytest.fixture(autouse=True)
def _an_empty_cache():
    """Django's cache (the CRL, rate-limit counts, locks) starts empty for every test, as the database's
    rolled-back transaction does: a CRL cached by an earlier test would list its revocations."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _commits_run_on_commit_callbacks(request, monkeypatch):
    """Each test runs inside a transaction that is rolled back, so on_commit callbacks would never run.

    Run them as a commit would: when the outermost atomic block of the code under test exits
    (and at once when none is open), so that queued work (rendering a document for its signers,
    Celery being eager here) happens on the same path as in development and production.
    A test that captures the callbacks itself (django_capture_on_commit_callbacks) runs them when it says.
    """
    if "django_capture_on_commit_callbacks" in request.fixturenames:
        yield
        return
    _run_on_commit_callbacks_as_a_commit_would(monkeypatch)
    yield


class ModuleWorld:
    """A transaction held open for a module's tests; see world_kept_for_the_module."""

    def __init__(self, django_db_blocker):
        self._blocker = django_db_blocker

    def run(self, work):
        """Do work in the module's transaction, outside any test's: what it changes stays for later tests."""
        with self._blocker.unblock(), pytest.MonkeyPatch.context() as monkeypatch:
            _run_on_commit_callbacks_as_a_commit_would(monkeypatch)
            return work()


@contextlib.contextmanager
def module_transaction(django_db_blocker):
    """Yield a ModuleWorld whose changes are rolled back when the block ends.

    For a module-scoped fixture, the way a TestCase's setUpTestData works: the work done
    through ModuleWorld.run happens inside a transaction opened here; each test's own
    transaction is a savepoint inside it, rolled back after the test as usual, so tests still
    cannot see each other's changes; and the whole is rolled back at the end of the module,
    so other modules never see it. Each xdist worker has its own database, so a worker that
    runs tests of the module builds its own world. on_commit callbacks run during the work as
    they do in a test (see _commits_run_on_commit_callbacks).
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic._from_testcase = True  # the tests' own blocks nest in it, as in django.test.TestCase
        atomic.__enter__()
    try:
        yield ModuleWorld(django_db_blocker)
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@contextlib.contextmanager
def world_kept_for_the_module(django_db_blocker, build):
    """Build an expensive world once (build()) and keep it for a module's tests; see module_transaction."""
    with module_transaction(django_db_blocker) as world:
        yield world.run(build)


@pytest.fixture
def sepakat_server(db):
    """Sepakat served over real HTTP on a free port, in a thread that shares the test's database
    connection (as Django's LiveServerThread does), so it sees the test's uncommitted data. One
    request at a time: the test waits on its client (a subprocess, pyHanko) meanwhile."""
    import threading

    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    from django.db import connections

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    from django.core import signals
    from django.db import close_old_connections

    shared = connections["default"]
    shared.inc_thread_sharing()
    # As Django's test client does: the end of a request must not close the test's connection (PostgreSQL
    # would lose the test's transaction; an in-memory SQLite database ignores the close).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    server = WSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=True)
    server.set_app(WSGIHandler())

    def serve():
        connections["default"] = shared
        server.serve_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    shared.dec_thread_sharing()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
