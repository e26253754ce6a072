"""The actor's agency and the programme join each event, and the hash now covers every
column, the sequence number (pk) included.

Events written before this migration are re-chained in the new format, but only if
their chain is intact in the old one: a broken chain stops the migration, so that no
evidence of tampering is hashed over. The hash functions are copied here on purpose:
this migration must keep computing what it computes today, whatever services.py becomes.

Irreversible: unapplying would drop every event's actor agency and programme, and migrating
forward again would re-chain them blank, into hashes that no checkpoint or outside copy of
the chain holds. Go back by restoring a backup.
"""

import hashlib
import json

from django.db import migrations, models

GENESIS_HASH = "0" * 64
BATCH = 1000


def _hash(prev_hash, payload):
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def _old_payload(event):
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


def _new_payload(event):
    return {
        "seq": event.pk,
        **_old_payload(event),
        "actor_agency": event.actor_agency,
        "programme": event.programme_id,
    }


def _batches(model, using):
    last = 0
    while True:
        batch = list(model.objects.using(using).filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def _rechain(apps, schema_editor, *, read, write):
    model = apps.get_model("audit", "AuditEvent")
    using = schema_editor.connection.alias
    old_prev = new_prev = GENESIS_HASH
    for batch in _batches(model, using):
        for event in batch:
            if event.prev_hash != old_prev or _hash(old_prev, read(event)) != event.hash:
                raise RuntimeError(
                    f"Jejak audit sudah rusak pada peristiwa #{event.pk}: periksa dulu (verify_audit), "
                    "rantai tidak dihitung ulang."
                )
            old_prev = event.hash
            event.prev_hash = new_prev
            event.hash = new_prev = _hash(new_prev, write(event))
        model.objects.using(using).bulk_update(batch, ["prev_hash", "hash"])


def forwards(apps, schema_editor):
    _rechain(apps, schema_editor, read=_old_payload, write=_new_payload)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="actor_agency",
            field=models.CharField(blank=True, max_length=300, verbose_name="instansi pelaku"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="programme_id",
            field=models.BigIntegerField(db_index=True, null=True),
        ),
        migrations.RunPython(forwards),  # no reverse_code: unapplying raises IrreversibleError
    ]
