"""A database connection kept open between requests survives a PostgreSQL restart (PostgreSQL only).

With CONN_MAX_AGE a worker keeps its connection from one request to the next. When PostgreSQL restarts
(or an operator ends the session), that connection is dead, and without CONN_HEALTH_CHECKS the first
request after it fails with OperationalError (a 500) before Django notices and reconnects. With health
checks, the request's first query finds the connection unusable and opens a new one.

The restart is simulated by ending the connection's backend from a second connection
(pg_terminate_backend). Requests go through Django's WSGI handler, as in production: the test client
does not run close_old_connections at the start and end of a request, which is what re-arms the check.
"""

import time
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection
from django.urls import reverse

from agreements import pki
from demo.world import seed_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL restart; CI runs this against PostgreSQL")


@pytest.fixture(scope="module", autouse=True)
def _reseed_after_flush(django_db_blocker):
    """Transactional tests flush every table; give the tests after us their world back (as the session's setup)."""
    yield
    with django_db_blocker.unblock():
        pki.authority_init()
        seed_world()


@pytest.fixture
def kept_connection(request):
    """The connection kept between requests (CONN_MAX_AGE), health checks as settings say or as the parameter does."""
    saved = {key: connection.settings_dict[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    connection.close()  # health checks are read when the connection opens
    connection.settings_dict["CONN_MAX_AGE"] = 60
    if request.param is not None:
        connection.settings_dict["CONN_HEALTH_CHECKS"] = request.param
    yield
    connection.close()
    connection.settings_dict.update(saved)


def get(handler: WSGIHandler, path: str) -> int:
    """One request through the WSGI handler, start to finish (request_started ... request_finished)."""
    environ = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    status = []
    response = handler(environ, lambda line, headers, exc_info=None: status.append(line))
    b"".join(response)
    response.close()
    return int(status[0].split()[0])


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    """End the backend from another connection, as a restart would, and wait until it is gone."""
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone()[0] == 0:
                    return
                time.sleep(0.05)
        raise AssertionError(f"backend {pid} still there")
    finally:
        other.close()


def restarted_under_a_kept_connection() -> tuple[WSGIHandler, str, int]:
    handler, path = WSGIHandler(), reverse("checkpoints_json")  # a public page that reads the database
    assert get(handler, path) == 200
    pid = backend_pid()
    assert get(handler, path) == 200
    assert backend_pid() == pid, "the connection is kept from one request to the next"
    terminate(pid)
    return handler, path, pid


@pytest.mark.parametrize("kept_connection", [None], ids=["settings"], indirect=True)
def test_the_first_request_after_a_restart_reconnects_with_health_checks(kept_connection):
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True, "sepakat.settings turns them on"
    handler, path, pid = restarted_under_a_kept_connection()

    assert get(handler, path) == 200
    assert backend_pid() != pid


@pytest.mark.parametrize("kept_connection", [False], ids=["off"], indirect=True)
def test_without_health_checks_the_first_request_after_a_restart_fails(kept_connection, caplog):
    """What the setting is for: the simulated restart does break the connection, and without health checks the
    first request after it fails before Django notices."""
    handler, path, pid = restarted_under_a_kept_connection()

    with caplog.at_level("ERROR", logger="django.request"):
        assert get(handler, path) == 500
    assert [record.exc_info[0] for record in caplog.records] == [OperationalError]
    assert get(handler, path) == 200  # the failed request's end closed the dead connection
    assert backend_pid() != pid
