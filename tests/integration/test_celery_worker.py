"""A real Celery worker on Redis prepares a document for signing (PostgreSQL + Redis, as in production)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from agreements.models import StoredPdf
from demo import driver
from demo.world import seed_world
from sepakat.celery import app as celery_app
from workflows.models import Stage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BROKER = "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parents[2]


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _needs_postgres_and_redis():
    if connection.vendor != "postgresql" or not redis_up():
        pytest.skip("needs the PostgreSQL and Redis that CI runs")


@pytest.fixture(scope="module", autouse=True)
def _reseed_after_flush(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        seed_world()


def _forget_broker_connections():
    """Drop Celery's connection and producer pools, so the next task goes to the broker now configured.

    Even an eager task acquires a producer (Celery 5's apply_async does), which opens the pool on
    the broker of the moment (memory:// in the other tests) and keeps that URL: after any earlier
    test signed something, a changed broker_url alone sent this test's task to memory://, where
    no worker ever saw it. _after_fork is Celery's own reset for a forked child.
    """
    from kombu import pools

    celery_app.pool.force_close_all()
    celery_app._after_fork()
    pools.reset()  # kombu's own registry of producer pools, else the next eager task acquires on a closed one


@pytest.fixture
def worker():
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sepakat.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SIGNING_AUTHORITY_DIR": str(settings.SIGNING["AUTHORITY_DIR"]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sepakat", "worker", "--pool", "solo", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    previous = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = BROKER
    _forget_broker_connections()
    yield process
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = previous
    _forget_broker_connections()
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_reaching_a_signature_step_queues_rendering_that_the_worker_does(worker, programme):
    seed_world()
    case = driver.run_programme(programme("kota-solok"), stop_stage=Stage.MOU, stop_step="sign_region")[0]
    assert not StoredPdf.objects.filter(document=case.document).exists()  # the request did not render
    deadline = time.monotonic() + 120  # a liveness bound for a cold worker, not a speed target
    while time.monotonic() < deadline:
        if StoredPdf.objects.filter(document=case.document, revision=0).exists():
            break
        if worker.poll() is not None:
            pytest.fail(f"worker exited: {worker.stdout.read().decode()[-2000:]}")
        time.sleep(0.5)
    else:
        worker.terminate()
        case.refresh_from_db()
        output = worker.communicate(timeout=10)[0].decode()[-3000:]
        pytest.fail(f"the worker did not prepare the document in 120 s; preparation error: "
                    f"{case.preparation_error!r}; worker output:\n{output}")
    stored = StoredPdf.objects.get(document=case.document, revision=0)
    assert Path(stored.file.path).read_bytes().startswith(b"%PDF-1.7")
    assert set(stored.signature_boxes) == {"ttd_sign_ministry", "ttd_sign_region"}
