"""Two Sekdas promulgating with the same regulation number at once never deadlock (PostgreSQL only).

The reliability test of issue 13 deadlocked 12 times in 30: each promulgation had taken the audit chain's
lock at an earlier event of its step and then waited on the other's uncommitted regulation number, while
the other waited on the chain. The flows now take the chain's lock right after the process row.
"""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from agreements import signatures
from agreements.models import Programme, Promulgation
from audit.services import chain_check
from demo import driver
from demo.driver import DEMO_SIGNING_PASSPHRASE, ensure_credential
from demo.world import COHORT_YEAR, DEMO_PASSWORD, seed_world
from permissions.models import RoleAssignment
from permissions.services import official_upsert, role_sync_user
from workflows.models import Stage

from ..workflows.helpers import claim, open_task, shown_sha256, task_url

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BANJAR = "kota-banjar"
TRIES = 30


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the deadlock needs PostgreSQL's row and table locks; CI runs this against it")


@pytest.fixture(scope="module", autouse=True)
def _reseed_after_flush(django_db_blocker):
    """Transactional tests flush every table; give the tests after us their world back."""
    yield
    with django_db_blocker.unblock():
        seed_world()


def _regulation_at_promulgation(programme):
    driver.run_programme(programme, stop_stage=Stage.REGULATION, stop_step="promulgate")
    return programme.stage_processes.get(stage=Stage.REGULATION)


def _second_sekda(sekda):
    """Another official holding the Sekda's roles (an acting Sekda): a signer of their own, with their own
    certificate, so that the two promulgations share no signer's row."""
    other, _created = official_upsert(username=f"{BANJAR}.sekda.plt", full_name="Plt. Sekretaris Daerah",
                                      post="Plt. Sekretaris Daerah", nip="", password=DEMO_PASSWORD)
    for held in RoleAssignment.objects.filter(user=sekda):
        RoleAssignment.objects.create(user=other, agency=held.agency, role=held.role, valid_from=held.valid_from,
                                      is_head=False)
    role_sync_user(user=other)
    return other


def test_simultaneous_promulgations_with_one_number_never_deadlock(monkeypatch, official):
    seed_world()
    this_year = Programme.objects.get(region__slug=BANJAR, year=COHORT_YEAR)
    next_year = Programme.objects.create(region=this_year.region, year=COHORT_YEAR + 1)
    cases = [_regulation_at_promulgation(this_year), _regulation_at_promulgation(next_year)]
    sekda = official(f"{BANJAR}.sekda")
    signers = [sekda, _second_sekda(sekda)]
    clients, tasks, shown = [], [], []
    for case, signer in zip(cases, signers, strict=True):
        ensure_credential(signer)
        client = Client()
        client.force_login(signer)
        task = open_task(case, "promulgate")
        claim(client, task)
        clients.append(client)
        tasks.append(task)
        shown.append(shown_sha256(client, task))

    # Each try must leave both cases at promulgation: after the real signature (and the number taken, and
    # the chain locked), a refusal rolls the step back, the way a failed archive timestamp would.
    real_sign = signatures.document_sign

    def sign_then_refuse(**kwargs):
        real_sign(**kwargs)
        raise signatures.SigningRefused("uji: tanda tangan dibatalkan")

    monkeypatch.setattr(signatures, "document_sign", sign_then_refuse)

    year = timezone.localdate().year
    statuses = []
    for attempt in range(TRIES):
        barrier = threading.Barrier(len(cases))

        def promulgate(index, number=attempt + 1):
            try:
                barrier.wait()
                response = clients[index].post(task_url(tasks[index], "execute"), {
                    "number": number, "year": year, "berita_daerah_number": number,
                    "passphrase": DEMO_SIGNING_PASSPHRASE, "document_sha256": shown[index]})
                statuses.append(response.status_code)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=promulgate, args=(index,)) for index in range(len(cases))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert statuses == [200] * (2 * TRIES), statuses  # each attempt refused with its message, none a 500
    assert not Promulgation.objects.exists()
    for case in cases:
        assert open_task(case, "promulgate")
    assert chain_check().intact
