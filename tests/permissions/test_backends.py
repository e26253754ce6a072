"""The permission backends of issue 15: the same answers as Django's and guardian's, asked once per request."""

import pytest
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.backends import ObjectPermissionBackend
from guardian.core import ObjectPermissionChecker

from agreements.models import Region
from permissions.backends import OneQueryModelBackend, RequestCachedObjectPermissionBackend
from permissions.memo import MEMO_ATTRIBUTE
from permissions.roles import VIEW_CASES_PERMISSION
from permissions.selectors import visible_region_ids

pytestmark = pytest.mark.django_db


def test_the_configured_backends_are_djangos_and_guardians_own_subclasses():
    backends = settings.AUTHENTICATION_BACKENDS
    assert "permissions.backends.OneQueryModelBackend" in backends
    assert "permissions.backends.RequestCachedObjectPermissionBackend" in backends  # guardian.W001 is silenced
    assert issubclass(OneQueryModelBackend, ModelBackend)
    assert issubclass(RequestCachedObjectPermissionBackend, ObjectPermissionBackend)


@pytest.mark.parametrize("username", ["kota-banjar.kominfo", "kota-banjar.kdh", "laip.direktur", "auditor",
                                      "kota-banjar.auditor"])
def test_in_a_request_the_answers_are_guardians_and_djangos(official, username):
    user = official(username)
    expected_global = ModelBackend().get_all_permissions(user)
    regions = list(Region.objects.all())
    expected = {(region.pk, codename) for region in regions for codename in ObjectPermissionChecker(user)
                .get_perms(region)} if not user.is_superuser else None
    fresh = type(user).objects.get(pk=user.pk)
    setattr(fresh, MEMO_ATTRIBUTE, {})  # what RequestMemoMiddleware does
    assert OneQueryModelBackend().get_all_permissions(fresh) == expected_global
    backend = RequestCachedObjectPermissionBackend()
    codenames = {codename for _pk, codename in expected or ()} | {VIEW_CASES_PERMISSION}
    for region in regions:
        for codename in codenames:
            answer = backend.has_perm(fresh, f"agreements.{codename}", region)
            assert answer == (user.is_superuser or (region.pk, codename) in expected), (region, codename)


def test_a_page_asks_for_the_users_object_permissions_once(as_user, official):
    client = as_user("kota-banjar.kominfo")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("workflow:flows:mou:index")).status_code == 200
    reads = [q for q in queries.captured_queries if "guardian_userobjectpermission" in q["sql"]]
    assert len(reads) == 1, [q["sql"][:120] for q in reads]


def test_outside_a_request_every_question_is_asked_afresh(official):
    user = official("kota-banjar.kominfo")
    assert getattr(user, MEMO_ATTRIBUTE, None) is None
    banjar = Region.objects.get(slug="kota-banjar")
    assert visible_region_ids(user) == frozenset({banjar.pk})
    with CaptureQueriesContext(connection) as queries:
        RequestCachedObjectPermissionBackend().has_perm(user, f"agreements.{VIEW_CASES_PERMISSION}", banjar)
        RequestCachedObjectPermissionBackend().has_perm(user, f"agreements.{VIEW_CASES_PERMISSION}", banjar)
    assert len(queries) >= 2  # guardian's own checker, each time
