"""Writing the audit log, and checking its chain.

Hash format (the auditor's standalone script recomputes it, so keep it stable):
    hash = sha256(prev_hash + "\\n" + canonical JSON of event_payload(event))
canonical JSON: sorted keys, no spaces, UTF-8 (ensure_ascii=False). The payload holds
every column but the two hashes, including the sequence number (the pk), so an edited
field, a renumbered event, a deleted one or two swapped ones all break the chain.
The first event's prev_hash is GENESIS_HASH.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from json.encoder import c_make_encoder, encode_basestring

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections, router, transaction
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

# Columns in the order chain_check reads them (plain tuples keep memory per row small).
_CHAIN_COLUMNS = (
    "pk", "created", "actor_id", "actor_label", "actor_agency", "action", "region_id", "programme_id",
    "process_id", "task_id", "version_id", "details", "prev_hash", "hash",
)
CHAIN_CHUNK = 5000  # events per query of chain_check


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


def chain_check(*, chunk_size: int = CHAIN_CHUNK, expect_hash: str = "", anchors: list[Anchor] = ()) -> ChainReport:
    """Walk the chain in sequence order, streaming, and report the first broken link.

    `expect_hash`, a last hash noted down earlier, must still be in the chain: this
    catches events deleted from the end, which leave no broken link behind. Each of
    `anchors` (signed checkpoints) must match the event it names: a chain rewritten with
    every hash recomputed is intact link by link, but no longer reaches a checkpoint's head.

    Rows are read as plain tuples, `chunk_size` at a time (_chain_rows), and hashed by _row_hasher:
    the same hash as event_hash(prev_hash, event_payload(event)) of the event the ORM would load.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    by_seq = {anchor.seq: anchor for anchor in anchors}
    # The Merkle tree is only compared at anchors that carry a root: past the last of them, it is not built.
    merkle_until = max((anchor.seq for anchor in anchors if anchor.merkle_root), default=None)
    tree = merkle.Accumulator()
    alias = router.db_for_read(AuditEvent)
    row_hash = _row_hasher(connections[alias])
    prev_hash, last_seq, checked, seen_expected = GENESIS_HASH, None, 0, not expect_hash
    for row in _chain_rows(alias, chunk_size):
        seq, stored_prev, stored_hash = row[0], row[-2], row[-1]
        problem = None
        if stored_prev != prev_hash:
            problem = LINK_BROKEN
        elif row_hash(prev_hash, row) != stored_hash:
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
        if merkle_until is not None and seq <= merkle_until:
            tree.add(stored_hash)
        if anchor is not None and anchor.merkle_root and anchor.merkle_root != tree.root():
            return ChainReport(False, checked, last_seq, prev_hash, broken_at=seq, problem=CHECKPOINT_MERKLE % {
                "when": anchor.when, "seq": seq})
        prev_hash, last_seq, checked = stored_hash, seq, checked + 1
        if not seen_expected:
            seen_expected = stored_hash == expect_hash
    beyond = [anchor for anchor in anchors if last_seq is None or anchor.seq > last_seq]
    if beyond:
        anchor = min(beyond, key=lambda a: a.seq)
        return ChainReport(False, checked, last_seq, prev_hash,
                           problem=CHECKPOINT_EVENT_MISSING % {"when": anchor.when, "seq": anchor.seq})
    if not seen_expected:
        return ChainReport(False, checked, last_seq, prev_hash, problem=EXPECTED_HASH_MISSING % {"hash": expect_hash})
    return ChainReport(True, checked, last_seq, prev_hash)


def _chain_query(alias: str, after, limit: int):
    """The compiled values_list query of up to `limit` events after sequence number `after` (None: from the first)."""
    events = AuditEvent.objects.using(alias).order_by("pk")
    if after is not None:
        events = events.filter(pk__gt=after)
    return events.values_list(*_CHAIN_COLUMNS)[:limit].query.get_compiler(using=alias)


def _chain_rows(alias: str, chunk_size: int) -> Iterator[tuple]:
    """Every event as a tuple of _CHAIN_COLUMNS, in sequence order, as the database returns it (no converters).

    Keyset pagination (pk > the last one read, ORDER BY pk, LIMIT chunk_size): each chunk is one short
    indexed query, so memory holds one chunk whatever the log's length, with no server-side cursor
    (which a transaction-pooling proxy would not keep).
    """
    db = connections[alias]
    after = None
    while True:
        sql, params = _chain_query(alias, after, chunk_size).as_sql()
        with db.cursor() as cursor:
            _fast_timestamps(db, cursor)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        yield from rows
        if len(rows) < chunk_size:
            return
        after = rows[-1][0]


def _fast_timestamps(db, cursor) -> None:
    """On PostgreSQL in UTC, load `created` with psycopg's own (C) timestamptz loader.

    Django's loader (psycopg_any.register_tzloader) is Python: psycopg's, then replace(tzinfo=the
    connection's time zone). With the session and Django both in UTC the two give the same datetime,
    with datetime.timezone.utc, at a fraction of the cost.
    """
    if db.vendor != "postgresql" or db.timezone is not dt.UTC:
        return
    try:
        import psycopg
        from psycopg.pq import Format
    except ImportError:  # psycopg2: nothing to gain
        return
    raw = getattr(cursor, "cursor", None)
    if not isinstance(raw, psycopg.Cursor) or raw.connection.info.parameter_status("TimeZone") != "UTC":
        return
    oid = psycopg.postgres.types["timestamptz"].oid
    raw.adapters.register_loader(oid, psycopg.adapters.get_loader(oid, Format.TEXT))


