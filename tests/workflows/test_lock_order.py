"""Every flow step takes its locks in one order: the process row, then the audit chain (docs/adr/0012)."""

import pytest
from django.db import connection

from agreements.models import Programme
from audit.models import AuditEvent
from demo.world import COHORT_YEAR, seed_world
from workflows import services
from workflows.flows import FLOWS

BANJAR = "kota-banjar"


@pytest.fixture(scope="module")
def _reseed_after_flush(django_db_blocker):
    """Transactional tests flush every table; give the tests after us their world back."""
    yield
    with django_db_blocker.unblock():
        seed_world()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stage", sorted(FLOWS))
def test_each_flow_step_holds_the_audit_chain_from_its_start(_reseed_after_flush, stage):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time (IMMEDIATE transactions); the order matters on PostgreSQL")
    seed_world()
    process = services.first_case_open(programme=Programme.objects.get(region__slug=BANJAR, year=COHORT_YEAR))
    assert not connection.in_atomic_block  # committed: the lock below starts a transaction of its own
    with FLOWS[stage].lock(process.pk), connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = %s AND l.pid = pg_backend_pid() AND l.granted", [AuditEvent._meta.db_table])
        modes = {mode for (mode,) in cursor.fetchall()}
    assert "ShareRowExclusiveLock" in modes
