#!/usr/bin/env python3
"""Periksa bundel audit Sepakat tanpa server / Check a Sepakat audit bundle without the server.

Needs only Python 3.11 and pyHanko (pip install pyhanko==0.38.0). Run it inside the
unzipped bundle folder (or give the folder as the argument):

    python verify_bundle.py [folder] --root-sha256 FINGERPRINT   (or --trust root.pem)

FINGERPRINT is the SHA-256 of Sepakat's root certificate as published outside the bundle: a
bundle is only as good as the root it is checked against, and anyone can make a bundle that is
consistent with a root of their own. Without it the best answer is exit code 2.

It checks:
  0. the trust root against the one given from outside, and manifest.json.p7s: the system seal's
     signature over the manifest's exact bytes, with a valid RFC 3161 timestamp;
  1. every file's SHA-256 and size against manifest.json;
  2. the event chain: each event's hash is recomputed from its content and the hash of the
     event before it, exactly as Sepakat computes it; consecutive events must link; the events
     must be the ones the manifest lists; events.csv must match events.json;
  3. every stored PDF revision against the SHA-256 the database recorded, and each revision's
     parent hash against the revision before it;
     every signature of every signed PDF with pyHanko against the trust root, validated at the
     time of its timestamp: intact, cryptographically valid, trusted, timestamped, its
     certificate the one the manifest lists, and nothing changed after it but form filling;
  4. each initialled file against the decisions and events naming it;
  5. the checkpoints (sealed, timestamped) and each event's Merkle inclusion proof (RFC 9162)
     against the checkpoint the bundle was sealed at, so no event is left unproven where
     sequence numbers jump (the bundle holds one programme's events, not the whole log);
  6. the stage chain: the regulation names the MoU's final PDF, the masterplan the regulation's.

Exit code 0: all good. 1: something is wrong; the reasons are printed. 2: everything matches
the root inside the bundle, but that root was not confirmed from outside.

This file is shipped in every bundle as verify_bundle.py; it imports nothing from Sepakat.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import sys
from collections import Counter
from io import BytesIO
from pathlib import Path

GENESIS_HASH = "0" * 64
MANIFEST = "manifest.json"
EVENTS_JSON = "events.json"
EVENTS_CSV = "events.csv"
TRUST_ROOT = "trust-root.pem"
SIGNATURE = "manifest.json.p7s"
CHECKPOINTS = "checkpoints.json"
PROOFS = "proofs.json"
SEAL_NAME = "Sepakat Segel Sistem"
STAGE_ORDER = ("mou", "regulation", "masterplan")
IGNORED_DIRECTORIES = {"__pycache__"}


# --------------------------------------------------------------------------------------------------------------
# The event hash: the same computation as audit.services.event_hash and audit.services.event_payload.
# (tests/audit/test_bundle.py checks that both give the same hash for real events.)


def event_hash(prev_hash: str, payload: dict) -> str:
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def event_payload(row: dict) -> dict:
    """The hashed content of an exported event (keys as in events.json): every column but the two hashes."""
    return {
        "seq": row["sequence"],
        "created": row["created"],
        "actor": row["actor"],
        "actor_label": row["actor_label"],
        "actor_agency": row["actor_agency"],
        "action": row["action"],
        "region": row["region"],
        "programme": row["programme"],
        "process": row["process"],
        "task": row["task"],
        "version": row["version"],
        "details": row["details"],
    }


# --------------------------------------------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.problems: list[str] = []
        self.passed: list[str] = []

    def problem(self, indonesian: str, english: str) -> None:
        self.problems.append(f"{indonesian} / {english}")
        print(f"  MASALAH / PROBLEM: {indonesian} / {english}")

    def ok(self, indonesian: str, english: str) -> None:
        self.passed.append(english)
        print(f"  OK: {indonesian} / {english}")


def sha256_of(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def inside(folder: Path, relative: str) -> Path | None:
    """The file a manifest path names, or None if the path leaves the folder."""
    path = (folder / relative).resolve()
    try:
        path.relative_to(folder.resolve())
    except ValueError:
        return None
    return path


def check_files(folder: Path, manifest: dict, report: Report) -> dict[str, str]:
    """Every listed file against its SHA-256 and size; returns {path: actual sha256} of the files present."""
    print("[1] Berkas / Files")
    actual: dict[str, str] = {}
    listed = set()
    bad = 0
    for entry in manifest.get("files", []):
        relative = entry.get("path", "")
        listed.add(relative)
        path = inside(folder, relative)
        if path is None:
            report.problem(f"{relative}: jalur di luar folder bundel", f"{relative}: path outside the bundle folder")
            bad += 1
            continue
        if not path.is_file():
            report.problem(f"{relative}: berkas tidak ada", f"{relative}: file is missing")
            bad += 1
            continue
        digest, size = sha256_of(path)
        actual[relative] = digest
        if digest != entry.get("sha256") or size != entry.get("size"):
            report.problem(f"{relative}: SHA-256 atau ukuran tidak cocok dengan manifest",
                           f"{relative}: SHA-256 or size does not match the manifest")
            bad += 1
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or IGNORED_DIRECTORIES & set(path.relative_to(folder).parts):
            continue
        relative = path.relative_to(folder).as_posix()
        if relative not in (MANIFEST, SIGNATURE) and relative not in listed:
            report.problem(f"{relative}: berkas tidak tercantum di manifest", f"{relative}: file not in the manifest")
            bad += 1
    if not bad:
        report.ok(f"{len(listed)} berkas cocok dengan manifest", f"{len(listed)} files match the manifest")
    return actual


def _event_number(row) -> str:
    return str(row.get("sequence")) if isinstance(row, dict) else "?"


def check_events(folder: Path, manifest: dict, report: Report) -> None:
    print("[2] Rantai peristiwa / Event chain")
    try:
        rows = json.loads((folder / EVENTS_JSON).read_text(encoding="utf-8"))
        if not isinstance(rows, list):
            raise ValueError("not a list")
    except (OSError, ValueError) as error:
        report.problem(f"{EVENTS_JSON} tidak dapat dibaca ({error})", f"{EVENTS_JSON} cannot be read ({error})")
        return
    bad = 0
    previous = None
    seen: dict[int, dict] = {}
    for row in rows:
        number = _event_number(row)
        try:
            sequence = int(row["sequence"])
            computed = event_hash(row["prev_hash"], event_payload(row))
        except (KeyError, TypeError, ValueError):
            report.problem(f"peristiwa #{number}: kolom tidak lengkap", f"event #{number}: fields are missing")
            bad += 1
            continue
        if computed != row["hash"]:
            report.problem(f"peristiwa #{sequence}: isi tidak cocok dengan hash-nya (diubah)",
                           f"event #{sequence}: content does not match its hash (altered)")
            bad += 1
        if sequence in seen:
            report.problem(f"peristiwa #{sequence} muncul dua kali", f"event #{sequence} appears twice")
            bad += 1
        if previous is not None:
            if sequence <= previous["sequence"]:
                report.problem(f"peristiwa #{sequence}: urutan salah", f"event #{sequence}: out of order")
                bad += 1
            elif sequence == previous["sequence"] + 1 and row["prev_hash"] != previous["hash"]:
                report.problem(f"peristiwa #{sequence}: prev_hash tidak sama dengan hash peristiwa #{sequence - 1}",
                               f"event #{sequence}: prev_hash does not match the hash of event #{sequence - 1}")
                bad += 1
        if sequence == 1 and row["prev_hash"] != GENESIS_HASH:
            report.problem("peristiwa #1: prev_hash bukan hash awal", "event #1: prev_hash is not the genesis hash")
            bad += 1
        seen[sequence] = row
        previous = {"sequence": sequence, "hash": row["hash"]}

    listed = {}
    for entry in manifest.get("events", {}).get("chain", []):
        listed[int(entry["sequence"])] = entry
    for sequence, entry in sorted(listed.items()):
        row = seen.get(sequence)
        if row is None:
            report.problem(f"peristiwa #{sequence} tercantum di manifest tetapi tidak ada di {EVENTS_JSON} (dihapus)",
                           f"event #{sequence} is listed in the manifest but missing from {EVENTS_JSON} (deleted)")
            bad += 1
        elif row.get("hash") != entry.get("hash") or row.get("prev_hash") != entry.get("prev_hash"):
            report.problem(f"peristiwa #{sequence}: hash berbeda dengan manifest",
                           f"event #{sequence}: hashes differ from the manifest")
            bad += 1
    for sequence in sorted(set(seen) - set(listed)):
        report.problem(f"peristiwa #{sequence} tidak tercantum di manifest (ditambahkan)",
                       f"event #{sequence} is not listed in the manifest (added)")
        bad += 1
    bad += _check_csv(folder, seen, report)
    if not bad:
        report.ok(f"{len(rows)} peristiwa: hash dihitung ulang dan cocok, rantai utuh",
                  f"{len(rows)} events: hashes recomputed and matching, chain intact")


def _check_csv(folder: Path, events: dict[int, dict], report: Report) -> int:
    try:
        with (folder / EVENTS_CSV).open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, ValueError, csv.Error) as error:
        report.problem(f"{EVENTS_CSV} tidak dapat dibaca ({error})", f"{EVENTS_CSV} cannot be read ({error})")
        return 1
    bad = 0
    in_csv = set()
    for row in rows:
        number = row.get("sequence", "?")
        try:
            sequence = int(number)
        except (TypeError, ValueError):
            report.problem(f"{EVENTS_CSV}: nomor peristiwa tidak sah ({number})",
                           f"{EVENTS_CSV}: invalid event number ({number})")
            bad += 1
            continue
        in_csv.add(sequence)
        event = events.get(sequence)
        if event is None or (row.get("hash"), row.get("prev_hash"), row.get("action")) != (
            event.get("hash"), event.get("prev_hash"), event.get("action")
        ):
            report.problem(f"{EVENTS_CSV}: peristiwa #{sequence} tidak sama dengan {EVENTS_JSON}",
                           f"{EVENTS_CSV}: event #{sequence} differs from {EVENTS_JSON}")
            bad += 1
    for sequence in sorted(set(events) - in_csv):
        report.problem(f"{EVENTS_CSV}: peristiwa #{sequence} tidak ada", f"{EVENTS_CSV}: event #{sequence} is missing")
        bad += 1
    return bad


def _extends(folder: Path, parent_relative: str, relative: str) -> bool:
    parent, child = inside(folder, parent_relative), inside(folder, relative)
    if parent is None or child is None or not parent.is_file() or not child.is_file():
        return True  # a missing file is reported in [1]
    head = parent.read_bytes()
    with child.open("rb") as handle:
        return handle.read(len(head)) == head


def check_documents(folder: Path, manifest: dict, actual: dict[str, str], report: Report, roots) -> None:
    print("[3] Revisi PDF dan tanda tangan / PDF revisions and signatures")
    entries = manifest.get("documents", [])
    bad = 0
    expected_by_revision = {(e.get("identifier"), e.get("version"), e.get("revision")): e for e in entries}
    # Each version's newest final revision holds every earlier revision byte for byte (checked link by link
    # below): its signatures are checked there, where the newest archive timestamp vouches for them.
    newest_final: dict[tuple, int] = {}
    for e in entries:
        if e.get("is_final"):
            key = (e.get("identifier"), e.get("version"))
            newest_final[key] = max(newest_final.get(key, -1), e.get("revision") or 0)
    signed = covered = 0
    for entry in entries:
        relative = entry.get("path", "")
        digest = actual.get(relative)
        if digest is None:
            continue  # already reported as missing
        if digest != entry.get("expected_sha256"):
            report.problem(f"{relative}: SHA-256 tidak cocok dengan yang dicatat basis data Sepakat",
                           f"{relative}: SHA-256 does not match the one Sepakat's database recorded")
            bad += 1
        revision = entry.get("revision", 0)
        if revision:
            parent = expected_by_revision.get((entry.get("identifier"), entry.get("version"), revision - 1))
            if parent is None or parent.get("expected_sha256") != entry.get("parent_sha256"):
                report.problem(f"{relative}: revisi sebelumnya tidak cocok dengan parent_sha256",
                               f"{relative}: the revision before does not match parent_sha256")
                bad += 1
            elif not _extends(folder, parent.get("path", ""), relative):
                # Every revision is an incremental update of the one before: a signature, an archive timestamp.
                report.problem(f"{relative}: bukan pembaruan inkremental dari revisi sebelumnya",
                               f"{relative}: not an incremental update of the revision before")
                bad += 1
        expected = int(entry.get("signatures") or 0)
        if expected == 0 and not entry.get("is_final"):
            continue
        if revision < newest_final.get((entry.get("identifier"), entry.get("version")), -1):
            covered += 1
            continue
        if roots is None:
            return
        path = inside(folder, relative)
        certificates = [
            signature.get("certificate_sha256")
            for e in sorted((e for e in entries if e.get("identifier") == entry.get("identifier")
                             and e.get("version") == entry.get("version")
                             and (e.get("revision") or 0) <= revision), key=lambda e: e.get("revision") or 0)
            for signature in e.get("signed_here") or []
        ]
        count, problems = check_signatures(path.read_bytes(), roots, certificates)
        if count != expected:
            problems.append((f"{count} tanda tangan, seharusnya {expected}",
                             f"{count} signatures, expected {expected}"))
        for indonesian, english in problems:
            report.problem(f"{relative}: {indonesian}", f"{relative}: {english}")
            bad += 1
        signed += 1
    if not bad:
        report.ok(f"{len(entries)} revisi PDF cocok; {signed} PDF bertanda tangan sah dan tepercaya; {covered} revisi "
                  "sebelumnya termuat utuh di dalamnya",
                  f"{len(entries)} PDF revisions match; {signed} signed PDFs valid and trusted; {covered} earlier "
                  "revisions contained whole in them")


def check_paraf(folder: Path, manifest: dict, actual: dict[str, str], report: Report) -> None:
    """Each file a paraf was on: its bytes match the hash the decisions and their events name."""
    print("[4] Berkas yang diparaf / Initialled files")
    entries = manifest.get("paraf", [])
    try:
        rows = json.loads((folder / EVENTS_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        rows = []  # reported by [2]
    finished = Counter(
        (row.get("details") or {}).get("document_sha256") for row in rows
        if isinstance(row, dict) and row.get("action") == "task.finished"
    )
    bad = 0
    for entry in entries:
        relative, expected = entry.get("path", ""), entry.get("expected_sha256")
        digest = actual.get(relative)
        if digest is not None and digest != expected:
            report.problem(f"{relative}: SHA-256 tidak cocok dengan yang dicatat pada paraf",
                           f"{relative}: SHA-256 does not match the one the paraf recorded")
            bad += 1
        decisions = entry.get("decisions", [])
        if finished[expected] != len(decisions):
            report.problem(f"{relative}: {len(decisions)} keputusan atas berkas ini, {finished[expected]} peristiwa",
                           f"{relative}: {len(decisions)} decisions on this file, {finished[expected]} events")
            bad += 1
    if not bad:
        count = sum(len(e.get("decisions", [])) for e in entries)
        report.ok(f"{len(entries)} berkas yang diparaf cocok dengan {count} keputusan dan peristiwanya",
                  f"{len(entries)} initialled files match their {count} decisions and events")


def _load_roots(folder: Path, report: Report):
    try:
        from pyhanko.keys import load_certs_from_pemder
    except ImportError:
        report.problem("pyHanko tidak terpasang (pip install pyhanko==0.38.0); tanda tangan tidak diperiksa",
                       "pyHanko is not installed (pip install pyhanko==0.38.0); signatures not checked")
        return None
    try:
        roots = list(load_certs_from_pemder([str(folder / TRUST_ROOT)]))
        if not roots:
            raise ValueError("no certificate")
    except Exception as error:  # noqa: BLE001 - any unreadable root is reported, not raised
        report.problem(f"{TRUST_ROOT} tidak dapat dibaca ({error})", f"{TRUST_ROOT} cannot be read ({error})")
        return None
    print(f"  {TRUST_ROOT} SHA-256: {', '.join(root.sha256.hex() for root in roots)}")
    return roots


def _context(roots, moment):
    from pyhanko_certvalidator import ValidationContext

    # Offline: no fetching (revocation is what Sepakat's record says; the DSS travels inside the PDF).
    return ValidationContext(trust_roots=list(roots), moment=moment, allow_fetching=False, revocation_mode="soft-fail")


def _validate(embedded, roots, moment=None, timestamp_moment=None):
    from pyhanko.sign.validation import validate_pdf_signature

    context = _context(roots, moment)
    ts_context = context if timestamp_moment is None else _context(roots, timestamp_moment)
    return validate_pdf_signature(embedded, signer_validation_context=context, ts_validation_context=ts_context)


def _covered_end(embedded) -> int:
    try:
        _start, _first, second_start, second = (int(v) for v in embedded.byte_range)
    except Exception:  # noqa: BLE001
        return 0
    return second_start + second


def check_archive_timestamps(reader, roots) -> tuple[list[tuple[int, object]], list[tuple[str, str]]]:
    """PAdES B-LTA: ([(bytes covered, time)] of the trusted archive timestamps, problems). The last is judged
    now, each earlier one at the time of the one after it (it proves the earlier existed then). Each must match
    its bytes and cover its whole revision with nothing but validation data after it, and cover more than
    the one before it, and not be older: a copied or back-dated timestamp breaks the chain."""
    from datetime import UTC, datetime, timedelta

    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_timestamp
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    whole = (SignatureCoverageLevel.ENTIRE_REVISION, SignatureCoverageLevel.ENTIRE_FILE)
    now = datetime.now(UTC)
    problems: list[tuple[str, str]] = []
    facts = []
    for stamp in reader.embedded_timestamp_signatures:
        name = str(stamp.field_name)
        try:
            status = validate_pdf_timestamp(stamp, validation_context=_context(roots, now))
            level = status.modification_level
            intact = bool(status.intact and status.valid and status.coverage in whole and level is not None
                          and level <= ModificationLevel.LTA_UPDATES)
            facts.append([stamp, name, intact, status.timestamp, _covered_end(stamp), status])
        except Exception as error:  # noqa: BLE001
            problems.append((f"cap waktu arsip {name}: tidak dapat diperiksa ({error})",
                             f"archive timestamp {name}: cannot be checked ({error})"))
            facts.append([stamp, name, False, None, _covered_end(stamp), None])
    for before, after in zip(facts, facts[1:], strict=False):
        if after[4] <= before[4] or (before[3] and after[3] and after[3] < before[3]):
            after[2] = False
    for fact in facts:
        if not fact[2] and fact[5] is not None:
            problems.append((f"cap waktu arsip {fact[1]}: tidak utuh", f"archive timestamp {fact[1]}: not intact"))
    trusted: list[tuple[int, object]] = []
    judge_at = now
    for stamp, name, intact, when, end, status in reversed(facts):
        if not intact or when is None or when > judge_at + timedelta(minutes=5):
            break
        if judge_at is not now:
            status = validate_pdf_timestamp(stamp, validation_context=_context(roots, judge_at))
        if not status.trusted:
            print(f"  cap waktu arsip / archive timestamp {name}: {when} — BERAKHIR / LAPSED")
            break
        print(f"  cap waktu arsip / archive timestamp {name}: {when} — sah / valid")
        trusted.append((end, when))
        judge_at = when
    return sorted(trusted, key=lambda item: item[0]), problems


def check_signatures(data: bytes, roots, certificates: list | None = None) -> tuple[int, list[tuple[str, str]]]:
    """(number of signatures, problems) for one PDF; ``certificates``: the SHA-256 the manifest lists per signature."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except Exception:  # noqa: BLE001 - not a PDF, truncated, ...
        return 0, [("bukan PDF yang dapat dibaca", "not a readable PDF")]
    if not embedded:
        return 0, [("tidak ada tanda tangan elektronik", "no electronic signature")]
    archives, problems = check_archive_timestamps(reader, roots)
    for position, signature in enumerate(embedded, start=1):
        try:
            name = str(signature.field_name)
        except Exception:  # noqa: BLE001
            name = str(position)
        label = f"tanda tangan {name}", f"signature {name}"
        try:
            status = _validate(signature, roots)
            stamp = status.timestamp_validity
            if stamp is not None and stamp.intact and stamp.valid and not (status.trusted and stamp.trusted):
                # Judged at the time the TSA vouched for: the certificate may have expired since. The TSA's
                # own certificate is judged now, or once it has expired too, at the earliest trusted archive
                # timestamp covering the signature.
                end = _covered_end(signature)
                vouched = None if stamp.trusted else next((when for covered, when in archives if covered >= end),
                                                          None)
                if stamp.trusted or vouched is not None:
                    status = _validate(signature, roots, moment=stamp.timestamp, timestamp_moment=vouched)
        except Exception as error:  # noqa: BLE001 - malformed signatures raise many kinds of errors
            problems.append((f"{label[0]}: tidak dapat diperiksa ({error})",
                             f"{label[1]}: cannot be checked ({error})"))
            continue
        if not status.intact:
            problems.append((f"{label[0]}: bagian yang ditandatangani telah diubah (tidak utuh)",
                             f"{label[1]}: the signed content was altered (not intact)"))
        elif not status.valid:
            problems.append((f"{label[0]}: tidak sah secara kriptografis", f"{label[1]}: cryptographically invalid"))
        if not status.trusted:
            problems.append((f"{label[0]}: sertifikat tidak berantai ke {TRUST_ROOT}",
                             f"{label[1]}: certificate does not chain to {TRUST_ROOT}"))
        stamp = status.timestamp_validity
        if stamp is None:
            problems.append((f"{label[0]}: tanpa cap waktu", f"{label[1]}: no timestamp"))
        elif not (stamp.intact and stamp.valid and stamp.trusted):
            problems.append((f"{label[0]}: cap waktu tidak sah atau tidak tepercaya",
                             f"{label[1]}: timestamp invalid or untrusted"))
        if certificates is not None:
            want = certificates[position - 1] if position <= len(certificates) else None
            if status.signing_cert is None or status.signing_cert.sha256.hex() != want:
                problems.append((f"{label[0]}: sertifikat bukan yang tercantum di manifest",
                                 f"{label[1]}: the certificate is not the one the manifest lists"))
        if status.coverage not in (SignatureCoverageLevel.ENTIRE_REVISION, SignatureCoverageLevel.ENTIRE_FILE):
            problems.append((f"{label[0]}: tidak mencakup seluruh revisinya",
                             f"{label[1]}: does not cover its whole revision"))
        level = status.modification_level
        if level is None:
            problems.append((f"{label[0]}: perubahan setelah tanda tangan tidak dapat dinilai",
                             f"{label[1]}: changes after the signature cannot be assessed"))
        elif level > ModificationLevel.FORM_FILLING or status.docmdp_ok is False:
            problems.append((f"{label[0]}: dokumen diubah setelah ditandatangani ({level.name})",
                             f"{label[1]}: document modified after signing ({level.name})"))
    return len(embedded), problems


