"""Taking the audit trail away: event rows for CSV and JSON exports, and the per-programme audit bundle.

Exports are generated row by row (bounded memory). A bundle is a zip written to a
temporary file: the programme's events (CSV and JSON), every version as a DRAF
PDF, every stored PDF revision, the trust root, a manifest of SHA-256 sums and
verify_bundle.py, which checks all of it without the server.
"""

import contextlib
import csv
import datetime
import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from audit.models import AuditEvent

from . import selectors

BUNDLE_FORMAT = "sepakat-audit-bundle/1"
VERIFY_SCRIPT_SOURCE = Path(__file__).with_name("bundle_verify.py")
ITERATOR_CHUNK = 1000
FILE_CHUNK = 1024 * 1024
# Cells Excel would read as a formula (CSV injection); such text cells get a leading apostrophe.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------------------------------------------------------
# Event rows


def export_fields() -> list[str]:
    """The columns of CSV and the keys of JSON, in order. Payload fields keep the names the hash uses."""
    return [
        "sequence", "created", "created_wib", "actor", "actor_username", "actor_label", "actor_agency",
        "action", "action_label", "region", "region_slug", "programme", "process", "task", "version", "details",
        "prev_hash", "hash",
    ]


def event_row(event: AuditEvent) -> dict:
    """One event as plain values; `created` is the exact ISO 8601 text the event's hash covers (UTC)."""
    row = {
        "sequence": event.pk,
        "created": event.created.isoformat(),
        "created_wib": timezone.localtime(event.created).strftime("%d-%m-%Y %H:%M:%S"),
        "actor": event.actor_id,
        "actor_username": event.actor.get_username() if event.actor_id else "",
        "actor_label": event.actor_label,
        "actor_agency": event.actor_agency,
        "action": event.action,
        "action_label": selectors.action_label(event.action),
        "region": event.region_id,
        "region_slug": event.region.slug if event.region_id else "",
        "programme": event.programme_id,
        "process": event.process_id,
        "task": event.task_id,
        "version": event.version_id,
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
    return {key: row[key] for key in export_fields()}


def _events_in_order(events):
    return selectors.with_relations(events).order_by("pk").iterator(chunk_size=ITERATOR_CHUNK)


class _Line:
    """csv.writer target that hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_chunks(events, *, bom: bool = True):
    """UTF-8 CSV (with a BOM so Excel reads it as UTF-8), one line per event, oldest first."""
    writer = csv.writer(_Line())
    fields = export_fields()
    yield ("\ufeff" if bom else "") + writer.writerow(fields)
    for event in _events_in_order(events):
        row = event_row(event)
        yield writer.writerow([_csv_cell(row[key]) for key in fields])


def json_chunks(events):
    """A JSON list of event objects, oldest first, one event per line."""
    yield "["
    separator = "\n"
    for event in _events_in_order(events):
        yield separator + json.dumps(event_row(event), ensure_ascii=False, sort_keys=False)
        separator = ",\n"
    yield "\n]\n"


def last_event_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# ---------------------------------------------------------------------------------------------------------------
# The bundle


@dataclass
class Bundle:
    file: object  # an open temporary file, positioned at 0
    filename: str
    manifest: dict
    manifest_sha256: str
    zip_sha256: str
    size: int


class _HashingZip:
    """Writes zip members and remembers each one's SHA-256 and size for the manifest."""

    def __init__(self, target, root: str):
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)
        self.root = root
        self.files: list[dict] = []

    def write_chunks(self, path: str, chunks, *, compress: bool = True) -> dict:
        digest = hashlib.sha256()
        size = 0
        info = zipfile.ZipInfo(f"{self.root}/{path}", date_time=timezone.localtime().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        with self.zip.open(info, "w", force_zip64=True) as member:
            for chunk in chunks:
                data = chunk.encode() if isinstance(chunk, str) else chunk
                digest.update(data)
                size += len(data)
                member.write(data)
        entry = {"path": path, "sha256": digest.hexdigest(), "size": size}
        self.files.append(entry)
        return entry

    def write(self, path: str, data: bytes | str, *, compress: bool = True) -> dict:
        return self.write_chunks(path, [data], compress=compress)

    def close(self) -> None:
        self.zip.close()


def _file_chunks(field_file):
    from agreements.stored_files import open_stored

    with open_stored(field_file) as handle:
        while chunk := handle.read(FILE_CHUNK):
            yield chunk


def _programme_cases(programme):
    from workflows.models import StageProcess

    return list(
        StageProcess.objects.filter(programme=programme)
        .select_related("document__programme__region", "final_pdf")
        .order_by("created", "pk")
    )


def bundle_build(*, programme, user) -> Bundle:
    """Write the programme's audit bundle to a temporary file (the caller streams and closes it)."""
    from agreements.checkpoints import checkpoint_as_dict, checkpoint_make, seal_sign
    from agreements.kinds import draft_pdf
    from agreements.models import Decision, ParafCopy, SignatureRecord, StoredPdf, Version
    from agreements.pki import published_root, published_root_fingerprints, recorded_seal_fingerprints
    from agreements.signing import AuthorityError
    from audit.models import Checkpoint
    from workflows.selectors import previous_stage_case

    # The history up to now, sealed: the bundle's events are proven against this checkpoint.
    try:
        sealed = checkpoint_make(reason="bundel audit")
    except AuthorityError:  # no seal to sign with: the bundle still goes out, and its checker says it is unsealed
        sealed = None
    head = ({"pk": sealed.seq, "hash": sealed.head_hash} if sealed else
            AuditEvent.objects.order_by("-pk").values("pk", "hash").first() or {"pk": 0, "hash": ""})
    events = selectors.programme_events(selectors.events_visible_to(user), programme).filter(pk__lte=head["pk"])
    region = programme.region
    root = f"bundel-audit-{region.slug}-{programme.year}"
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    archive = _HashingZip(target, root)

    archive.write_chunks("events.csv", csv_chunks(events))
    archive.write_chunks("events.json", json_chunks(events))
    chain = [
        {"sequence": pk, "prev_hash": prev_hash, "hash": hash_}
        for pk, prev_hash, hash_ in events.order_by("pk").values_list("pk", "prev_hash", "hash").iterator(
            chunk_size=ITERATOR_CHUNK
        )
    ]

    cases = _programme_cases(programme)
    version_entries = []
    document_entries = []
    paraf_entries = []
    for case in cases:
        document = case.document
        if document is None:
            continue
        previous = previous_stage_case(programme, case.stage)
        previous_sha = previous.closing_sha256() if previous else ""
        for version in Version.objects.filter(document=document).select_related("document__programme__region") \
                .order_by("number"):
            path = f"versions/{document.identifier}-v{version.number}-draf.pdf"
            entry = archive.write(path, draft_pdf(version, previous_stage_sha256=previous_sha), compress=False)
            version_entries.append({
                "path": path, "identifier": document.identifier, "kind": document.kind, "case": case.pk,
                "version": version.number, "title": version.title, "created": version.created.isoformat(),
                "previous_stage_sha256": previous_sha, "sha256": entry["sha256"],
            })
        for copy in ParafCopy.objects.filter(version__document=document).select_related("version"):
            path = f"paraf/{document.identifier}-v{copy.version.number}-{copy.sha256[:12]}.pdf"
            archive.write_chunks(path, _file_chunks(copy.file), compress=False)
            initialled = Decision.objects.filter(version=copy.version, document_sha256=copy.sha256).order_by("created")
            paraf_entries.append({
                "path": path, "identifier": document.identifier, "case": case.pk, "version": copy.version.number,
                "expected_sha256": copy.sha256, "size": copy.size, "created": copy.created.isoformat(),
                "decisions": [{"step": d.step, "name": d.actor_name, "post": d.actor_post, "decision": d.kind,
                               "time": d.created.isoformat()} for d in initialled],
            })
        stored_pdfs = list(
            StoredPdf.objects.filter(document=document).select_related("version").order_by("version__number",
                                                                                             "revision")
        )
        records = {}
        for record in SignatureRecord.objects.filter(pdf__document=document).order_by("pdf__revision", "pk"):
            records.setdefault(record.pdf_id, []).append(record)
        for stored in stored_pdfs:
            path = f"documents/{document.identifier}-v{stored.version.number}-r{stored.revision}.pdf"
            entry = archive.write_chunks(path, _file_chunks(stored.file), compress=False)
            signatures = sum(len(records.get(s.pk, [])) for s in stored_pdfs
                             if s.version_id == stored.version_id and s.revision <= stored.revision)
            document_entries.append({
                "path": path, "identifier": document.identifier, "kind": document.kind, "case": case.pk,
                "version": stored.version.number, "revision": stored.revision,
                "expected_sha256": stored.sha256, "parent_sha256": stored.parent_sha256,
                "previous_stage_sha256": stored.previous_stage_sha256, "size": stored.size,
                "is_final": stored.is_final, "signatures": signatures,
                "signed_here": [_signature_entry(r) for r in records.get(stored.pk, [])],
                "created": stored.created.isoformat(),
            })

    checkpoints = [checkpoint_as_dict(c) for c in Checkpoint.objects.filter(seq__lte=head["pk"]).order_by("seq")]
    archive.write("checkpoints.json", json.dumps({"checkpoints": checkpoints}, ensure_ascii=False, indent=1) + "\n")
    archive.write("proofs.json", json.dumps(_inclusion_proofs(sealed, [e["sequence"] for e in chain])) + "\n")
    root_pem = published_root()  # the CA the audit log recorded, even with the authority folder lost
    archive.write("trust-root.pem", root_pem)
    archive.write("verify_bundle.py", VERIFY_SCRIPT_SOURCE.read_bytes())
    archive.write("README.md", readme(programme, root))
    manifest = {
        "format": BUNDLE_FORMAT,
        "created": timezone.now().isoformat(),
        "exported_by": user.get_username(),
        "programme": {"id": programme.pk, "region": str(region), "region_slug": region.slug,
                      "year": programme.year, "title": str(programme)},
        "cases": [{"id": c.pk, "stage": c.stage, "outcome": c.outcome,
                   "identifier": c.document.identifier if c.document else "",
                   "final_sha256": c.final_pdf.sha256 if c.final_pdf else ""} for c in cases],
        "hash": "sha256(prev_hash + '\\n' + JSON(payload, sort_keys, ensure_ascii=False, separators=(',', ':')))",
        "events": {"count": len(chain), "chain": chain},
        "chain_head": {"sequence": head["pk"], "hash": head["hash"]},
        "versions": version_entries,
        "documents": document_entries,
        "paraf": paraf_entries,
        "trust_root_sha256_fingerprint": _pem_fingerprint(root_pem),  # the first (and, before a rollover, only)
        "trust_root_sha256_fingerprints": published_root_fingerprints(),
        "seal_sha256_fingerprints": sorted(recorded_seal_fingerprints()),
        "checkpoint": ({"seq": sealed.seq, "head_hash": sealed.head_hash, "count": sealed.count,
                        "merkle_root": sealed.merkle_root} if sealed else None),
        "files": list(archive.files),
    }
    manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    archive.write("manifest.json", manifest_bytes)
    # Signed last, over the manifest's exact bytes: whoever edits anything must recompute the manifest,
    # and cannot sign it again without the system's seal.
    with contextlib.suppress(AuthorityError):  # no seal: the checker reports the manifest unsigned
        archive.write("manifest.json.p7s", seal_sign(manifest_bytes).dump())
    archive.close()
    size = target.tell()
    target.seek(0)
    zip_digest = hashlib.sha256()
    while chunk := target.read(FILE_CHUNK):
        zip_digest.update(chunk)
    target.seek(0)
    return Bundle(file=target, filename=f"{root}.zip", manifest=manifest,
                  manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(), zip_sha256=zip_digest.hexdigest(),
                  size=size)


def _inclusion_proofs(sealed, sequences: list[int]) -> dict:
    """An RFC 9162 inclusion proof for each exported event, against the checkpoint the bundle was sealed at."""
    from audit.merkle import Tree

    if sealed is None:
        return {"checkpoint_seq": None, "proofs": {}}
    hashes = AuditEvent.objects.filter(pk__lte=sealed.seq).order_by("pk").values_list("pk", "hash")
    index_of, ordered = {}, []
    for pk, hash_ in hashes.iterator(chunk_size=5000):
        index_of[pk] = len(ordered)
        ordered.append(hash_)
    tree = Tree(ordered)
    return {
        "checkpoint_seq": sealed.seq, "tree_size": tree.size, "merkle_root": tree.root,
        "leaf": "SHA-256(0x00 || event hash); node: SHA-256(0x01 || left || right) (RFC 9162)",
        "proofs": {str(seq): {"index": index_of[seq], "path": tree.inclusion_proof(index_of[seq])}
                   for seq in sequences},
    }


def _signature_entry(record) -> dict:
    def iso(moment: datetime.datetime | None) -> str:
        return moment.isoformat() if moment else ""

    return {
        "signer": record.signer_name, "post": record.signer_post, "step": record.step, "field": record.field_name,
        "certificate_sha256": record.certificate_fingerprint, "signing_time": iso(record.signing_time),
        "timestamp_time": iso(record.timestamp_time), "validation_ok": record.validation_ok,
    }


def _pem_fingerprint(pem: bytes) -> str:
    import base64

    first = pem.split(b"-----END CERTIFICATE-----", 1)[0]
    body = b"".join(line for line in first.splitlines() if line and not line.startswith(b"-----"))
    return hashlib.sha256(base64.b64decode(body)).hexdigest()


def readme(programme, root: str) -> str:
    region = programme.region
    return f"""# Bundel audit / Audit bundle — {region} {programme.year}

## Bahasa Indonesia

Bundel ini berisi jejak audit program Gerakan Menuju Kota Cerdas {programme.year} {region}
sebagaimana tercatat di Sepakat pada {timezone.localtime():%d-%m-%Y %H:%M:%S} WIB.

Isi:

- `events.csv` — peristiwa audit program ini, satu baris per peristiwa (UTF-8, dapat dibuka di Excel).
- `events.json` — peristiwa yang sama dalam JSON; waktu (`created`) dalam ISO 8601 (UTC), persis seperti
  yang di-hash. Setiap peristiwa memuat `prev_hash` (hash peristiwa sebelumnya dalam log Sepakat) dan `hash`.
- `versions/` — setiap versi dokumen sebagai PDF bertanda DRAF.
- `documents/` — setiap revisi PDF yang tersimpan (`identifier-vN-rM.pdf`): revisi 0 adalah dokumen yang
  dibuat untuk ditandatangani, setiap tanda tangan menambah satu revisi; revisi final adalah dokumen yang
  ditandatangani lengkap.
- `paraf/` — berkas PDF tempat paraf diberikan (satu per versi), persis seperti yang dibaca para pemaraf;
  SHA-256-nya tercatat pada setiap keputusan paraf dan peristiwanya.
- `trust-root.pem` — sertifikat akar Sepakat yang menerbitkan sertifikat penanda tangan dan cap waktu.
- `checkpoints.json` — titik periksa log audit yang ditandatangani segel sistem dan diberi cap waktu.
- `proofs.json` — bukti inklusi Merkle (RFC 9162) setiap peristiwa terhadap titik periksa saat bundel dibuat.
- `manifest.json` — SHA-256 dan ukuran setiap berkas, SHA-256 setiap revisi menurut basis data, dan hash
  rantai peristiwa.
- `manifest.json.p7s` — tanda tangan segel sistem (CMS terpisah, dengan cap waktu RFC 3161) atas manifest.
- `verify_bundle.py` — skrip pemeriksa yang berdiri sendiri.

Cara memeriksa (Python 3.11 dan pyHanko):

```
pip install pyhanko==0.38.0
cd {root}
python verify_bundle.py --root-sha256 SIDIK_JARI_AKAR
```

`SIDIK_JARI_AKAR` adalah SHA-256 sertifikat akar Sepakat yang diterbitkan di luar bundel ini (halaman
verifikasi Sepakat, `/verifikasi/akar.pem`); atau `--trust akar.pem`. Tanpa itu skrip tidak menyatakan
"SEMUA SESUAI": siapa pun dapat membuat bundel yang konsisten dengan akarnya sendiri.

Skrip memeriksa: hash setiap peristiwa (dihitung ulang), keterkaitan rantai, SHA-256 setiap berkas terhadap
manifest, dan setiap tanda tangan PDF dengan pyHanko terhadap `trust-root.pem` (utuh, sah, tepercaya, tidak
ada perubahan selain pengisian formulir/tanda tangan berikutnya, bercap waktu, sertifikat sesuai manifest),
tanda tangan segel atas manifest, titik periksa dan bukti inklusi setiap peristiwa, dan rantai tahap Nota
Kesepakatan → Peraturan → Masterplan. Kode keluar 0 berarti semua sesuai; 1 berarti ada masalah, dan
alasannya dicetak; 2 berarti semua cocok dengan akar di dalam bundel, tetapi akar itu belum dikonfirmasi.

## English

This bundle holds the audit trail of the {programme.year} Smart City programme of {region} as recorded in
Sepakat at {timezone.now():%Y-%m-%d %H:%M:%S} UTC.

Contents: `events.csv` and `events.json` (the programme's audit events; `created` is the exact ISO 8601 UTC
text covered by each event's hash; `prev_hash` links each event to the one before it in Sepakat's log),
`versions/` (every document version as a DRAF PDF), `documents/` (every stored PDF revision, named
`identifier-vN-rM.pdf`; the final revision is the fully signed document), `paraf/` (the PDF each paraf was
given on, one per version, exactly as the officials read it; its SHA-256 is in each paraf decision and its
event), `trust-root.pem` (Sepakat's root
certificate), `checkpoints.json` (the audit log's checkpoints, signed by the system seal and timestamped),
`proofs.json` (an RFC 9162 Merkle inclusion proof of every event against the checkpoint the bundle was sealed
at), `manifest.json` (SHA-256 and size of every file, each stored revision's SHA-256 from the
database, the event chain hashes), `manifest.json.p7s` (the system seal's timestamped CMS signature over the
manifest) and `verify_bundle.py`.

To check it (Python 3.11 and pyHanko):

```
pip install pyhanko==0.38.0
cd {root}
python verify_bundle.py --root-sha256 ROOT_FINGERPRINT
```

`ROOT_FINGERPRINT` is the SHA-256 of Sepakat's root certificate as published outside this bundle (Sepakat's
verification page, `/verifikasi/akar.pem`); or `--trust root.pem`. Without it the script never says "ALL
GOOD": anyone can make a bundle consistent with a root of their own.

The script recomputes every event's hash, checks the chain links, every file's SHA-256 against the manifest
and every PDF signature with pyHanko against `trust-root.pem` (intact, valid, trusted, no modification beyond
form filling, timestamped, certificates as the manifest lists), the seal's signature over the manifest, the
checkpoints and each event's inclusion proof, and the MoU → regulation → masterplan chain. Exit code 0: all
good; 1: problems, with the reasons printed; 2: everything matches the root inside the bundle, which was
not confirmed.
"""
