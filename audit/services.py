"""Writing the audit log, and checking its chain.

Hash format (the auditor's standalone script recomputes it, so keep it stable):
    hash = sha256(prev_hash + "\\n" + canonical JSON of event_payload(event))
canonical JSON: sorted keys, no spaces, UTF-8 (ensure_ascii=False). The payload holds
every column but the two hashes, including the sequence number (the pk), so an edited
field, a renumbered event, a deleted one or two swapped ones all break the chain.
The first event's prev_hash is GENESIS_HASH.
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from . import merkle
from .actions import AuditAction
from .models import AuditEvent, Checkpoint

GENESIS_HASH = "0" * 64

# What verify_audit says about the first broken link (N is the event's sequence number).
LINK_BROKEN = "Rantai terputus: ada peristiwa yang diubah, dihapus, atau urutannya ditukar sebelum peristiwa #%(seq)s."
CONTENT_CHANGED = "Rantai terputus: isi peristiwa #%(seq)s diubah."
CHECKPOINT_MISMATCH = (
    "Rantai tidak cocok dengan titik periksa bertanda tangan %(when)s: peristiwa #%(seq)s kini ber-hash "
    "%(found)s, titik periksa mencatat %(recorded)s. Peristiwa sampai #%(seq)s telah ditulis ulang."
)
CHECKPOINT_COUNT = (
    "Rantai tidak cocok dengan titik periksa %(when)s: sampai peristiwa #%(seq)s ada %(found)s peristiwa, "
    "titik periksa mencatat %(recorded)s."
)
CHECKPOINT_MERKLE = (
    "Akar Merkle peristiwa sampai #%(seq)s tidak cocok dengan titik periksa bertanda tangan %(when)s."
)
CHECKPOINT_EVENT_MISSING = (
    "Titik periksa %(when)s mencatat peristiwa #%(seq)s, yang tidak ada lagi di rantai: peristiwa telah dihapus."
)
CHECKPOINT_INVALID = "Titik periksa #%(seq)s (%(when)s) tidak sah: %(why)s"
CHECKPOINT_UNVERIFIABLE = "tanda tangan segelnya tidak dapat diperiksa (tidak ada pemeriksa terdaftar)"
# What a verifier returns for a checkpoint sealed by the system's seal whose certificates (the seal's, the TSA's)
# have ended since: no longer proof of its time by itself, but covered by any later checkpoint that holds (its
# Merkle root commits to every event before).
CHECKPOINT_LAPSED = "segel dan cap waktunya sudah berakhir"
EXPECTED_HASH_MISSING = (
    "Hash %(hash)s tidak ada di rantai: peristiwa yang tercatat sebelumnya telah dihapus atau diubah."
)

# Columns in the order chain_check reads them (values_list keeps memory per row small).
_CHAIN_COLUMNS = (
    "pk", "created", "actor_id", "actor_label", "actor_agency", "action", "region_id", "programme_id",
    "process_id", "task_id", "version_id", "details", "prev_hash", "hash",
)


def event_hash(prev_hash: str, payload: dict) -> str:
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def event_payload(event: AuditEvent) -> dict:
    """Everything the hash covers, besides prev_hash."""
    return _payload(*(getattr(event, column) for column in _CHAIN_COLUMNS[:-2]))


def _payload(seq, created, actor_id, actor_label, actor_agency, action, region_id, programme_id, process_id,
             task_id, version_id, details) -> dict:
    return {
        "seq": seq,
        "created": created.isoformat(),
        "actor": actor_id,
        "actor_label": actor_label,
        "actor_agency": actor_agency,
        "action": action,
        "region": region_id,
        "programme": programme_id,
        "process": process_id,
        "task": task_id,
        "version": version_id,
        "details": details,
    }


@transaction.atomic
def event_record(*, actor, action: AuditAction, region=None, programme=None, process=None, task=None, version=None,
                 details=None) -> AuditEvent:
    """Append one event, chained to the previous one. Call inside the change's transaction.

    `details` holds what the event needs beyond its objects: the old and new values
    of a change, a decision and its note. The actor's agency, and the case and
    programme a document version belongs to, are filled in here.
    """
    if not isinstance(action, AuditAction):
        raise TypeError(f"name audit actions through AuditAction, not {action!r}")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # an anonymous visitor acts as nobody in particular
    document = getattr(version, "document", None)
    if process is None and document is not None:
        process = _case_of(document)
    if programme is None:
        programme = getattr(process, "programme", None) or getattr(document, "programme", None)
    if region is None and programme is not None:
        region = programme.region
    details = json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder))  # stored exactly as hashed

    chain_lock()
    last_seq, prev_hash = AuditEvent.objects.order_by("-pk").values_list("pk", "hash").first() or (0, GENESIS_HASH)
    official = getattr(actor, "official", None) if actor else None
    event = AuditEvent(
        pk=last_seq + 1,
        created=timezone.now(),
        actor=actor,
        actor_label=(f"{official.full_name} ({official.post})" if official else getattr(actor, "username", "sistem")),
        actor_agency=_agency_of(actor),
        action=action,
        region=region,
        programme_id=getattr(programme, "pk", None),
        process_id=getattr(process, "pk", None),
        task_id=getattr(task, "pk", None),
        version_id=getattr(version, "pk", None),
        details=details,
        prev_hash=prev_hash,
    )
    event.hash = event_hash(prev_hash, event_payload(event))
    event.save(force_insert=True)
    return event


def chain_lock() -> None:
    """Let one transaction at a time append, so that each event follows the last committed one.

    On PostgreSQL a row lock on the last event is not enough: a second writer waiting
    on it would still read the same last event once the first commits (its snapshot
    predates the new row) and fork the chain. A self-conflicting table lock makes it
    wait, then read afresh. SQLite runs one writer at a time anyway. On any backend,
    a fork would collide on the pk (the sequence number), so it fails rather than forks.

    The lock is held to the end of the transaction, so every transaction takes its locks in one
    order (docs/adr/0012): a flow step's process row, then this, then any other row (a credential,
    a version, a regulation number's index entry). A transaction that locks another row before
    its first event takes this first; taking it again is a no-op.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {AuditEvent._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def _case_of(document):
    try:
        return document.process
    except (AttributeError, ObjectDoesNotExist):
        return None


# Who knows an actor's agency lives above this app (permissions): it registers the
# lookup when it starts, so the log imports none of the apps that write to it.
_actor_agency_lookups: list = []


def actor_agency_lookup_register(lookup) -> None:
    """`lookup(user) -> str`: the agency name recorded beside each event of that user."""
    if lookup not in _actor_agency_lookups:
        _actor_agency_lookups.append(lookup)


def _agency_of(actor) -> str:
    if actor is None:
        return ""
    for lookup in _actor_agency_lookups:
        name = lookup(actor)
        if name:
            return name
    return ""


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    checked: int  # events whose link and content were found good
    last_seq: int | None  # the last good event
    last_hash: str  # its hash (GENESIS_HASH for an empty log)
    broken_at: int | None = None  # the event where the chain breaks
    problem: str = ""


@dataclass(frozen=True)
class Anchor:
    """What a checkpoint says the chain was: the hash of event ``seq`` and how many events led to it."""

    seq: int
    head_hash: str
    count: int
    when: str  # for messages: the checkpoint's time
    merkle_root: str = ""


def chain_check(*, chunk_size: int = 2000, expect_hash: str = "", anchors: list[Anchor] = ()) -> ChainReport:
    """Walk the chain in sequence order, streaming, and report the first broken link.

    `expect_hash`, a last hash noted down earlier, must still be in the chain: this
    catches events deleted from the end, which leave no broken link behind. Each of
    `anchors` (signed checkpoints) must match the event it names: a chain rewritten with
    every hash recomputed is intact link by link, but no longer reaches a checkpoint's head.
    """
    by_seq = {anchor.seq: anchor for anchor in anchors}
    tree = merkle.Accumulator()
    prev_hash, last_seq, checked, seen_expected = GENESIS_HASH, None, 0, not expect_hash
    rows = AuditEvent.objects.order_by("pk").values_list(*_CHAIN_COLUMNS).iterator(chunk_size=chunk_size)
    for row in rows:
        seq, stored_prev, stored_hash = row[0], row[-2], row[-1]
        problem = None
        if stored_prev != prev_hash:
            problem = LINK_BROKEN
        elif event_hash(prev_hash, _payload(*row[:-2])) != stored_hash:
            problem = CONTENT_CHANGED
        if problem:
            return ChainReport(False, checked, last_seq, prev_hash, broken_at=seq, problem=problem % {"seq": seq})
        anchor = by_seq.get(seq)
        if anchor is not None and anchor.head_hash != stored_hash:
            return ChainReport(False, checked, last_seq, prev_hash, broken_at=seq, problem=CHECKPOINT_MISMATCH % {
                "when": anchor.when, "seq": seq, "found": stored_hash[:16], "recorded": anchor.head_hash[:16]})
        if anchor is not None and anchor.count != checked + 1:
            return ChainReport(False, checked, last_seq, prev_hash, broken_at=seq, problem=CHECKPOINT_COUNT % {
                "when": anchor.when, "seq": seq, "found": checked + 1, "recorded": anchor.count})
        tree.add(stored_hash)
        if anchor is not None and anchor.merkle_root and anchor.merkle_root != tree.root():
            return ChainReport(False, checked, last_seq, prev_hash, broken_at=seq, problem=CHECKPOINT_MERKLE % {
                "when": anchor.when, "seq": seq})
        prev_hash, last_seq, checked = stored_hash, seq, checked + 1
        seen_expected = seen_expected or stored_hash == expect_hash
    beyond = [anchor for anchor in anchors if last_seq is None or anchor.seq > last_seq]
    if beyond:
        anchor = min(beyond, key=lambda a: a.seq)
        return ChainReport(False, checked, last_seq, prev_hash,
                           problem=CHECKPOINT_EVENT_MISSING % {"when": anchor.when, "seq": anchor.seq})
    if not seen_expected:
        return ChainReport(False, checked, last_seq, prev_hash, problem=EXPECTED_HASH_MISSING % {"hash": expect_hash})
    return ChainReport(True, checked, last_seq, prev_hash)


# Checking a checkpoint's seal needs the signing authority, which lives above this app:
# agreements registers its verifier when it starts. verifier(checkpoint) -> "" or what is wrong.
_checkpoint_verifiers: list = []


def checkpoint_verifier_register(verifier) -> None:
    if verifier not in _checkpoint_verifiers:
        _checkpoint_verifiers.append(verifier)


def checkpoint_anchors() -> tuple[list[Anchor], list[str]]:
    """The stored checkpoints whose seal verifies, as anchors, and a message for each that does not."""
    return anchors_of(Checkpoint.objects.order_by("seq").iterator(chunk_size=500))


def anchors_of(checkpoints) -> tuple[list[Anchor], list[str]]:
    """As ``checkpoint_anchors``, for any checkpoints (stored ones, or a copy kept outside)."""
    anchors, problems, lapsed = [], [], []
    for checkpoint in checkpoints:
        when = timezone.localtime(checkpoint.created).strftime("%d-%m-%Y %H:%M")
        why = "; ".join(filter(None, (verify(checkpoint) for verify in _checkpoint_verifiers))) \
            if _checkpoint_verifiers else CHECKPOINT_UNVERIFIABLE
        if why == CHECKPOINT_LAPSED:
            lapsed.append((checkpoint.seq, CHECKPOINT_INVALID % {"seq": checkpoint.seq, "when": when, "why": why}))
        elif why:
            problems.append(CHECKPOINT_INVALID % {"seq": checkpoint.seq, "when": when, "why": why})
        else:
            anchors.append(Anchor(checkpoint.seq, checkpoint.head_hash, checkpoint.count, when,
                                  checkpoint.merkle_root))
    latest = max((anchor.seq for anchor in anchors), default=0)
    problems += [message for seq, message in lapsed if seq >= latest]  # nothing later vouches for these
    return anchors, problems


def chain_verify() -> tuple[bool, str]:
    """(True, "ok") for an intact chain, else (False, what is wrong and where)."""
    report = chain_check()
    return (True, "ok") if report.intact else (False, report.problem)


# The maintenance escape hatch. The triggers of migration 0003 refuse every UPDATE,
# DELETE and TRUNCATE of the audit table, except a DELETE or TRUNCATE inside a
# transaction that opened this hatch: emptying the whole database (`manage.py flush`,
# which Django's test runner also calls between transactional tests). It never allows
# editing a row. Whoever can open it could also drop the triggers: the hash chain,
# not the triggers, is what proves the log was not touched.
@contextmanager
def audit_maintenance(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Within this block (one transaction), this connection may empty the audit table."""
    db = connections[using]
    with transaction.atomic(using=using), db.cursor() as cursor:
        if db.vendor == "postgresql":
            # is_local=true: the setting ends with the transaction, whatever happens.
            cursor.execute("SELECT set_config('sepakat.audit_maintenance', 'on', true)")
        elif db.vendor == "sqlite":
            # SQLite has no session settings, and a trigger cannot read a TEMP table:
            # a row in a plain table, inserted and removed in this one transaction
            # (SQLite has one writer at a time), is never seen by anyone else.
            cursor.execute("INSERT INTO audit_maintenance (reason) VALUES ('flush')")
        yield
        # Closed again on the way out, even when this block is a savepoint in a longer
        # transaction (a failure rolls the savepoint back, which closes it as well).
        if db.vendor == "postgresql":
            cursor.execute("SELECT set_config('sepakat.audit_maintenance', 'off', true)")
        elif db.vendor == "sqlite":
            cursor.execute("DELETE FROM audit_maintenance")


def guard_installed(*, using: str = DEFAULT_DB_ALIAS) -> bool | None:
    """Whether the database's append-only triggers are in place (None: this vendor has none).

    On SQLite, a migration that remakes the audit table drops its triggers with the old
    table: such a migration must install them again (see migration 0003).
    """
    db = connections[using]
    queries = {
        "postgresql": "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
                      "AND tgname LIKE 'audit_auditevent_no_%%' AND tgenabled <> 'D'",
        "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent' "
                  "AND name LIKE 'audit_auditevent_no_%%'",
    }
    if db.vendor not in queries:
        return None
    with db.cursor() as cursor:
        cursor.execute(queries[db.vendor], [])
        return cursor.fetchone()[0] == 2