# --------------------------------------------------------------------------------------------------------------
# The Merkle tree of RFC 9162, as audit.merkle (tests/audit/test_bundle.py checks both agree).


def _leaf(event_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(event_hash)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(*, index: int, size: int, event_hash: str, proof: list, root: str) -> bool:
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, _leaf(event_hash)
    for hex_value in proof:
        p = bytes.fromhex(hex_value)
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r.hex() == root


# --------------------------------------------------------------------------------------------------------------


def trust_roots(folder: Path, trust: str, root_sha256: str, report: Report):
    """(roots, confirmed): the roots to check against, and whether they were confirmed from outside the bundle."""
    print("[0] Akar tepercaya dan tanda tangan manifest / Trust root and manifest signature")
    bundled = _load_roots(folder, report)
    if trust:
        try:
            from pyhanko.keys import load_certs_from_pemder

            roots = list(load_certs_from_pemder([trust]))
        except Exception as error:  # noqa: BLE001
            report.problem(f"{trust} tidak dapat dibaca ({error})", f"{trust} cannot be read ({error})")
            return None, False
        if bundled and {r.sha256 for r in roots} != {r.sha256 for r in bundled}:
            report.problem(f"{TRUST_ROOT} bukan akar yang diberikan", f"{TRUST_ROOT} is not the root given")
        return roots, True
    if bundled is None:
        return None, False
    if root_sha256:
        # After a CA rollover Sepakat publishes every CA it made: give their fingerprints, comma-separated.
        want = {part.replace(":", "").strip().lower() for part in root_sha256.split(",") if part.strip()}
        found = {root.sha256.hex() for root in bundled}
        if found != want:
            shown = ", ".join(sorted(found))
            report.problem(f"sidik jari {TRUST_ROOT} ({shown}) bukan akar yang diterbitkan ({', '.join(sorted(want))})",
                           f"the fingerprint of {TRUST_ROOT} ({shown}) is not the published "
                           f"root's ({', '.join(sorted(want))})")
            return bundled, False
        return bundled, True
    print(f"  PERHATIAN / NOTE: akar tidak dikonfirmasi dari luar bundel (--root-sha256) / root not confirmed "
          f"from outside the bundle: {bundled[0].sha256.hex()}")
    return bundled, False


def _cms_status(data: bytes, signature: bytes, roots):
    import asyncio

    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    signed = cms.ContentInfo.load(signature)["content"]
    context = ValidationContext(trust_roots=list(roots), allow_fetching=False, revocation_mode="soft-fail")
    status = asyncio.run(async_validate_detached_cms(data, signed, signer_validation_context=context,
                                                     ts_validation_context=context))
    stamp = status.timestamp_validity
    if stamp is not None and stamp.intact and stamp.valid and stamp.trusted and not status.trusted:
        # The seal's certificate may have expired since: judge it at the time the TSA vouched for.
        context = ValidationContext(trust_roots=list(roots), moment=stamp.timestamp, allow_fetching=False,
                                    revocation_mode="soft-fail")
        status = asyncio.run(async_validate_detached_cms(data, signed, signer_validation_context=context,
                                                         ts_validation_context=context))
    return status


LAPSED = ("segel dan cap waktunya sudah berakhir", "its seal and timestamp certificates have ended")


def _ended(status) -> bool:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    stamp = status.timestamp_validity
    certificates = [status.signing_cert, stamp.signing_cert if stamp is not None else None]
    return any(c is not None and c.not_valid_after < now for c in certificates)


def seal_problem(data: bytes, signature: bytes, roots, seals: set[str]) -> tuple[str, str] | None:
    """Why ``signature`` is not the system seal's timestamped signature over ``data``, or None. ``LAPSED`` for
    the seal's own signature whose certificates have ended since (a later checkpoint may cover it)."""
    try:
        status = _cms_status(data, signature, roots)
    except Exception as error:  # noqa: BLE001 - garbage raises many kinds of errors
        return f"tanda tangan tidak dapat diperiksa ({error})", f"signature cannot be checked ({error})"
    if not (status.intact and status.valid):
        return "tanda tangan tidak sah (isi diubah)", "signature invalid (content altered)"
    stamp = status.timestamp_validity
    lapsed = not (status.trusted and stamp is not None and stamp.trusted) and _ended(status)
    if lapsed and status.signing_cert is not None and status.signing_cert.sha256.hex() in seals:
        return LAPSED
    if not status.trusted:
        return "penanda tangan tidak berantai ke akar tepercaya", "signer does not chain to the trust root"
    stamp = status.timestamp_validity
    if stamp is None or not (stamp.intact and stamp.valid and stamp.trusted):
        return "tidak ada cap waktu yang sah", "no valid timestamp"
    cert = status.signing_cert
    if cert.subject.native.get("common_name") != SEAL_NAME or cert.sha256.hex() not in seals:
        return "bukan segel sistem Sepakat", "not Sepakat's system seal"
    return None


def check_manifest_signature(folder: Path, manifest: dict, roots, report: Report) -> None:
    seals = set(manifest.get("seal_sha256_fingerprints") or [])
    try:
        data = (folder / MANIFEST).read_bytes()
        signature = (folder / SIGNATURE).read_bytes()
    except OSError:
        report.problem(f"{SIGNATURE} tidak ada: manifest tidak ditandatangani",
                       f"{SIGNATURE} is missing: the manifest is not signed")
        return
    problem = seal_problem(data, signature, roots, seals)
    if problem:
        report.problem(f"{SIGNATURE}: {problem[0]}", f"{SIGNATURE}: {problem[1]}")
    else:
        report.ok("manifest ditandatangani segel sistem, bercap waktu",
                  "the manifest is signed by the system seal, timestamped")


def check_checkpoints(folder: Path, manifest: dict, roots, report: Report) -> None:
    print("[5] Titik periksa dan bukti inklusi / Checkpoints and inclusion proofs")
    seals = set(manifest.get("seal_sha256_fingerprints") or [])
    bad = 0
    try:
        checkpoints = json.loads((folder / CHECKPOINTS).read_text(encoding="utf-8"))["checkpoints"]
        proofs = json.loads((folder / PROOFS).read_text(encoding="utf-8"))
        rows = json.loads((folder / EVENTS_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as error:
        report.problem(f"titik periksa atau bukti tidak dapat dibaca ({error})",
                       f"checkpoints or proofs cannot be read ({error})")
        return
    verified, lapsed = {}, []
    for checkpoint in checkpoints:
        seq = checkpoint.get("seq")
        try:
            payload = json.loads(checkpoint["payload"])
            same = all(payload.get(k) == checkpoint.get(k) for k in ("seq", "head_hash", "count", "merkle_root"))
            problem = None if same else ("isi tidak sesuai dengan kolomnya", "payload differs from its fields")
            problem = problem or seal_problem(checkpoint["payload"].encode(), base64.b64decode(checkpoint["signature"]),
                                              roots, seals)
        except (KeyError, TypeError, ValueError) as error:
            problem = (f"tidak dapat dibaca ({error})", f"cannot be read ({error})")
        if problem == LAPSED:
            lapsed.append(seq)
        elif problem:
            report.problem(f"titik periksa #{seq}: {problem[0]}", f"checkpoint #{seq}: {problem[1]}")
            bad += 1
        else:
            verified[int(seq)] = checkpoint
    for seq in lapsed:
        # Its Merkle root is no longer proof of its time by itself; a later checkpoint that holds commits to
        # every event before it.
        if verified and int(seq) < max(verified):
            print(f"  titik periksa #{seq}: {LAPSED[0]}, dicakup titik periksa #{max(verified)} / checkpoint "
                  f"#{seq}: {LAPSED[1]}, covered by checkpoint #{max(verified)}")
        else:
            report.problem(f"titik periksa #{seq}: {LAPSED[0]}", f"checkpoint #{seq}: {LAPSED[1]}")
            bad += 1
    events = {int(row["sequence"]): row for row in rows if isinstance(row, dict) and "sequence" in row}
    for seq, checkpoint in verified.items():
        row = events.get(seq)
        if row is not None and row.get("hash") != checkpoint["head_hash"]:
            report.problem(f"peristiwa #{seq} tidak cocok dengan titik periksanya",
                           f"event #{seq} does not match its checkpoint")
            bad += 1
    sealed = manifest.get("checkpoint") or {}
    anchor = verified.get(int(sealed.get("seq") or 0))
    if anchor is None or anchor.get("merkle_root") != sealed.get("merkle_root"):
        report.problem("bundel tidak disegel pada titik periksa yang sah",
                       "the bundle is not sealed at a valid checkpoint")
        return
    if proofs.get("checkpoint_seq") != anchor["seq"] or proofs.get("merkle_root") != anchor["merkle_root"]:
        report.problem(f"{PROOFS} bukan untuk titik periksa #{anchor['seq']}", f"{PROOFS} is not for checkpoint "
                       f"#{anchor['seq']}")
        return
    size = int(anchor["count"])
    for seq, row in sorted(events.items()):
        proof = (proofs.get("proofs") or {}).get(str(seq))
        try:
            computed = event_hash(row["prev_hash"], event_payload(row))
            ok = proof is not None and verify_inclusion(index=int(proof["index"]), size=size, event_hash=computed,
                                                        proof=list(proof["path"]), root=anchor["merkle_root"])
            ok = ok and int(proof["index"]) == seq - 1
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            report.problem(f"peristiwa #{seq} tidak terbukti termasuk dalam log pada titik periksa #{anchor['seq']}",
                           f"event #{seq} is not proven to be in the log at checkpoint #{anchor['seq']}")
            bad += 1
    if not bad:
        report.ok(f"{len(verified)} titik periksa sah; {len(events)} peristiwa terbukti termasuk dalam log "
                  f"pada titik periksa #{anchor['seq']} ({size} peristiwa)",
                  f"{len(verified)} checkpoints valid; {len(events)} events proven in the log at checkpoint "
                  f"#{anchor['seq']} ({size} events)")


def check_stage_chain(manifest: dict, actual: dict[str, str], report: Report) -> None:
    print("[6] Rantai tahap / Stage chain")
    finals = {}
    every_final: dict[str, list[dict]] = {}
    kinds = {}
    for entry in manifest.get("documents", []):
        if entry.get("is_final"):
            finals[entry.get("kind")] = entry  # the newest (archive renewals come later)
            every_final.setdefault(entry.get("kind"), []).append(entry)
    bad = 0
    previous = None
    for kind in STAGE_ORDER:
        entry = finals.get(kind)
        if entry is None:
            break
        kinds[kind] = entry
        named = entry.get("previous_stage_sha256") or ""
        # A stage names the previous stage's final document as it was then; its archive renewals since are
        # final too (and extend it byte for byte, checked in [3] through parent_sha256).
        wanted = {actual.get(e.get("path", "")) for e in every_final.get(previous.get("kind"), [])} \
            if previous else set()
        if previous is None and named:
            report.problem(f"{entry.get('path')}: tahap pertama menyebut dokumen tahap sebelumnya",
                           f"{entry.get('path')}: the first stage names a previous stage document")
            bad += 1
        elif previous is not None and named not in wanted:
            report.problem(f"{entry.get('path')}: tidak menyebut dokumen final tahap sebelumnya di bundel ini",
                           f"{entry.get('path')}: does not name the previous stage's final document in this bundle")
            bad += 1
        previous = entry
    missing = [k for k in STAGE_ORDER[len(kinds):] if k in finals]
    if missing:
        report.problem(f"dokumen final {', '.join(missing)} tanpa tahap sebelumnya",
                       f"final {', '.join(missing)} without the stage before")
        bad += 1
    if not bad:
        report.ok(f"{len(kinds)} tahap berantai: {' -> '.join(kinds) or '-'}",
                  f"{len(kinds)} stages chained: {' -> '.join(kinds) or '-'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Periksa bundel audit Sepakat / Check a Sepakat audit bundle")
    parser.add_argument("folder", nargs="?", default=str(Path(__file__).resolve().parent),
                        help="folder bundel yang sudah diekstrak (bawaan: folder skrip ini)")
    parser.add_argument("--root-sha256", default="", help="SHA-256 sertifikat akar yang diterbitkan Sepakat "
                        "(setelah pergantian CA: semuanya, dipisah koma)")
    parser.add_argument("--trust", default="", help="berkas PEM sertifikat akar dari luar bundel")
    arguments = parser.parse_args(argv)
    folder = Path(arguments.folder)
    report = Report()
    print(f"Bundel audit Sepakat / Sepakat audit bundle: {folder.resolve()}")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        report.problem(f"{MANIFEST} tidak dapat dibaca ({error})", f"{MANIFEST} cannot be read ({error})")
        manifest = None
    if manifest is not None:
        programme = manifest.get("programme", {})
        print(f"Program / Programme: {programme.get('title', '?')}")
        head = manifest.get("chain_head", {})
        print(f"Ujung rantai saat ekspor / Chain head at export: #{head.get('sequence')} {head.get('hash')}")
        roots, confirmed = trust_roots(folder, arguments.trust, arguments.root_sha256, report)
        if roots is not None:
            check_manifest_signature(folder, manifest, roots, report)
        actual = check_files(folder, manifest, report)
        check_events(folder, manifest, report)
        check_documents(folder, manifest, actual, report, roots)
        check_paraf(folder, manifest, actual, report)
        if roots is not None:
            check_checkpoints(folder, manifest, roots, report)
        check_stage_chain(manifest, actual, report)
    if report.problems:
        print(f"GAGAL / FAILED: {len(report.problems)} masalah / problems")
        return 1
    if not confirmed:
        print("SESUAI DENGAN AKAR DI DALAM BUNDEL, AKAR BELUM DIKONFIRMASI / CONSISTENT WITH THE BUNDLED ROOT, "
              "ROOT NOT CONFIRMED (--root-sha256)")
        return 2
    print("SEMUA SESUAI / ALL GOOD")
    return 0


if __name__ == "__main__":
    sys.exit(main())
