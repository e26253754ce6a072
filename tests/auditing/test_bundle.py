"""The audit bundle: what it holds, and its standalone checker catching every kind of tampering."""

import hashlib
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from agreements.models import Decision, DecisionKind, StoredPdf
from audit import services
from audit.actions import AuditAction
from audit.models import AuditEvent
from auditing import bundle
from demo import driver
from workflows.models import Stage, StageProcess

# Whole programmes exported and checked by the standalone script, forgery by forgery: run by .ci/run
# (pytest -m slow), not by make test.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SCRIPT = Path(bundle.__file__).with_name("bundle_verify.py")


def load_script():
    """The checker as shipped, loaded from its file (it imports nothing from Sepakat)."""
    spec = importlib.util.spec_from_file_location("verify_bundle", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def download(client, programme) -> bytes:
    response = client.get(reverse("audit:bundle", args=[programme.pk]))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/zip"
    assert f"bundel-audit-{programme.region.slug}-{programme.year}.zip" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def unzip(content: bytes, target: Path) -> Path:
    zipfile.ZipFile(io.BytesIO(content)).extractall(target)
    (folder,) = target.iterdir()
    return folder


def published_root_sha256() -> str:
    """What an auditor reads off Sepakat's verification page: the root's SHA-256, from outside the bundle."""
    from agreements.pki import recorded_fingerprint

    return recorded_fingerprint()


def check(folder: Path, *extra: str, root: bool = True) -> subprocess.CompletedProcess:
    # -I: isolated mode, nothing from this project or its environment variables on the path.
    arguments = ["--root-sha256", published_root_sha256()] if root else []
    return subprocess.run([sys.executable, "-I", "verify_bundle.py", *arguments, *extra], cwd=folder,
                          capture_output=True, text=True, timeout=300)


def tampered(folder: Path, tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name / folder.name
    shutil.copytree(folder, copy)
    return copy


@pytest.fixture
def completed(programme):
    """Kota Banjar's whole programme done (three stages, all signatures), and Kota Solok's MoU signed."""
    banjar, solok = programme("kota-banjar"), programme("kota-solok")
    driver.run_programme(banjar)
    driver.run_programme(solok, only_stage=Stage.MOU)
    assert not StageProcess.objects.filter(programme=banjar).exclude(outcome="completed").exists()
    return banjar, solok


def test_the_bundle_checks_out_and_every_tampering_is_caught(completed, as_user, tmp_path):
    banjar, solok = completed
    content = download(as_user("kota-banjar.auditor"), banjar)
    folder = unzip(content, tmp_path / "bundle")

    # What it holds.
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    stored = list(StoredPdf.objects.filter(document__programme=banjar).select_related("document", "version"))
    # three stages: the rendered document, two signed revisions and the archive-timestamped final each
    assert len(stored) == 12
    for pdf in stored:
        assert f"documents/{pdf.document.identifier}-v{pdf.version.number}-r{pdf.revision}.pdf" in names
    assert len([n for n in names if n.startswith("versions/") and n.endswith("-draf.pdf")]) == 3
    initialled = Decision.objects.filter(version__document__programme=banjar, kind=DecisionKind.INITIALLED)
    paraf_files = [n for n in names if n.startswith("paraf/")]
    assert len(paraf_files) == 2 and initialled.count() == 5  # MoU and regulation: one file per version's round
    assert {"events.csv", "events.json", "manifest.json", "README.md", "trust-root.pem", "verify_bundle.py"} <= set(
        names)
    assert (folder / "verify_bundle.py").read_bytes() == SCRIPT.read_bytes()
    from agreements.signatures import authority

    assert (folder / "trust-root.pem").read_bytes() == authority().ca_cert_pem
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {f["path"] for f in manifest["files"]} == set(names) - {"manifest.json", "manifest.json.p7s"}
    expected = {d["path"]: d["expected_sha256"] for d in manifest["documents"]}
    assert {f"documents/{p.document.identifier}-v{p.version.number}-r{p.revision}.pdf": p.sha256
            for p in stored} == expected
    assert [d["is_final"] for d in manifest["documents"]].count(True) == 3
    assert {p["expected_sha256"] for p in manifest["paraf"]} == {d.document_sha256 for d in initialled}
    assert sorted(len(p["decisions"]) for p in manifest["paraf"]) == [2, 3]
    for entry in manifest["paraf"]:
        assert hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest() == entry["expected_sha256"]
    events = json.loads((folder / "events.json").read_text())
    assert events and {e["region_slug"] for e in events} == {"kota-banjar"}
    assert [e["sequence"] for e in events] == [c["sequence"] for c in manifest["events"]["chain"]]
    assert {"case.opened", "task.finished", "document.signed", "case.completed"} <= {e["action"] for e in events}
    assert not any(e["region_slug"] == "kota-solok" for e in events)
    readme = (folder / "README.md").read_text()
    assert "python verify_bundle.py" in readme and "Cara memeriksa" in readme and "To check it" in readme

    # The download is recorded, with the manifest's and the zip's SHA-256.
    recorded = AuditEvent.objects.filter(action=AuditAction.AUDIT_BUNDLE_EXPORTED).latest("pk")
    assert recorded.actor.username == "kota-banjar.auditor" and recorded.region_id == banjar.region_id

    assert recorded.details["manifest_sha256"] == hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    assert recorded.details["zip_sha256"] == hashlib.sha256(content).hexdigest()

    # Untouched: all good.
    result = check(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SEMUA SESUAI" in result.stdout
    for step in ("[0]", "[1]", "[2]", "[3]", "[4]", "[5]", "[6]"):
        assert step in result.stdout
    assert "manifest ditandatangani segel sistem" in result.stdout
    assert "3 tahap berantai: mou -> regulation -> masterplan" in result.stdout
    # Without a root confirmed from outside, never "all good".
    unconfirmed = check(folder, root=False)
    assert unconfirmed.returncode == 2 and "SEMUA SESUAI" not in unconfirmed.stdout

    # Another region's signed PDF in place of one of ours: valid signatures, but not the recorded file.
    final = StageProcess.objects.get(programme=banjar, stage=Stage.MOU).final_pdf
    name = f"documents/{final.document.identifier}-v{final.version.number}-r{final.revision}.pdf"
    swapped = tampered(folder, tmp_path, "swapped")
    other = StageProcess.objects.get(programme=solok, stage=Stage.MOU).final_pdf
    with other.file.open("rb") as handle:
        (swapped / name).write_bytes(handle.read())
    result = check(swapped)
    assert result.returncode == 1
    assert name in result.stdout

    # One byte flipped inside a signed PDF.
    flipped = tampered(folder, tmp_path, "flipped")
    data = bytearray((flipped / name).read_bytes())
    data[len(data) // 3] ^= 0x01
    (flipped / name).write_bytes(bytes(data))
    result = check(flipped)
    assert result.returncode == 1
    assert name in result.stdout

    # An event edited in events.json.
    target = events[len(events) // 2]
    edited = tampered(folder, tmp_path, "edited")
    rows = json.loads((edited / "events.json").read_text())
    rows[len(rows) // 2]["actor_label"] = "Orang Lain"
    (edited / "events.json").write_text(json.dumps(rows, ensure_ascii=False))
    result = check(edited)
    assert result.returncode == 1
    assert f"#{target['sequence']}:" in result.stdout
    assert "events.json" in result.stdout

    # An event deleted from events.json.
    deleted = tampered(folder, tmp_path, "deleted")
    rows = json.loads((deleted / "events.json").read_text())
    gone = rows.pop(3)
    (deleted / "events.json").write_text(json.dumps(rows, ensure_ascii=False))
    result = check(deleted)
    assert result.returncode == 1
    assert f"#{gone['sequence']} " in result.stdout

    # Two events swapped in events.json.
    reordered = tampered(folder, tmp_path, "reordered")
    rows = json.loads((reordered / "events.json").read_text())
    rows[4], rows[5] = rows[5], rows[4]
    (reordered / "events.json").write_text(json.dumps(rows, ensure_ascii=False))
    result = check(reordered)
    assert result.returncode == 1
    assert "events.json" in result.stdout

    # A file added that the manifest does not list; and the file a paraf was on replaced by the
    # version's later draft, the manifest's file list edited to match (one run of the checker for both).
    added = tampered(folder, tmp_path, "added")
    shutil.copy(folder / name, added / "documents" / "extra.pdf")
    paraf = manifest["paraf"][0]["path"]
    draft = folder / next(n for n in names if n.startswith("versions/"))
    (added / paraf).write_bytes(draft.read_bytes())
    listing = json.loads((added / "manifest.json").read_text())
    for entry in listing["files"]:
        if entry["path"] == paraf:
            entry.update(sha256=hashlib.sha256(draft.read_bytes()).hexdigest(), size=draft.stat().st_size)
    (added / "manifest.json").write_text(json.dumps(listing))
    result = check(added)
    assert result.returncode == 1
    assert "documents/extra.pdf" in result.stdout
    assert f"{paraf}: SHA-256 tidak cocok dengan yang dicatat pada paraf" in result.stdout


def test_the_scripts_event_hash_is_sepakats(programme, official, as_user):
    """The checker recomputes each exported event's hash exactly as audit.services does."""
    banjar = programme("kota-banjar")
    driver.run_programme(banjar, stop_stage=Stage.MOU, stop_step="paraf_laip")
    services.event_record(actor=official("kota-banjar.kominfo"), action=AuditAction.ROLE_CHANGED, region=banjar.region,
                          details={"old": {"post": "Kepala Seksi — lama"}, "new": {"post": "Kepala Dinas «baru»"},
                                   "count": 3, "ratio": 0.5, "flag": True, "none": None, "list": [1, "dua"]})
    script = load_script()
    events = list(AuditEvent.objects.select_related("actor", "region").order_by("pk"))
    assert len(events) > 10
    for event in events:
        ours = services.event_hash(event.prev_hash, services.event_payload(event))
        assert ours == event.hash
        row = json.loads(json.dumps(bundle.event_row(event), ensure_ascii=False))  # as events.json holds it
        assert script.event_payload(row) == json.loads(json.dumps(services.event_payload(event), default=str))
        assert script.event_hash(row["prev_hash"], script.event_payload(row)) == event.hash, event.pk
    # And from an actual export, through the site.
    exported = json.loads(b"".join(as_user("auditor").get(reverse("audit:export_json")).streaming_content))
    assert all(script.event_hash(r["prev_hash"], script.event_payload(r)) == r["hash"] for r in exported)
    assert script.GENESIS_HASH == services.GENESIS_HASH


def test_the_bundle_of_a_programme_under_way_checks_out(programme, as_user, tmp_path):
    """Unsigned revisions and an open case: nothing to check but hashes, and they hold."""
    banjar = programme("kota-banjar")
    driver.run_programme(banjar, stop_stage=Stage.MOU, stop_step="sign_ministry")
    folder = unzip(download(as_user("auditor"), banjar), tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [d["revision"] for d in manifest["documents"]] == [0, 1]
    result = check(folder)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_checker_names_a_missing_manifest(tmp_path):
    shutil.copy(SCRIPT, tmp_path / "verify_bundle.py")
    result = check(tmp_path)
    assert result.returncode == 1
    assert "manifest.json" in result.stdout


# --- the forgeries of issue 12: made without any secret, the manifest recomputed each time -----------------------


def rehash_manifest(folder: Path, change=None) -> None:
    """As a forger would: recompute every file's SHA-256 and size and the event chain listed, after ``change``."""
    manifest = json.loads((folder / "manifest.json").read_text())
    if change:
        change(manifest)
    rows = json.loads((folder / "events.json").read_text())
    manifest["events"] = {"count": len(rows), "chain": [
        {"sequence": r["sequence"], "prev_hash": r["prev_hash"], "hash": r["hash"]} for r in rows]}
    listed = {e["path"] for e in manifest["files"]}
    manifest["files"] = [
        {"path": p, "sha256": hashlib.sha256((folder / p).read_bytes()).hexdigest(),
         "size": (folder / p).stat().st_size}
        for p in sorted(listed) if (folder / p).exists()]
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")


def rechain(rows: list[dict], start: int) -> None:
    """Recompute the hashes of rows[start:], each linked to the row before it (the documented formula)."""
    script = load_script()
    for i in range(start, len(rows)):
        if i > 0:
            rows[i]["prev_hash"] = rows[i - 1]["hash"]
        rows[i]["hash"] = script.event_hash(rows[i]["prev_hash"], script.event_payload(rows[i]))


def write_events(folder: Path, rows: list[dict]) -> None:
    (folder / "events.json").write_text(json.dumps(rows, ensure_ascii=False))
    with (folder / "events.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        import csv

        writer = csv.DictWriter(handle, fieldnames=bundle.export_fields())
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "details": json.dumps(row["details"], ensure_ascii=False)})


def document_path(manifest: dict, kind: str, *, final=True, revision=None) -> dict:
    return next(d for d in manifest["documents"] if d["kind"] == kind
                and (d["is_final"] if revision is None else d["revision"] == revision))


def stranger_signed(content: bytes, tmp_path: Path, *, timestamp: bool) -> tuple[bytes, bytes]:
    """``content`` signed by a CA of the forger's own (optionally without a timestamp), with pyHanko; and its root."""
    from cryptography.hazmat.primitives import serialization
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from agreements.signing import ensure_authority, issue_signer
    from agreements.signing.backends.held_keys import HeldKeySigner
    from agreements.signing.backends.local import local_timestamper

    fake = ensure_authority(tmp_path / "pki-pemalsu", secret="rahasia-pemalsu", kdf_iterations=1000)
    issued = issue_signer(fake, ca_secret="rahasia-pemalsu", common_name="Pemalsu", organisation="", unit="", nip="",
                          passphrase="p" * 12, kdf_iterations=1)
    key = serialization.load_pem_private_key(issued.encrypted_key_pem, password=b"p" * 12)
    (cert,) = load_certs_from_pemder_data(issued.cert_pem)
    ca = list(load_certs_from_pemder_data(fake.ca_cert_pem))[0]
    signer = HeldKeySigner(signing_cert=cert, private_key=key, cert_registry=SimpleCertificateStore.from_certs([ca]))
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name="ttd_pemalsu", subfilter=fields.SigSeedSubFilter.PADES), signer,
        timestamper=local_timestamper(fake) if timestamp else None)
    out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(content), strict=False)).getvalue()
    return out, fake.ca_cert_pem


def test_the_checker_fails_every_forgery_made_without_a_secret(completed, as_user, tmp_path):
    banjar, solok = completed
    folder = unzip(download(as_user("kota-banjar.auditor"), banjar), tmp_path / "bundle")
    assert check(folder).returncode == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    events = json.loads((folder / "events.json").read_text())
    jumps = [i for i in range(1, len(events)) if events[i]["sequence"] > events[i - 1]["sequence"] + 1]
    assert jumps  # one programme's events: the sequence jumps where other regions' events were
    regulation = document_path(manifest, "regulation")
    failures = {}

    def forged(name, forge, *, keep_signature=True):
        copy = tampered(folder, tmp_path, name)
        forge(copy)
        if not keep_signature:
            (copy / "manifest.json.p7s").unlink()
        result = check(copy)
        assert result.returncode == 1, (name, result.stdout)
        assert "SEMUA SESUAI" not in result.stdout
        failures[name] = result.stdout
        return result.stdout

    def edit(copy):
        rows = json.loads((copy / "events.json").read_text())
        middle = len(rows) // 2
        rows[middle]["details"] = {**rows[middle]["details"], "note": "diubah"}
        rechain(rows, middle)
        write_events(copy, rows)
        rehash_manifest(copy)

    def delete(copy):
        rows = json.loads((copy / "events.json").read_text())
        del rows[len(rows) // 2]
        rechain(rows, len(rows) // 2)
        write_events(copy, rows)
        rehash_manifest(copy)

    def append(copy):
        rows = json.loads((copy / "events.json").read_text())
        rows.append({**rows[-1], "sequence": rows[-1]["sequence"] + 1, "action": "role.changed",
                     "details": {"note": "tambahan"}})
        rechain(rows, len(rows) - 1)
        write_events(copy, rows)
        rehash_manifest(copy)

    def rewrite_from_middle(copy):
        rows = json.loads((copy / "events.json").read_text())
        for row in rows[len(rows) // 3:]:
            row["actor_label"] = "Orang Lain (Kepala Dinas)"
        rechain(rows, len(rows) // 3)
        write_events(copy, rows)
        rehash_manifest(copy)

    def other_regions_regulation(copy):
        other = StageProcess.objects.get(programme=solok, stage=Stage.MOU).final_pdf
        with other.file.open("rb") as handle:
            content = handle.read()
        (copy / regulation["path"]).write_bytes(content)
        rehash_manifest(copy, lambda m: document_path(m, "regulation").update(
            expected_sha256=hashlib.sha256(content).hexdigest()))

    def re_signed_fake(copy):
        unsigned = document_path(manifest, "regulation", revision=0)
        content, root = stranger_signed((copy / unsigned["path"]).read_bytes(), tmp_path / "re-signed",
                                        timestamp=True)
        (copy / regulation["path"]).write_bytes(content)
        (copy / "trust-root.pem").write_bytes(root)
        rehash_manifest(copy, lambda m: document_path(m, "regulation").update(
            expected_sha256=hashlib.sha256(content).hexdigest()))

    def one_signature_revision(copy):
        first = document_path(manifest, "regulation", revision=1)
        content = (copy / first["path"]).read_bytes()
        (copy / regulation["path"]).write_bytes(content)
        rehash_manifest(copy, lambda m: document_path(m, "regulation").update(
            expected_sha256=hashlib.sha256(content).hexdigest()))

    def untimestamped(copy):
        unsigned = document_path(manifest, "regulation", revision=0)
        content, root = stranger_signed((copy / unsigned["path"]).read_bytes(), tmp_path / "untimestamped",
                                        timestamp=False)
        (copy / regulation["path"]).write_bytes(content)
        (copy / "trust-root.pem").write_bytes(root)
        rehash_manifest(copy, lambda m: document_path(m, "regulation").update(
            expected_sha256=hashlib.sha256(content).hexdigest()))

    def other_certificate_listed(copy):
        rehash_manifest(copy, lambda m: document_path(m, "regulation", revision=2)["signed_here"][0].update(
            certificate_sha256="0" * 64))

    def broken_stage_chain(copy):
        rehash_manifest(copy, lambda m: document_path(m, "masterplan").update(previous_stage_sha256="1" * 64))

    def event_in_a_gap(copy):
        rows = json.loads((copy / "events.json").read_text())
        at = jumps[0]
        fake = {**rows[at - 1], "sequence": rows[at - 1]["sequence"] + 1, "action": "role.changed",
                "details": {"note": "disisipkan"}, "prev_hash": rows[at - 1]["hash"]}
        fake["hash"] = load_script().event_hash(fake["prev_hash"], load_script().event_payload(fake))
        rows.insert(at, fake)
        write_events(copy, rows)
        rehash_manifest(copy)

    forgeries = [edit, delete, append, rewrite_from_middle, other_regions_regulation, re_signed_fake,
                 one_signature_revision, untimestamped, other_certificate_listed, broken_stage_chain, event_in_a_gap]
    for forge in forgeries:
        output = forged(forge.__name__, forge)
        assert "manifest.json.p7s: tanda tangan tidak sah" in output, forge.__name__
    assert len(failures) == 11

    # Beyond the manifest's signature, each forgery is named by its own check.
    assert "tidak terbukti termasuk dalam log" in failures["edit"]
    assert "tidak terbukti termasuk dalam log" in failures["rewrite_from_middle"]
    assert "tidak terbukti termasuk dalam log" in failures["append"]
    assert "tidak terbukti termasuk dalam log" in failures["event_in_a_gap"]
    assert "bukan akar yang diterbitkan" in failures["re_signed_fake"]
    assert "bukan akar yang diterbitkan" in failures["untimestamped"]
    assert "1 tanda tangan, seharusnya 2" in failures["one_signature_revision"]
    assert "sertifikat bukan yang tercantum di manifest" in failures["other_certificate_listed"]
    assert "tidak menyebut dokumen final tahap sebelumnya" in failures["broken_stage_chain"]
    assert "sertifikat bukan yang tercantum di manifest" in failures["other_regions_regulation"]
    # A deleted event leaves its neighbours relinked: the link to the event before no longer holds.
    assert "tidak terbukti termasuk dalam log" in failures["delete"]
    # Without the manifest's signature at all.
    assert "manifest tidak ditandatangani" in forged("unsigned", edit, keep_signature=False)


def test_the_checker_requires_a_timestamp_on_every_signature(tmp_path, completed):
    banjar, _solok = completed
    unsigned = StoredPdf.objects.get(document__programme=banjar, document__kind="mou", revision=0)
    with unsigned.file.open("rb") as handle:
        content, root = stranger_signed(handle.read(), tmp_path, timestamp=False)
    from pyhanko.keys import load_certs_from_pemder_data

    script = load_script()
    count, problems = script.check_signatures(content, list(load_certs_from_pemder_data(root)))
    assert ("tanda tangan ttd_pemalsu: tanpa cap waktu", "signature ttd_pemalsu: no timestamp") in problems


def test_with_the_authority_folder_lost_the_bundle_still_goes_out_and_says_it_is_unsealed(programme, as_user,
                                                                                         tmp_path, settings):
    banjar = programme("kota-banjar")
    driver.run_programme(banjar, only_stage=Stage.MOU)
    settings.SIGNING = {**settings.SIGNING, "AUTHORITY_DIR": tmp_path / "hilang"}
    folder = unzip(download(as_user("auditor"), banjar), tmp_path / "bundle")
    assert not (folder / "manifest.json.p7s").exists()
    result = check(folder)
    assert result.returncode == 1 and "manifest tidak ditandatangani" in result.stdout
    assert "[3]" in result.stdout and "SEMUA SESUAI" not in result.stdout
