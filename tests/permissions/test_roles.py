import datetime

import pytest
from django.urls import reverse

from agreements.models import Agency
from permissions.models import RoleAssignment
from permissions.roles import AgencyKind, RoleKind
from permissions.selectors import regions_visible_to, user_holds_step_role
from permissions.services import role_sync_user
from permissions.steps import STEP_ROLES

pytestmark = pytest.mark.django_db


def test_regional_roles_give_object_permissions_on_their_region_only(official, programme):
    kominfo = official("kota-banjar.kominfo")
    banjar, solok = programme("kota-banjar").region, programme("kota-solok").region
    assert list(regions_visible_to(kominfo)) == [banjar]
    assert user_holds_step_role(kominfo, STEP_ROLES["mou"]["review_diskominfo"], banjar)
    assert not user_holds_step_role(kominfo, STEP_ROLES["mou"]["review_diskominfo"], solok)
    assert not user_holds_step_role(kominfo, STEP_ROLES["mou"]["review_legal"], banjar)


def test_central_roles_span_every_region(official, programme):
    direktur = official("laip.direktur")
    assert regions_visible_to(direktur).count() == 10
    assert user_holds_step_role(direktur, STEP_ROLES["mou"]["paraf_laip"], programme("kota-solok").region)


def test_an_ended_assignment_loses_access_after_sync(official, programme):
    kominfo = official("kota-banjar.kominfo")
    RoleAssignment.objects.filter(user=kominfo).update(valid_until=datetime.date(2024, 12, 31))
    report = role_sync_user(user=kominfo)
    assert report.changed and report.revoked
    kominfo = official("kota-banjar.kominfo")
    assert not regions_visible_to(kominfo).exists()
    assert not user_holds_step_role(kominfo, STEP_ROLES["mou"]["review_diskominfo"], programme("kota-banjar").region)


def test_admin_saving_an_assignment_syncs_permissions(client, official, programme, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    bappeda = official("kota-solok.bappeda")
    agency = Agency.objects.get(region__slug="kota-solok", kind=AgencyKind.SEKDA)
    response = client.post(
        reverse("admin:permissions_roleassignment_add"),
        {"user": bappeda.pk, "agency": agency.pk, "role": RoleKind.PARAF, "valid_from": "2024-01-01",
         "valid_until": "", "note": ""},
    )
    assert response.status_code == 302
    region = programme("kota-solok").region
    assert user_holds_step_role(official("kota-solok.bappeda"), STEP_ROLES["mou"]["paraf_sekda"], region)
