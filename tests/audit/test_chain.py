"""The audit chain: an intact log verifies; tampering is found at the right event; the
database refuses to change or remove events, and only flush may empty the table.

Tampering is written in raw SQL with the triggers switched off, as someone with the
database owner's rights could; everything it does is undone when the test ends.
"""

import io
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import override_settings

from audit.actions import AuditAction
from audit.models import AuditEvent
from audit.services import (
    CONTENT_CHANGED,
    EXPECTED_HASH_MISSING,
    GENESIS_HASH,
    LINK_BROKEN,
    audit_maintenance,
    chain_check,
    chain_verify,
    event_hash,
    event_payload,
    event_record,
    guard_installed,
)

pytestmark = pytest.mark.django_db

TRIGGERS_OFF = {
    # (Pending foreign-key checks of this transaction's inserts must run before ALTER TABLE.)
    "postgresql": ["SET CONSTRAINTS ALL IMMEDIATE", "ALTER TABLE audit_auditevent DISABLE TRIGGER USER"],
    "sqlite": ["DROP TRIGGER audit_auditevent_no_update", "DROP TRIGGER audit_auditevent_no_delete"],
}


class _Undo(Exception):
    pass


@contextmanager
def past_the_triggers():
    """Run raw SQL against the audit table with its triggers off; roll all of it back afterwards."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                for sql in TRIGGERS_OFF[connection.vendor]:
                    cursor.execute(sql)
            yield
            raise _Undo
    except _Undo:
        pass


def sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def settle() -> None:
    """Run this transaction's pending foreign-key checks now: PostgreSQL refuses to TRUNCATE before."""
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")


def verify(*args) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def verify_fails(*args) -> CommandError:
    with pytest.raises(CommandError) as failure:
        verify(*args)
    assert failure.value.returncode == 1
    return failure.value


@pytest.fixture
def events(official):
    """Five new events at the end of the seeded world's chain."""
    kominfo = official("kota-banjar.kominfo")
    return [event_record(actor=kominfo, action=AuditAction.ROLE_CHANGED, details={"i": i}) for i in range(5)]


# --- an intact chain ---------------------------------------------------------------------------------------


def test_an_intact_chain_verifies_and_reports_its_length_and_last_hash(events):
    output = verify()
    last = AuditEvent.objects.order_by("pk").last()
    assert last == events[-1]
    assert f"Rantai utuh: {AuditEvent.objects.count()} peristiwa diperiksa." in output
    assert f"Peristiwa terakhir: #{last.pk}; hash terakhir: {last.hash}" in output
    assert chain_verify() == (True, "ok")
    # A hash noted down earlier is still in the chain.
    assert "Rantai utuh" in verify("--expect-hash", events[2].hash, "--chunk-size", "2")


def test_each_event_follows_the_last_with_the_next_sequence_number_and_its_hash(events, official):
    kominfo = official("kota-banjar.kominfo")
    for before, after in zip(events, events[1:], strict=False):
        assert after.pk == before.pk + 1
        assert after.prev_hash == before.hash
    first = AuditEvent.objects.order_by("pk").first()
    assert first.prev_hash == GENESIS_HASH
    event = events[0]
    assert event.hash == event_hash(event.prev_hash, event_payload(event))
    # The hash covers every column but the hashes, the sequence number included.
    covered = {"seq", "created", "actor", "actor_label", "actor_agency", "action", "region", "programme",
               "process", "task", "version", "details"}
    assert set(event_payload(event)) == covered
    assert event.actor_label == f"{kominfo.official.full_name} ({kominfo.official.post})"
    assert event.actor_agency == "Dinas Komunikasi dan Informatika Kota Banjar"


def test_details_are_stored_exactly_as_they_were_hashed(official):
    import datetime

    event = event_record(actor=None, action=AuditAction.ROLE_CHANGED,
                         details={"when": datetime.date(2024, 3, 5), "n": 1})
    event.refresh_from_db()
    assert event.details == {"when": "2024-03-05", "n": 1}
    assert event.actor_label == "sistem"
    assert event.actor_agency == ""
    assert chain_verify() == (True, "ok")


# --- tampering, each found at the right event ------------------------------------------------------------


def test_an_edited_field_is_found_at_the_edited_event(events):
    target = events[2]
    with past_the_triggers():
        sql("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", "Orang Lain (Kepala Dinas)", target.pk)
        failure = verify_fails()
        assert str(failure) == CONTENT_CHANGED % {"seq": target.pk}
        assert chain_verify() == (False, CONTENT_CHANGED % {"seq": target.pk})
        report = chain_check()
        assert (report.broken_at, report.last_seq, report.last_hash) == (target.pk, events[1].pk, events[1].hash)
    assert chain_verify() == (True, "ok")


def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(events):
    target = events[2]
    target.action = "test.innocent"
    forged = event_hash(target.prev_hash, event_payload(target))
    with past_the_triggers():
        sql("UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s", target.action, forged, target.pk)
        assert str(verify_fails()) == LINK_BROKEN % {"seq": events[3].pk}


