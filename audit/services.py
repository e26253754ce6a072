import hashlib
import json

from django.db import transaction
from django.utils import timezone

from .models import AuditEvent

GENESIS_HASH = "0" * 64


def event_hash(prev_hash: str, payload: dict) -> str:
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


@transaction.atomic
def event_record(*, actor, action: str, region=None, process=None, task=None, version=None, details=None):
    """Append one event, chained to the previous one. Call inside the change's transaction."""
    last = AuditEvent.objects.select_for_update().order_by("-pk").values_list("hash", flat=True).first()
    prev_hash = last or GENESIS_HASH
    official = getattr(actor, "official", None) if actor else None
    event = AuditEvent(
        created=timezone.now(),
        actor=actor,
        actor_label=(f"{official.full_name} ({official.post})" if official else getattr(actor, "username", "sistem")),
        action=action,
        region=region,
        process_id=getattr(process, "pk", None),
        task_id=getattr(task, "pk", None),
        version_id=getattr(version, "pk", None),
        details=details or {},
        prev_hash=prev_hash,
    )
    event.hash = event_hash(prev_hash, _payload(event))
    event.save()
    return event


def _payload(event: AuditEvent) -> dict:
    return {
        "created": event.created.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "region": event.region_id,
        "process": event.process_id,
        "task": event.task_id,
        "version": event.version_id,
        "details": event.details,
    }


def chain_verify() -> tuple[bool, str]:
    """Walk the chain in order; report the first broken link."""
    prev_hash = GENESIS_HASH
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        if event.prev_hash != prev_hash:
            return False, f"event #{event.pk}: prev_hash does not match the event before it"
        if event_hash(prev_hash, _payload(event)) != event.hash:
            return False, f"event #{event.pk}: content does not match its hash"
        prev_hash = event.hash
    return True, "ok"
