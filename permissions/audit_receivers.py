"""Audit events for changes that happen inside libraries, where no service of ours runs.

viewflow creates a case's tasks itself, as the flow moves on: AuditAction.TASK_CREATED is
recorded when a human task is saved for the first time, in the same transaction.
The actor is the system (the flow); the official whose decision moved the flow on
has their own AuditAction.TASK_FINISHED event just before.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save, pre_save

from audit.actions import AuditAction
from audit.context import current_actor, current_via
from audit.services import event_record

# Accounts and official profiles. The admin, a user's own password page, a shell or a
# management command all save the model: recording here leaves none of them off the
# record. The actor is the user of the request being served (audit.context), else
# nobody (the system); `via` says which page or "sistem". A password is never
# recorded, neither its hash: only whether the account can log in with one.
USER_FLAGS = {
    # field: (action when it becomes True, action when it becomes False)
    "is_active": (AuditAction.USER_ACTIVATED, AuditAction.USER_DEACTIVATED),
    "is_staff": (AuditAction.USER_STAFF_GRANTED, AuditAction.USER_STAFF_REVOKED),
    "is_superuser": (AuditAction.USER_SUPERUSER_GRANTED, AuditAction.USER_SUPERUSER_REVOKED),
}
USER_FIELDS = ("username", "email", "first_name", "last_name")
OFFICIAL_FIELDS = ("full_name", "post", "nip")


def _watched(fields, update_fields) -> tuple:
    return tuple(fields) if update_fields is None else tuple(f for f in fields if f in update_fields)


def _user_fields(model) -> tuple:
    names = {field.name for field in model._meta.concrete_fields}
    return tuple(f for f in (*USER_FIELDS, *USER_FLAGS, "password") if f in names)


def snapshot_user(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    instance._audit_before = None
    fields = _watched(_user_fields(sender), update_fields)
    if raw or instance.pk is None or not fields:
        return
    instance._audit_before = sender._default_manager.filter(pk=instance.pk).values(*fields).first()


def _actor_and_via(details: dict):
    details["via"] = current_via()
    return current_actor()


def _usable(password: str | None) -> bool:
    from django.contrib.auth.hashers import is_password_usable

    return bool(password) and is_password_usable(password)


def record_user_saved(sender, instance, created: bool, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw:
        return
    username = instance.get_username()
    if created:
        new = {f: getattr(instance, f) for f in _user_fields(sender) if f != "password"}
        new["password_usable"] = _usable(instance.password)
        details = {"user": username, "user_id": instance.pk, "new": new}
        event_record(actor=_actor_and_via(details), action=AuditAction.USER_CREATED, details=details)
        return
    old = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if not old:
        return
    changed = [f for f in old if old[f] != getattr(instance, f)]
    for field in changed:
        if field in USER_FLAGS:
            action = USER_FLAGS[field][0 if getattr(instance, field) else 1]
            details = {"user": username, "user_id": instance.pk,
                       "old": {field: old[field]}, "new": {field: getattr(instance, field)}}
            event_record(actor=_actor_and_via(details), action=action, details=details)
    if "password" in changed:
        rehash = getattr(instance, "_password", None) is None and set(update_fields or ()) == {"password"}
        if not rehash:  # a hash upgraded at login is the same password, not a change
            details = {"user": username, "user_id": instance.pk,
                       "old": {"password_usable": _usable(old["password"])},
                       "new": {"password_usable": _usable(instance.password)}}
            actor = _actor_and_via(details)
            own = actor is not None and actor.pk == instance.pk
            action = AuditAction.USER_PASSWORD_CHANGED if own else AuditAction.USER_PASSWORD_SET
            event_record(actor=actor, action=action, details=details)
    others = [f for f in changed if f in USER_FIELDS]
    if others:
        details = {"user": username, "user_id": instance.pk, "old": {f: old[f] for f in others},
                   "new": {f: getattr(instance, f) for f in others}}
        event_record(actor=_actor_and_via(details), action=AuditAction.USER_CHANGED, details=details)


def record_user_deleted(sender, instance, **kwargs) -> None:
    old = {f: getattr(instance, f) for f in _user_fields(sender) if f != "password"}
    details = {"user": instance.get_username(), "user_id": instance.pk, "old": old}
    event_record(actor=_actor_and_via(details), action=AuditAction.USER_DELETED, details=details)


def snapshot_official(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    instance._audit_before = None
    fields = _watched(OFFICIAL_FIELDS, update_fields)
    if raw or instance.pk is None or not fields:
        return
    instance._audit_before = sender._default_manager.filter(pk=instance.pk).values(*fields).first()


def record_official_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Name, post and NIP appear on every approval sheet: each change is recorded with old and new."""
    if raw:
        return
    details = {"user": instance.user.get_username(), "official_id": instance.pk}
    if created:
        details["new"] = {f: getattr(instance, f) for f in OFFICIAL_FIELDS}
        event_record(actor=_actor_and_via(details), action=AuditAction.OFFICIAL_CREATED, details=details)
        return
    old = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    changed = [f for f in (old or {}) if old[f] != getattr(instance, f)]
    if changed:
        details.update(old={f: old[f] for f in changed}, new={f: getattr(instance, f) for f in changed})
        event_record(actor=_actor_and_via(details), action=AuditAction.OFFICIAL_CHANGED, details=details)


def record_official_deleted(sender, instance, **kwargs) -> None:
    details = {"user_id": instance.user_id, "official_id": instance.pk,
               "old": {f: getattr(instance, f) for f in OFFICIAL_FIELDS}}
    event_record(actor=_actor_and_via(details), action=AuditAction.OFFICIAL_REMOVED, details=details)


def connect() -> None:
    from .models import Official

    uid = "permissions.audit_receivers.%s"
    user = get_user_model()
    pre_save.connect(snapshot_user, sender=user, dispatch_uid=uid % "snapshot_user")
    post_save.connect(record_user_saved, sender=user, dispatch_uid=uid % "record_user_saved")
    post_delete.connect(record_user_deleted, sender=user, dispatch_uid=uid % "record_user_deleted")
    pre_save.connect(snapshot_official, sender=Official, dispatch_uid=uid % "snapshot_official")
    post_save.connect(record_official_saved, sender=Official, dispatch_uid=uid % "record_official_saved")
    post_delete.connect(record_official_deleted, sender=Official, dispatch_uid=uid % "record_official_deleted")
