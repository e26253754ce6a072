"""sync_roles: permissions follow assignment dates without anyone saving them."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from agreements.models import Agency, Region
from audit.models import AuditEvent
from permissions.models import RoleAssignment
from permissions.roles import AgencyKind, RoleKind
from permissions.selectors import regions_visible_to
from permissions.steps import STEP_ROLES

pytestmark = pytest.mark.django_db


def sync_roles() -> str:
    out = StringIO()
    call_command("sync_roles", stdout=out)
    return out.getvalue()


def test_nothing_to_do_in_the_seeded_world():
    assert sync_roles().strip() == "Tidak ada perubahan."
    assert not AuditEvent.objects.filter(action="role.synced").exists()


def test_an_expired_assignment_loses_access_and_a_second_run_is_a_no_op(official):
    kominfo = official("kota-banjar.kominfo")
    banjar = Region.objects.get(slug="kota-banjar")
    step = STEP_ROLES["mou"]["review_diskominfo"]
    assert kominfo.has_perm(step.permission, banjar)
    RoleAssignment.objects.filter(user=kominfo).update(valid_until=datetime.date(2024, 12, 31))

    output = sync_roles()
    lines = output.strip().splitlines()
    region_ref = f"(daerah #{banjar.pk})"
    assert f"dicabut: kota-banjar.kominfo: view_cases {region_ref}" in lines
    assert f"dicabut: kota-banjar.kominfo: {step.codename} {region_ref}" in lines
    assert f"dicabut: kota-banjar.kominfo: act_diskominfo_pemaraf {region_ref}" in lines
    assert lines[-1] == "0 izin diberikan, 3 izin dicabut"
    kominfo = official("kota-banjar.kominfo")
    assert not regions_visible_to(kominfo).exists()
    assert not kominfo.has_perm(step.permission, banjar)
    [event] = AuditEvent.objects.filter(action="role.synced")
    assert event.actor is None
    assert event.details["granted"] == 0 and event.details["revoked"] == 3
    assert len(event.details["revoked_permissions"]) == 3

    assert sync_roles().strip() == "Tidak ada perubahan."
    assert AuditEvent.objects.filter(action="role.synced").count() == 1


def test_an_assignment_that_begins_today_is_granted(official):
    bappeda = official("kota-solok.bappeda")
    agency = Agency.objects.get(region__slug="kota-solok", kind=AgencyKind.SEKDA)
    # Written directly (as an import would), so that only sync_roles grants it.
    RoleAssignment.objects.create(user=bappeda, agency=agency, role=RoleKind.PARAF)
    solok = Region.objects.get(slug="kota-solok")
    assert not bappeda.has_perm(STEP_ROLES["mou"]["paraf_sekda"].permission, solok)

    output = sync_roles()
    assert f"diberikan: kota-solok.bappeda: act_sekda_pemaraf (daerah #{solok.pk})" in output
    assert output.strip().splitlines()[-1] == "1 izin diberikan, 0 izin dicabut"
    assert official("kota-solok.bappeda").has_perm(STEP_ROLES["mou"]["paraf_sekda"].permission, solok)
    assert sync_roles().strip() == "Tidak ada perubahan."


def test_celery_beat_runs_the_same_sync_each_night(official, settings):
    from permissions.tasks import sync_roles as nightly

    assert settings.CELERY_BEAT_SCHEDULE["sync-roles-daily"]["task"] == nightly.name
    bappeda = official("kota-solok.bappeda")
    agency = Agency.objects.get(region__slug="kota-solok", kind=AgencyKind.SEKDA)
    RoleAssignment.objects.create(user=bappeda, agency=agency, role=RoleKind.PARAF)
    assert nightly.apply().get() == {"granted": 1, "revoked": 0}
    assert AuditEvent.objects.filter(action="role.synced").count() == 1
    assert nightly.apply().get() == {"granted": 0, "revoked": 0}
