"""The seeded demo world, shared by every test (seeded once per database)."""

import pytest
from django.contrib.auth import get_user_model

from agreements.models import Programme
from demo.world import COHORT_YEAR, seed_world


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
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
