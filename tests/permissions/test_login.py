"""Logins through the HTTP client: lockout (django-axes), audit events, passwords, sessions."""

import datetime
import json

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

USERNAME = "kota-banjar.kominfo"
PASSWORD = "Gerbang-Kota-Cerdas-2024"
WRONG = "salah-total-123"


@pytest.fixture
def kominfo(official):
    user = official(USERNAME)
    user.set_password(PASSWORD)
    user.save()
    return user


def login(client, password, username=USERNAME):
    return client.post(reverse("login"), {"username": username, "password": password})


def logged_in(client):
    return "_auth_user_id" in client.session


def failed_events():
    return AuditEvent.objects.filter(action="auth.login_failed").order_by("pk")


def test_the_login_page_is_public_and_everything_else_redirects_to_it(client):
    assert client.get(reverse("login")).status_code == 200
    response = client.get(reverse("sepakat:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_good_login_and_logout_are_audited(client, kominfo):
    response = login(client, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)
    assert AuditEvent.objects.filter(action="auth.login", actor=kominfo).count() == 1

    assert client.post(reverse("logout")).status_code == 302
    assert not logged_in(client)
    assert AuditEvent.objects.filter(action="auth.logout", actor=kominfo).count() == 1


def test_five_wrong_passwords_lock_the_account(client, kominfo):
    for attempt in range(1, 5):
        response = login(client, WRONG)
        assert response.status_code == 200, attempt  # the login form again, with its error
        assert not logged_in(client)

    response = login(client, WRONG)  # the fifth failure locks
    assert response.status_code == 429
    assert "Akun dikunci sementara" in response.content.decode()

    response = login(client, PASSWORD)  # even the right password is refused now
    assert response.status_code == 429
    assert not logged_in(client)
    page = response.content.decode()
    assert "Akun dikunci sementara" in page
    assert USERNAME in page
    assert "15 menit" in page
    assert "hubungi administrator" in page
    assert AuditEvent.objects.filter(action="auth.login", actor=kominfo).count() == 0


def test_the_lock_is_by_username_not_by_address(client, kominfo, official):
    for _ in range(5):
        login(client, WRONG)
    other = official("kota-banjar.bappeda")
    other.set_password(PASSWORD)
    other.save()
    # Same office NAT address (the test client's), another official: not locked.
    assert login(client, PASSWORD, username="kota-banjar.bappeda").status_code == 302


def test_every_failure_is_audited_with_the_username_and_never_the_password(client, kominfo):
    for _ in range(5):
        login(client, WRONG)
    events = list(failed_events())
    assert len(events) == 5
    for event in events:
        assert event.actor is None
        assert event.details == {"username": USERNAME}

    login(client, PASSWORD)  # refused while locked: a failure too
    events = list(failed_events())
    assert len(events) == 6
    everything = json.dumps([e.details for e in AuditEvent.objects.all()]) + "".join(
        e.actor_label for e in AuditEvent.objects.all()
    )
    assert WRONG not in everything
    assert PASSWORD not in everything
    # axes' own records mask the password too
    for attempt in AccessAttempt.objects.all():
        assert WRONG not in attempt.post_data and PASSWORD not in attempt.post_data


def test_an_unknown_username_is_audited_too(client):
    login(client, WRONG, username="tidak-ada")
    assert [e.details for e in failed_events()] == [{"username": "tidak-ada"}]


def test_after_the_cool_off_the_right_password_works_again(client, kominfo):
    for _ in range(5):
        login(client, WRONG)
    assert login(client, PASSWORD).status_code == 429

    # Sixteen minutes later (the last attempt restarts the fifteen-minute wait).
    AccessAttempt.objects.filter(username=USERNAME).update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(minutes=1)
    )
    response = login(client, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)
    assert not AccessAttempt.objects.filter(username=USERNAME).exists()


def test_an_administrator_can_unlock_earlier(client, kominfo):
    for _ in range(5):
        login(client, WRONG)
    assert login(client, PASSWORD).status_code == 429
    assert reset(username=USERNAME) == 1
    assert login(client, PASSWORD).status_code == 302


def test_a_successful_login_resets_the_counter(client, kominfo):
    for _ in range(4):
        login(client, WRONG)
    assert login(client, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=USERNAME).exists()
    client.post(reverse("logout"))

    for _ in range(4):  # four more: eight in all, but never five in a row
        assert login(client, WRONG).status_code == 200
    assert login(client, PASSWORD).status_code == 302


def test_the_admin_shows_the_attempts(client, kominfo, django_user_model):
    for _ in range(2):
        login(client, WRONG)
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 200
    assert USERNAME in response.content.decode()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password1234", "Kata sandi ini terlalu umum."),
        ("123456789012", "Kata sandi ini seluruhnya terdiri dari angka."),
        (USERNAME, "Kata sandi terlalu mirip dengan nama pengguna."),
        ("Ab3-kurang", "Harus mengandung setidaknya 12 karakter"),
    ],
)
def test_weak_passwords_are_refused_in_indonesian(kominfo, password, message):
    with translation.override("id"), pytest.raises(ValidationError) as refused:
        validate_password(password, user=kominfo)
    assert any(message in text for text in refused.value.messages), refused.value.messages


def test_a_strong_password_is_accepted(kominfo):
    with translation.override("id"):
        validate_password(PASSWORD, user=kominfo)


def test_the_session_ends_after_thirty_minutes_of_inactivity(client, kominfo):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY

    login(client, PASSWORD)
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    key = client.session.session_key

    # Activity slides the expiry: a request 29 minutes in renews the full thirty.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + datetime.timedelta(minutes=1))
    assert client.get(reverse("sepakat:index")).status_code == 200
    renewed = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert renewed > datetime.timedelta(minutes=29)

    # Thirty minutes without a request: logged out, back to the login page.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("sepakat:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
