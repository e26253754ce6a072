"""Logins in the audit log: every login, logout and failed login is an audit event.

django-axes counts the failures and locks the username (settings: AXES_*); these
receivers only record. A failed login records the username that was typed, never
the password (Django's signal masks it anyway, and it is not read here).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction

from audit.actions import AuditAction
from audit.services import event_record

# A typed username is untrusted input: store at most this much of it.
USERNAME_MAX_LENGTH = 150


def record_login(sender, request, user, **kwargs):
    with transaction.atomic():
        event_record(actor=user, action=AuditAction.AUTH_LOGIN)


def record_logout(sender, request, user, **kwargs):
    if user is None:  # logging out without being logged in
        return
    with transaction.atomic():
        event_record(actor=user, action=AuditAction.AUTH_LOGOUT)


def record_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or "")[:USERNAME_MAX_LENGTH]
    with transaction.atomic():
        event_record(actor=None, action=AuditAction.AUTH_LOGIN_FAILED, details={"username": username})


def connect():
    user_logged_in.connect(record_login, dispatch_uid="sepakat.security.record_login")
    user_logged_out.connect(record_logout, dispatch_uid="sepakat.security.record_logout")
    user_login_failed.connect(record_login_failed, dispatch_uid="sepakat.security.record_login_failed")