# The canonical JSON of event_hash, by the same C encoder json.dumps uses, made once instead of per event.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
if c_make_encoder is not None:
    _canonical_chunks = c_make_encoder(None, _CANONICAL.default, encode_basestring, None, _CANONICAL.key_separator,
                                       _CANONICAL.item_separator, True, False, True)

    def _canonical(payload: dict) -> str:
        return "".join(_canonical_chunks(payload, 0))
else:  # pragma: no cover - CPython always has _json
    _canonical = _CANONICAL.encode


_JSON_SCAN = json.JSONDecoder().scan_once  # json.loads' own decoder: the same defaults


def _row_hasher(db):
    """hash(prev_hash, row) of a raw row of _chain_rows: event_hash(prev_hash, event_payload(event)).

    values_list would convert two columns on their way out of the database: `created` (SQLite: text
    to an aware datetime) and `details` (JSON text to Python). This does the same conversions, the
    common case inline and anything else through Django's own converters, and encodes the payload
    with the same canonical JSON: tests/audit/test_chain_fast.py checks that both give the same bytes.
    """
    compiler = _chain_query(db.alias, None, 1)
    compiler.setup_query()
    converters = compiler.get_converters([column for column, _sql, _alias in compiler.select])
    created_at, details_at = _CHAIN_COLUMNS.index("created"), _CHAIN_COLUMNS.index("details")
    details_field = AuditEvent._meta.get_field("details")
    created_converters, created_expression = converters.pop(created_at, ((), None))
    details_converters, details_expression = converters.pop(details_at, ((), None))
    if converters:  # a backend converting other columns too: Django's way, row by row
        return _generic_row_hasher(db, compiler)

    created_iso = _created_iso(db, list(created_converters), created_expression)
    if list(details_converters) == [details_field.from_db_value] and details_field.decoder is None:
        def details_value(raw, loads=json.loads, scan=_JSON_SCAN, not_json=json.JSONDecodeError):
            # JSONField.from_db_value: json.loads; None stays None, text that is not JSON stays text.
            if raw is None:
                return None
            if type(raw) is str and raw[:1] == "{":
                # What json.loads does for text with no whitespace around one object, minus its checks.
                try:
                    value, end = scan(raw, 0)
                except (not_json, StopIteration):
                    pass
                else:
                    if end == len(raw):
                        return value
            try:
                return loads(raw)
            except not_json:
                return raw
    else:
        def details_value(raw):
            for convert in details_converters:
                raw = convert(raw, details_expression, db)
            return raw

    def row_hash(prev_hash: str, row: tuple, canonical=_canonical, sha256=hashlib.sha256) -> str:
        body = canonical({
            "seq": row[0], "created": created_iso(row[1]), "actor": row[2], "actor_label": row[3],
            "actor_agency": row[4], "action": row[5], "region": row[6], "programme": row[7], "process": row[8],
            "task": row[9], "version": row[10], "details": details_value(row[11]),
        })
        return sha256(f"{prev_hash}\n{body}".encode()).hexdigest()

    return row_hash


def _created_iso(db, converters: list, expression):
    """created.isoformat() of the raw `created` column, as the ORM would convert it first."""

    def converted(raw):
        for convert in converters:
            raw = convert(raw, expression, db)
        return raw.isoformat()

    if not converters:  # PostgreSQL: already an aware datetime
        return lambda raw: raw.isoformat()
    if converters != [db.ops.convert_datetimefield_value] or db.vendor != "sqlite":
        return converted
    if settings.USE_TZ and db.timezone is not dt.UTC:
        return converted
    naive_suffix = "+00:00" if settings.USE_TZ else ""
    fromisoformat = dt.datetime.fromisoformat

    def sqlite_created_iso(raw, datetime=dt.datetime):
        # convert_datetimefield_value: parse_datetime unless the sqlite3 module's converter for the declared type
        # already did, then make_aware in UTC if naive (an aware value keeps its offset).
        if type(raw) is str:
            try:
                raw = fromisoformat(raw)  # parse_datetime tries this first
            except ValueError:
                return converted(raw)  # the forms only parse_datetime's own pattern reads
        if type(raw) is datetime:
            return raw.isoformat() + naive_suffix if raw.tzinfo is None else raw.isoformat()
        return converted(raw)  # None, or anything else: as the ORM (which fails on it) would

    return sqlite_created_iso


def _generic_row_hasher(db, compiler):
    converters = compiler.get_converters([column for column, _sql, _alias in compiler.select])

    def row_hash(prev_hash: str, row: tuple) -> str:
        values = list(row[:-2])
        for position, (position_converters, expression) in converters.items():
            for convert in position_converters:
                values[position] = convert(values[position], expression, db)
        return event_hash(prev_hash, _payload(*values))

    return row_hash


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