def test_a_deleted_event_is_found_at_the_event_after_it(events):
    with past_the_triggers():
        sql("DELETE FROM audit_auditevent WHERE id = %s", events[2].pk)
        assert str(verify_fails()) == LINK_BROKEN % {"seq": events[3].pk}


def test_two_swapped_events_are_found_where_the_order_changes(events):
    first, second = events[1].pk, events[2].pk
    with past_the_triggers():
        sql("UPDATE audit_auditevent SET id = %s WHERE id = %s", -first, first)
        sql("UPDATE audit_auditevent SET id = %s WHERE id = %s", first, second)
        sql("UPDATE audit_auditevent SET id = %s WHERE id = %s", second, -first)
        assert AuditEvent.objects.get(pk=first).details == {"i": 2}
        assert str(verify_fails()) == LINK_BROKEN % {"seq": first}


def test_a_renumbered_event_no_longer_matches_its_hash(events):
    last = events[-1]
    with past_the_triggers():
        sql("UPDATE audit_auditevent SET id = %s WHERE id = %s", last.pk + 10, last.pk)
        assert str(verify_fails()) == CONTENT_CHANGED % {"seq": last.pk + 10}


def test_events_deleted_from_the_end_are_found_against_a_hash_noted_earlier(events):
    noted = verify().rsplit("hash terakhir: ", 1)[1].strip()
    assert noted == events[-1].hash
    with past_the_triggers():
        sql("DELETE FROM audit_auditevent WHERE id >= %s", events[3].pk)
        assert "Rantai utuh" in verify()  # the chain alone cannot tell
        assert str(verify_fails("--expect-hash", noted)) == EXPECTED_HASH_MISSING % {"hash": noted}


# --- the database refuses ---------------------------------------------------------------------------------


def refused(action) -> str:
    with pytest.raises((IntegrityError, DatabaseError)) as error, transaction.atomic():
        action()
    return str(error.value)


def test_the_database_refuses_to_update_or_delete_events_through_the_orm(events):
    event = events[1]
    assert guard_installed() is True
    assert "UPDATE ditolak" in refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(action="x"))
    assert "DELETE ditolak" in refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    assert "DELETE ditolak" in refused(lambda: AuditEvent.objects.all().delete())
    event.action = "x"
    assert "UPDATE ditolak" in refused(lambda: event.save(update_fields=["action"]))
    assert "DELETE ditolak" in refused(event.delete)
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.ROLE_CHANGED
    assert chain_verify() == (True, "ok")


def test_the_database_refuses_raw_sql_updates_deletes_and_truncation(events):
    pk = events[1].pk
    assert "UPDATE ditolak" in refused(lambda: sql("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", pk))
    assert "DELETE ditolak" in refused(lambda: sql("DELETE FROM audit_auditevent WHERE id = %s", pk))
    assert "DELETE ditolak" in refused(lambda: sql("DELETE FROM audit_auditevent"))
    if connection.vendor == "postgresql":
        settle()
        assert "TRUNCATE ditolak" in refused(lambda: sql("TRUNCATE audit_auditevent CASCADE"))
    assert AuditEvent.objects.filter(pk__gte=events[0].pk).count() == 5
    assert chain_verify() == (True, "ok")


def test_the_maintenance_hatch_lets_only_its_own_block_empty_the_table_and_never_edit(events):
    with transaction.atomic():
        with audit_maintenance():
            assert "UPDATE ditolak" in refused(lambda: AuditEvent.objects.filter(pk=events[0].pk).update(action="x"))
            AuditEvent.objects.filter(pk=events[-1].pk).delete()
        # Closed again, although the surrounding transaction goes on.
        assert "DELETE ditolak" in refused(lambda: AuditEvent.objects.filter(pk=events[-2].pk).delete())
    assert not AuditEvent.objects.filter(pk=events[-1].pk).exists()


def test_flush_empties_the_log_through_the_hatch_and_refuses_in_production(events):
    total = AuditEvent.objects.count()
    settle()
    production = override_settings(AUDIT_FLUSH_ALLOWED=False)
    with production, pytest.raises(CommandError, match="couldn't be flushed") as error:
        call_command("flush", interactive=False, reset_sequences=False, inhibit_post_migrate=True)
    assert "ditolak" in str(error.value.__cause__)
    assert AuditEvent.objects.count() == total
    with transaction.atomic():
        call_command("flush", interactive=False, reset_sequences=False, inhibit_post_migrate=True)
        assert not AuditEvent.objects.exists()
        first = event_record(actor=None, action=AuditAction.ROLE_SYNCED)
        assert (first.pk, first.prev_hash) == (1, GENESIS_HASH)
        assert "DELETE ditolak" in refused(lambda: AuditEvent.objects.all().delete())
        transaction.set_rollback(True)
    assert AuditEvent.objects.count() == total
