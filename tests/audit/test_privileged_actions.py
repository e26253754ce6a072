"""Nothing privileged happens off the record: accounts, passwords, official profiles,
delegations in the admin, and viewflow's management actions each write an event
with the old and new values (and never a password or its hash)."""

import datetime
import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from audit.models import AuditEvent
from audit.services import chain_verify
from permissions.delegation import delegation_create
from permissions.models import Delegation, Official
from workflows import services
from workflows.models import Stage

from ..permissions.test_admin import assert_saved, form_data
from ..workflows.helpers import open_task

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Kata-Sandi-Baru-2024!"


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x")


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    return client


def last_pk():
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


BASELINE = {"pk": 0}


@pytest.fixture(autouse=True)
def _baseline(db):
    """Seeding the world writes its own events (accounts created, passwords set by the system)."""
    BASELINE["pk"] = last_pk()


def events(action, after=None):
    after = BASELINE["pk"] if after is None else after
    return list(AuditEvent.objects.filter(action=action, pk__gt=after).order_by("pk"))


def assert_no_secret(event, *secrets):
    text = json.dumps(event.details)
    for secret in secrets:
        assert secret not in text
    assert "md5$" not in text and "pbkdf2" not in text


# Accounts and passwords -------------------------------------------------------------


def test_an_admin_setting_an_officials_password_is_recorded_without_the_hash(admin_client, official, root):
    kominfo = official("kota-banjar.kominfo")
    url = reverse("admin:auth_user_password_change", args=[kominfo.pk])
    response = admin_client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                       "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    kominfo.refresh_from_db()
    assert kominfo.check_password(NEW_PASSWORD)
    [event] = events("user.password_set")
    assert event.actor == root
    assert event.details["user"] == "kota-banjar.kominfo" and event.details["user_id"] == kominfo.pk
    assert event.details["old"] == {"password_usable": True} and event.details["new"] == {"password_usable": True}
    assert event.details["via"] == f"POST {url}"
    assert_no_secret(event, NEW_PASSWORD, kominfo.password)
    assert chain_verify() == (True, "ok")


