"""chain_check's fast path (plain rows, its own conversions, one canonical encoder) hashes exactly as
event_hash(prev_hash, event_payload(event)) of the event the ORM loads, for every kind of field, for
rows tampered into odd forms, and whatever the chunk size."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from agreements.models import Region
from audit import merkle
from audit.models import AuditEvent
from audit.services import (
    CHECKPOINT_MERKLE,
    CONTENT_CHANGED,
    LINK_BROKEN,
    Anchor,
    _canonical,
    _chain_query,
    _chain_rows,
    _generic_row_hasher,
    _row_hasher,
    chain_check,
    event_hash,
    event_payload,
)

from .test_chain import past_the_triggers, sql

pytestmark = pytest.mark.django_db

UNICODE = "Ñoño Šúbroto — 日本語 😀 \"kutip\" \\ garis\nbaru\ttab \u2028 \x01 \u00e9"
DETAILS = [
    {},
    {"note": UNICODE, "n": 1, "big": 2**70, "neg": -5, "f": 0.1, "e": 1e-300, "t": True, "no": False, "z": None},
    {"nested": {"b": [1, {"y": [], "x": {}}, "dua"], "a": {"日本": "語", "": ""}}, "list": [[[]]], "Z": 1, "a": 2},
    {"old": {"title": "Perjanjian Kerja Sama", "end": "2027-01-31"}, "new": {"title": "PKS ✓", "end": None}},
]


def _append(**fields) -> AuditEvent:
    """One event chained after the last, its fields as given (the rest empty), stored as the ORM stores it."""
    last_seq, prev_hash = AuditEvent.objects.order_by("-pk").values_list("pk", "hash").first()
    event = AuditEvent(pk=last_seq + 1, prev_hash=prev_hash, **{
        "created": timezone.now(), "actor": None, "actor_label": "", "actor_agency": "", "action": "uji.jalur_cepat",
        "details": {}, **fields})
    event.details = json.loads(json.dumps(event.details))  # as event_record stores it
    event.created = event.created.astimezone(dt.UTC)  # as the database gives it back
    event.hash = event_hash(prev_hash, event_payload(event))
    event.save(force_insert=True)
    return event


@pytest.fixture
def varied(official):
    """Events with every kind of field: null and real actors, unicode, nested details, (no) microseconds."""
    kominfo, region = official("kota-banjar.kominfo"), Region.objects.order_by("pk").first()
    utc = dt.UTC
    made = [
        _append(created=dt.datetime(2026, 12, 8, 5, 51, 21, 123456, tzinfo=utc), details=DETAILS[1],
                actor_label=UNICODE, actor_agency="Dinas Kominfo Kota Banjar ✓"),
        _append(created=dt.datetime(2026, 12, 8, 5, 51, 21, tzinfo=utc), actor=kominfo, region=region,
                programme_id=7, process_id=2**40, task_id=0, version_id=-1, details=DETAILS[2]),
        _append(created=dt.datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=utc), details=DETAILS[3], actor_label="",
                action="pengguna.peran_diubah"),
        # An aware time in another zone: stored, and loaded, in UTC.
        _append(created=dt.datetime(2026, 3, 1, 7, 0, 0, 500000, tzinfo=dt.timezone(dt.timedelta(hours=7))),
                details=DETAILS[0]),
    ]
    for details in DETAILS:
        made.append(_append(details=details, actor=kominfo))
    return made


def orm_hash(seq: int) -> str:
    event = AuditEvent.objects.get(pk=seq)
    return event_hash(event.prev_hash, event_payload(event))


def assert_fast_path_agrees(chunk_size=3):
    """For every row of the chain: the fast hash equals the ORM's, and so does the generic converters' path."""
    row_hash = _row_hasher(connection)
    compiler = _chain_query(connection.alias, None, 1)
    compiler.setup_query()
    generic = _generic_row_hasher(connection, compiler)
    seqs = []
    for row in _chain_rows(connection.alias, chunk_size):
        expected = orm_hash(row[0])
        assert row_hash(row[-2], row) == expected, row
        assert generic(row[-2], row) == expected, row
        seqs.append(row[0])
    assert seqs == list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))


def test_the_fast_path_hashes_every_kind_of_field_as_event_hash_of_event_payload(varied):
    assert_fast_path_agrees()
    assert chain_check().intact
    for event in varied:
        assert orm_hash(event.pk) == event.hash


def test_the_canonical_encoder_writes_the_bytes_of_json_dumps():
    payloads = [
        {"seq": 1, "created": "2026-12-08T05:51:21.123456+00:00", "actor": None, "details": DETAILS[2]},
        {"details": {"d": Decimal("1.50"), "when": dt.date(2024, 3, 5), "nan": float("nan"), "inf": float("inf")}},
        {"a": UNICODE, "b": [UNICODE, {"c": UNICODE}], "x": 2**64, "y": -0.0, "z": 1.5e300},
    ]
    for payload in payloads:
        expected = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
        assert _canonical(payload) == expected


def test_rows_tampered_into_odd_forms_hash_as_the_orm_loads_them(varied):
    """Whatever someone writes into a row, the fast path reads it as values_list would."""
    target = varied[0].pk
    if connection.vendor == "sqlite":
        edits = [
            ("created", "2026-12-08T12:51:21.123456+07:00"),  # an offset: kept, not made UTC
            ("created", "2026-12-08 05:51:21.000000"),  # microseconds written out
            ("created", "2026-12-08 05:51:21.5"),
            ("created", "2026-12-08T05:51:21"),
            ("details", "bukan json"),  # not JSON: the ORM gives the text itself
            ("details", ' {"a": 1} '),
            ("details", '{"a": 1} sisa'),
            ("details", '{"a": 1'),
            ("details", "[1, 2]"),
            ("details", "null"),
            ("details", '"teks"'),
            ("details", '{"a": NaN, "b": 1.0, "b": 2}'),
            ("actor_label", 42),  # SQLite keeps any type in any column
            ("programme_id", "tujuh"),
            ("action", 1.5),
        ]
    else:
        edits = [
            ("created", "2026-12-08 12:51:21.123456+07"),
            ("created", "2026-12-08 05:51:21+00"),
            ("details", "[1, 2]"),
            ("details", "null"),
            ("details", '"teks"'),
            ("details", '{"b": 1.0, "a": [1e2, 0.10], "b": 2}'),
            ("actor_label", ""),
        ]
    if connection.vendor == "sqlite":
        sql("PRAGMA ignore_check_constraints = ON")  # details' JSON_VALID check: past it, as a forger would
    try:
        for column, value in edits:
            with past_the_triggers():
                sql(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", value, target)
                assert_fast_path_agrees()
                report = chain_check()
                changed = orm_hash(target) != varied[0].hash
                assert report.intact is not changed, (column, value)
                if changed:
                    assert report.problem == CONTENT_CHANGED % {"seq": target}
    finally:
        if connection.vendor == "sqlite":
            sql("PRAGMA ignore_check_constraints = OFF")


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 5000])
def test_any_chunk_size_reads_every_event_once_and_finds_breaks_at_chunk_edges(varied, chunk_size):
    total = AuditEvent.objects.count()
    report = chain_check(chunk_size=chunk_size)
    assert (report.intact, report.checked, report.last_seq) == (True, total, varied[-1].pk)
    for target in varied[1:4]:
        with past_the_triggers():
            sql("DELETE FROM audit_auditevent WHERE id = %s", target.pk)
            report = chain_check(chunk_size=chunk_size)
            assert (report.broken_at, report.problem) == (target.pk + 1, LINK_BROKEN % {"seq": target.pk + 1})
            assert report.last_seq == target.pk - 1


def test_a_chunk_size_below_one_is_refused(varied):
    with pytest.raises(ValueError, match="chunk_size"):
        chain_check(chunk_size=0)


def test_the_merkle_root_is_checked_at_every_anchor_that_carries_one(varied):
    hashes = list(AuditEvent.objects.order_by("pk").values_list("hash", flat=True))
    seqs = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))

    def anchor(index, root=None):
        return Anchor(seqs[index], hashes[index], index + 1, "uji",
                      merkle.root_of(hashes[: index + 1])[0] if root is None else root)

    early, late = len(seqs) - 6, len(seqs) - 2
    assert chain_check(anchors=[anchor(early), anchor(late)]).intact
    assert chain_check(anchors=[anchor(early), anchor(late, root="")]).intact  # a checkpoint without a root
    wrong = anchor(early, root="ab" * 32)
    for anchors in ([wrong], [wrong, anchor(late, root="")], [wrong, anchor(late)]):
        report = chain_check(anchors=anchors)
        assert (report.intact, report.broken_at) == (False, seqs[early])
        assert report.problem == CHECKPOINT_MERKLE % {"when": "uji", "seq": seqs[early]}
    report = chain_check(anchors=[anchor(early), anchor(late, root="cd" * 32)])
    assert (report.broken_at, report.checked) == (seqs[late], late)
