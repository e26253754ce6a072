"""Two officials completing the same task at once get one result (PostgreSQL only)."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from agreements.models import Decision, DecisionKind
from demo import driver
from demo.world import seed_world
from workflows import services

from ..workflows.helpers import open_task, task_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this against it")


@pytest.fixture(scope="module", autouse=True)
def _reseed_after_flush(django_db_blocker):
    """Transactional tests flush every table; give the tests after us their world back."""
    yield
    with django_db_blocker.unblock():
        seed_world()


@pytest.fixture
def seeded():
    seed_world()


def test_simultaneous_submits_of_one_task_record_one_decision(seeded, programme, official):
    process = services.first_case_open(programme=programme("kota-banjar"))
    driver.act(open_task(process, "draft"))
    reviewer = official("kota-banjar.kominfo")
    task = open_task(process, "review_diskominfo")
    driver.claim(task, reviewer)

    barrier = threading.Barrier(4)
    statuses = []

    def submit():
        client = Client()
        client.force_login(reviewer)
        barrier.wait()
        try:
            response = client.post(task_url(task, "execute"), {"decision": DecisionKind.APPROVED, "note": ""})
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302, 302, 302, 302]
    assert Decision.objects.filter(process=process, step="review_diskominfo").count() == 1
    assert process.task_set.filter(flow_task=task.flow_task).count() == 1