def test_an_admin_disabling_password_login_is_recorded(admin_client, official):
    kominfo = official("kota-banjar.kominfo")
    response = admin_client.post(reverse("admin:auth_user_password_change", args=[kominfo.pk]),
                                 {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302
    [event] = events("user.password_set")
    assert event.details["new"] == {"password_usable": False}


def test_a_user_changing_their_own_password_is_recorded(admin_client, root):
    response = admin_client.post(reverse("admin:password_change"), {
        "old_password": "x", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = events("user.password_changed")
    assert event.actor == root and event.details["user"] == "root"
    assert_no_secret(event, NEW_PASSWORD)
    assert not events("user.password_set")


def test_a_hash_upgraded_at_login_is_not_a_password_change(official):
    from django.contrib.auth.hashers import MD5PasswordHasher

    kominfo = official("kota-banjar.kominfo")
    weak = MD5PasswordHasher().encode("rahasia", "ab")  # too short a salt: upgraded at the next login
    type(kominfo).objects.filter(pk=kominfo.pk).update(password=weak)
    kominfo.refresh_from_db()
    before = last_pk()
    assert kominfo.check_password("rahasia")  # re-hashed with a proper salt and saved
    kominfo.refresh_from_db()
    assert kominfo.password != weak
    assert not events("user.password_set", before) and not events("user.password_changed", before)


def test_creating_a_user_in_the_admin_is_recorded(admin_client, root):
    response = admin_client.post(reverse("admin:auth_user_add"), {
        "username": "operator.baru", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = [e for e in events("user.created") if e.details["user"] == "operator.baru"]
    assert event.actor == root
    assert event.details["new"]["password_usable"] is True and event.details["new"]["is_superuser"] is False
    assert "password" not in event.details["new"]
    assert_no_secret(event, NEW_PASSWORD)


def test_deactivating_making_staff_and_superuser_and_groups_in_the_admin_are_recorded(admin_client, official, root):
    kominfo = official("kota-banjar.kominfo")
    operators = Group.objects.create(name="Operator")
    url = reverse("admin:auth_user_change", args=[kominfo.pk])
    data = form_data(admin_client.get(url))
    data.pop("is_active")
    data.update(is_staff="on", is_superuser="on", groups=[str(operators.pk)])
    before = last_pk()
    assert_saved(admin_client.post(url, data))
    kominfo.refresh_from_db()
    assert not kominfo.is_active and kominfo.is_staff and kominfo.is_superuser
    [deactivated] = events("user.deactivated", before)
    assert deactivated.actor == root and deactivated.details["user"] == "kota-banjar.kominfo"
    assert (deactivated.details["old"], deactivated.details["new"]) == ({"is_active": True}, {"is_active": False})
    [staff] = events("user.staff_granted", before)
    assert (staff.details["old"], staff.details["new"]) == ({"is_staff": False}, {"is_staff": True})
    [superuser] = events("user.superuser_granted", before)
    assert superuser.details["new"] == {"is_superuser": True}
    [groups] = events("user.groups_changed", before)
    assert (groups.details["old"], groups.details["new"]) == ([], ["Operator"])
    # Saving the page again unchanged records nothing more; re-activating is recorded.
    data = form_data(admin_client.get(url))
    data["is_active"] = "on"
    middle = last_pk()
    assert_saved(admin_client.post(url, data))
    assert [e.action for e in AuditEvent.objects.filter(pk__gt=middle)] == ["user.activated"]


def test_an_officials_nip_and_post_edited_in_the_admin_keep_old_and_new(admin_client, official, root):
    sekda = official("kota-solok.sekda").official
    old_post, old_nip = sekda.post, sekda.nip
    url = reverse("admin:permissions_official_change", args=[sekda.pk])
    data = form_data(admin_client.get(url))
    data.update(post="Penjabat Sekretaris Daerah", nip="197001012000031001")
    assert_saved(admin_client.post(url, data))
    [event] = events("official.changed")
    assert event.actor == root and event.details["user"] == "kota-solok.sekda"
    assert event.details["old"] == {"post": old_post, "nip": old_nip}
    assert event.details["new"] == {"post": "Penjabat Sekretaris Daerah", "nip": "197001012000031001"}


def test_an_officials_name_edited_inline_under_the_user_is_recorded(admin_client, official):
    bappeda = official("kota-banjar.bappeda")
    old_name = bappeda.official.full_name
    url = reverse("admin:auth_user_change", args=[bappeda.pk])
    data = form_data(admin_client.get(url))
    data["official-0-full_name"] = "Dr. Nama Baru, M.Si."
    assert_saved(admin_client.post(url, data))
    [event] = events("official.changed")
    assert event.details["old"] == {"full_name": old_name}
    assert event.details["new"] == {"full_name": "Dr. Nama Baru, M.Si."}
    assert Official.objects.get(user=bappeda).full_name == "Dr. Nama Baru, M.Si."


# Delegations in the admin -----------------------------------------------------------


@pytest.fixture
def delegation(official):
    mayor = official("kota-banjar.kdh")
    return delegation_create(
        actor=mayor, assignment=mayor.role_assignments.get(role="penandatangan"),
        delegate=official("kota-banjar.sekda"), kind="an", valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + datetime.timedelta(days=3), reason="Dinas luar",
    )


def test_a_delegation_edited_in_the_admin_is_recorded(admin_client, delegation, root):
    url = reverse("admin:permissions_delegation_change", args=[delegation.pk])
    data = form_data(admin_client.get(url))
    longer = timezone.localdate() + datetime.timedelta(days=10)
    data.update(valid_until=longer.isoformat(), reason="Cuti")
    assert_saved(admin_client.post(url, data))
    [event] = events("role.delegation_changed")
    assert event.actor == root and event.region.slug == "kota-banjar"
    assert event.details["delegator"] == "kota-banjar.kdh" and event.details["delegate"] == "kota-banjar.sekda"
    assert event.details["old"] == {"valid_until": str(delegation.valid_until), "reason": "Dinas luar"}
    assert event.details["new"] == {"valid_until": str(longer), "reason": "Cuti"}


def test_a_delegation_deleted_in_the_admin_is_recorded(admin_client, delegation, root):
    response = admin_client.post(reverse("admin:permissions_delegation_delete", args=[delegation.pk]),
                                 {"post": "yes"})
    assert response.status_code == 302
    assert not Delegation.objects.filter(pk=delegation.pk).exists()
    [event] = events("role.delegation_removed")
    assert event.actor == root and event.details["delegation"] == delegation.pk
    assert event.details["old"]["delegate"] == "kota-banjar.sekda" and event.details["old"]["reason"] == "Dinas luar"


def test_delegations_deleted_in_bulk_in_the_admin_are_recorded(admin_client, delegation):
    response = admin_client.post(reverse("admin:permissions_delegation_changelist"),
                                 {"action": "delete_selected", "_selected_action": [delegation.pk], "post": "yes"})
    assert response.status_code == 302
    assert not Delegation.objects.filter(pk=delegation.pk).exists()
    assert len(events("role.delegation_removed")) == 1


# viewflow's management actions ------------------------------------------------------


@pytest.fixture
def case(programme):
    return services.stage_open(programme=programme("kota-banjar"), stage=Stage.MOU)


def disabled_or_recorded(response, task, action, before):
    """Either the action is switched off (the URL is gone, or refused to everyone), or it was done and recorded."""
    status = task.status
    task.refresh_from_db()
    if response.status_code in (403, 404, 405):
        assert task.status == status and not events(action, before)
        return None
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = events(action, before)
    return event


def _management_url(task, action):
    """viewflow's /<action>/ URL beside a task's own page (the steps have none any more)."""
    return task.flow_task.reverse("index", args=[task.process_id, task.pk]) + f"{action}/"


def test_cancel_undo_and_revive_are_switched_off_for_everyone(admin_client, case):
    draft = open_task(case, "draft")
    start = Task.objects.get(process=case, flow_task=case.flow_class.start)
    for action in ("cancel", "undo", "revive"):
        assert admin_client.post(_management_url(draft, action)).status_code == 404, action
    assert admin_client.post(_management_url(start, "undo")).status_code == 403
    draft.refresh_from_db()
    start.refresh_from_db()
    assert draft.status == STATUS.NEW and start.status == STATUS.DONE
    assert not events("task.canceled") and not events("task.undone") and not events("task.revived")
    assert chain_verify() == (True, "ok")


def test_an_official_may_not_cancel_and_the_refusal_is_counted(as_user, case):
    from audit.models import RefusalCount

    draft = open_task(case, "draft")
    start = Task.objects.get(process=case, flow_task=case.flow_class.start)
    response = as_user("kota-banjar.kominfo").post(_management_url(start, "undo"))
    assert response.status_code == 403
    start.refresh_from_db()
    assert start.status == STATUS.DONE and draft.status == STATUS.NEW and not events("task.undone")
    assert RefusalCount.objects.get(user__username="kota-banjar.kominfo").count == 1
