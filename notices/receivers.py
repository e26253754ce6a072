"""Notices follow the audit log: each new event may tell someone (notices.services.notices_from_event)."""

import logging

from django.db.models.signals import post_save

from audit.models import AuditEvent

from .services import notices_from_event

logger = logging.getLogger(__name__)


def event_recorded(sender, instance: AuditEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        notices_from_event(instance)


def connect() -> None:
    post_save.connect(event_recorded, sender=AuditEvent, dispatch_uid="notices.receivers.event_recorded")
