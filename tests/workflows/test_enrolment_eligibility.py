"""Only officials who hold, or are delegated, a paraf or signer role get a signing certificate."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from agreements import signatures
from agreements.models import SigningCredential
from permissions.models import Delegation, DelegationKind, RoleAssignment
from permissions.roles import RoleKind
from permissions.selectors import may_hold_signing_certificate

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"
PASSPHRASE = "passphrase-panjang-sekali"


def enrol_page(client):
    return client.get(reverse("sepakat:enrol"))


def post_enrol(client):
    return client.post(reverse("sepakat:enrol"), {"passphrase": PASSPHRASE, "confirmation": PASSPHRASE})


@pytest.mark.parametrize("username", [f"{BANJAR}.auditor", "auditor", f"{BANJAR}.kominfo.staf",
                                      f"{BANJAR}.bappeda", "mentor"])
def test_officials_without_a_paraf_or_signer_role_get_a_message_and_no_certificate(as_user, official, username):
    user = official(username)
    client = as_user(username)
    page = enrol_page(client)
    assert page.status_code == 200
    assert str(signatures.NOT_ELIGIBLE) in page.content.decode()
    assert 'name="passphrase"' not in page.content.decode()
    refused = post_enrol(client)
    assert refused.status_code == 200
    assert str(signatures.NOT_ELIGIBLE) in refused.content.decode()
    assert not SigningCredential.objects.filter(user=user).exists()


def test_an_administrator_without_an_official_profile_gets_the_message_not_a_500(client):
    admin = get_user_model().objects.create_superuser("admin-uji", "admin@example.go.id", "sandi-admin-panjang-1")
    client.force_login(admin)
    page = enrol_page(client)
    assert page.status_code == 200
    assert str(signatures.NOT_ELIGIBLE) in page.content.decode()
    refused = post_enrol(client)
    assert refused.status_code == 200
    assert str(signatures.NOT_ELIGIBLE) in refused.content.decode()
    assert not SigningCredential.objects.filter(user=admin).exists()


def test_the_service_refuses_whoever_is_not_eligible(official):
    with pytest.raises(signatures.ValidationError) as refused:
        signatures.credential_enrol(user=official(f"{BANJAR}.auditor"), passphrase=PASSPHRASE,
                                    confirmation=PASSPHRASE)
    assert refused.value.messages == [str(signatures.NOT_ELIGIBLE)]


@pytest.mark.parametrize("username", [f"{BANJAR}.kdh", f"{BANJAR}.kominfo", f"{BANJAR}.sekda", "dirjen"])
def test_paraf_and_signer_holders_may_enrol(official, username):
    assert may_hold_signing_certificate(official(username))


def test_a_signer_enrols_through_the_page(as_user, official):
    client = as_user(f"{BANJAR}.kdh")
    page = enrol_page(client)
    assert 'name="passphrase"' in page.content.decode()
    assert str(signatures.NOT_ELIGIBLE) not in page.content.decode()
    assert post_enrol(client).status_code == 302
    assert SigningCredential.objects.filter(user=official(f"{BANJAR}.kdh")).exists()


def test_a_delegate_of_a_signer_may_enrol_and_an_expired_role_may_not(as_user, official):
    head, staff = official(f"{BANJAR}.kdh"), official(f"{BANJAR}.kominfo.staf")
    assert not may_hold_signing_certificate(staff)
    assignment = RoleAssignment.objects.active().get(user=head, role=RoleKind.SIGNER)
    today = timezone.localdate()
    delegation = Delegation.objects.create(assignment=assignment, delegate=staff, kind=DelegationKind.ACTING,
                                           valid_from=today, valid_until=today + datetime.timedelta(days=3),
                                           created_by=head)
    assert may_hold_signing_certificate(staff)
    delegation.valid_until = today - datetime.timedelta(days=1)
    delegation.valid_from = today - datetime.timedelta(days=5)
    delegation.save()
    assert not may_hold_signing_certificate(staff)
    RoleAssignment.objects.filter(user=head).update(valid_until=today - datetime.timedelta(days=1),
                                                    valid_from=today - datetime.timedelta(days=30))
    assert not may_hold_signing_certificate(official(f"{BANJAR}.kdh"))


def test_the_menu_offers_the_signing_page_only_to_those_who_may_enrol(as_user):
    link = f'href="{reverse("sepakat:enrol")}"'
    auditor_home = as_user(f"{BANJAR}.auditor").get(reverse("sepakat:index"), follow=True)
    staff_home = as_user(f"{BANJAR}.kominfo.staf").get(reverse("sepakat:index"), follow=True)
    signer_home = as_user(f"{BANJAR}.kdh").get(reverse("sepakat:index"), follow=True)
    assert link in signer_home.content.decode()
    assert link not in staff_home.content.decode()
    assert link not in auditor_home.content.decode()
