"""Backup and restore (manage.py backup / restore, agreements.backup).

One MoU (Kota Banjar) is driven to its final PDF and backed up once for the module, committed, with
media and authority folders of its own. Tests copy that backup and tamper with the copy: a file
that does not match the manifest is refused before anything is touched. Restoring needs an empty
database, so the round trips are transactional: they flush the database first, restore into it,
and check the result; the module gives the tests after it their world back. The same tests run on
SQLite and, in CI, on PostgreSQL (pg_dump / pg_restore); restoring into a database that never saw
``migrate`` runs the command in a subprocess, against a fresh SQLite file or a fresh PostgreSQL database.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings

from agreements import backup, pki
from agreements.models import Programme, StoredPdf
from agreements.storage_check import MISSING, storage_check
from audit.models import AuditEvent
from audit.services import CONTENT_CHANGED
from demo import driver
from demo.world import COHORT_YEAR, seed_world

pytestmark = pytest.mark.django_db

REGION = "kota-banjar"
SECRET_FILE = "authority-secret"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class BackedUp:
    folder: Path  # the backup: never changed, tests work on copies
    output: str
    head: tuple[int, str]
    stored_pdfs: int
    final_sha256: str
    final_name: str
    paraf_name: str
    token: str


def signing(**changes) -> dict:
    return {**settings.SIGNING, **changes}


def _drive_and_back_up(root: Path) -> BackedUp:
    programme = Programme.objects.get(region__slug=REGION, year=COHORT_YEAR)
    (process,) = driver.run_programme(programme, only_stage="mou")
    process.refresh_from_db()
    out = io.StringIO()
    call_command("backup", str(root / "cadangan"), stdout=out)
    final = process.final_pdf
    paraf = process.document.versions.get().paraf_copies.first()
    return BackedUp(root / "cadangan", out.getvalue(), AuditEvent.objects.values_list("pk", "hash").last(),
                    StoredPdf.objects.count(), final.sha256, final.file.name, paraf.file.name,
                    process.document.verification_token)


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory, django_db_setup, django_db_blocker):
    root = tmp_path_factory.mktemp("backup")
    authority = root / "pki"
    shutil.copytree(settings.SIGNING["AUTHORITY_DIR"], authority)
    (authority / SECRET_FILE).write_text(settings.SIGNING["AUTHORITY_SECRET"])  # where it should not be
    changed = override_settings(MEDIA_ROOT=str(root / "media"), SIGNING=signing(
        AUTHORITY_DIR=authority, AUTHORITY_SECRET_FILE=str(authority / SECRET_FILE)))
    try:
        with django_db_blocker.unblock(), changed:
            yield _drive_and_back_up(root)
    finally:
        with django_db_blocker.unblock():  # as the session began: the authority recorded, the world seeded
            call_command("flush", interactive=False, verbosity=0)
            pki.authority_init()
            seed_world()


@pytest.fixture
def copied(backed_up, tmp_path) -> Path:
    """A copy of the backup to tamper with."""
    return Path(shutil.copytree(backed_up.folder, tmp_path / "salinan"))


@pytest.fixture
def empty_target(settings, tmp_path):
    """An empty media root and authority folder to restore into."""
    settings.MEDIA_ROOT = str(tmp_path / "media-baru")
    settings.SIGNING = signing(AUTHORITY_DIR=tmp_path / "pki-baru")
    return Path(settings.MEDIA_ROOT), settings.SIGNING["AUTHORITY_DIR"]


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / backup.MANIFEST).read_text())


def manifest_save(folder: Path, manifest: dict) -> None:
    (folder / backup.MANIFEST).write_text(json.dumps(manifest, indent=2))


def entry_of(manifest: dict, path: str) -> dict:
    return next(entry for entry in manifest["files"] if entry["path"] == path)


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def restore_output(folder: Path) -> str:
    out = io.StringIO()
    call_command("restore", str(folder), stdout=out)
    return out.getvalue()


# ---------------------------------------------------------------- the backup


def test_the_manifest_lists_every_file_with_its_hash_and_what_the_set_holds(backed_up):
    folder = backed_up.folder
    manifest = manifest_of(folder)
    listed = {entry["path"]: entry for entry in manifest["files"]}
    on_disk = {path.relative_to(folder).as_posix() for path in files_under(folder)} - {backup.MANIFEST}
    assert set(listed) == on_disk
    for path, entry in listed.items():
        content = (folder / path).read_bytes()
        assert (hashlib.sha256(content).hexdigest(), len(content)) == (entry["sha256"], entry["size"]), path
    assert manifest["vendor"] == connection.vendor
    assert manifest["database"]["file"] == backup.DATABASE_FILES[connection.vendor]
    assert f"media/{backed_up.final_name}" in listed and f"media/{backed_up.paraf_name}" in listed
    assert {"authority/ca.pem", "authority/ca-key.pem", "authority/tsa-key.pem"} <= set(listed)
    assert (manifest["audit"]["last_seq"], manifest["audit"]["last_hash"]) == backed_up.head
    assert manifest["stored_pdfs"] == {"count": backed_up.stored_pdfs, "final": 1}
    on_disk = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    for app in ("agreements", "audit", "workflows"):
        assert manifest["migrations"][app] == max(name for label, name in on_disk if label == app)
    assert any(name.startswith("audit_auditevent_no_") for name in manifest["triggers"])
    assert manifest["authority"]["encrypted_at_rest"] is True
    assert manifest["authority"]["operator_secret_included"] is False
    assert manifest["problems"] == []
    assert f"Jejak audit: {manifest['audit']['count']} peristiwa, terakhir #{backed_up.head[0]}" in backed_up.output
    assert f"PDF tersimpan: {backed_up.stored_pdfs} (1 final)" in backed_up.output


def test_the_backup_is_for_its_owner_only_and_leaves_the_operator_secret_out(backed_up):
    folder = backed_up.folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    assert not (folder / "authority" / SECRET_FILE).exists()
    assert settings.SIGNING["AUTHORITY_SECRET"].encode() not in b"".join(p.read_bytes() for p in files_under(folder))
    assert "Rahasia operator" in backed_up.output and "tidak disalin" in backed_up.output
    for entry in manifest_of(folder)["files"]:
        if entry["path"].endswith("-key.pem"):
            assert (folder / entry["path"]).read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


def test_the_backup_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "lama.txt").write_text("cadangan kemarin")
    with pytest.raises(CommandError) as refused:
        call_command("backup", str(tmp_path))
    assert str(refused.value) == backup.DEST_NOT_EMPTY % {"path": tmp_path}
    assert [p.name for p in tmp_path.iterdir()] == ["lama.txt"]


def test_the_password_goes_to_pg_dump_in_its_environment_never_on_its_command_line():
    env = backup._pg_env({"NAME": "sepakat", "HOST": "db", "PORT": "5433", "USER": "sepakat", "PASSWORD": "geheim",
                          "OPTIONS": {"sslmode": "require"}})
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGPASSWORD"], env["PGSSLMODE"]) == (
        "db", "5433", "sepakat", "geheim", "require")
    assert backup._pg_dbname({"NAME": "sepakat"}) == "sepakat"


# ---------------------------------------------------------------- a backup that does not match its manifest


def test_a_pdf_with_one_byte_changed_is_refused_and_nothing_is_restored(backed_up, copied, empty_target):
    path = f"media/{backed_up.final_name}"
    content = bytearray((copied / path).read_bytes())
    content[len(content) // 2] ^= 0x01
    (copied / path).write_bytes(bytes(content))
    recorded = entry_of(manifest_of(copied), path)
    events = AuditEvent.objects.count()

    with pytest.raises(CommandError) as refused:
        restore_output(copied)

    changed = backup.FILE_CHANGED % {"path": path, "found": hashlib.sha256(content).hexdigest(),
                                     "found_size": len(content), "recorded": recorded["sha256"],
                                     "recorded_size": recorded["size"]}
    assert str(refused.value) == backup.MANIFEST_REFUSED % {"first": changed, "count": 1}
    assert files_under(empty_target[0]) == [] and files_under(empty_target[1]) == []
    assert AuditEvent.objects.count() == events


def test_a_backup_with_a_file_removed_or_added_is_refused(backed_up, copied, empty_target):
    removed = f"media/{backed_up.paraf_name}"
    (copied / removed).unlink()
    (copied / "media" / "pdf" / "tambahan.pdf").write_bytes(b"%PDF-1.7 bukan dari cadangan")

    with pytest.raises(backup.BackupError) as refused:
        backup.restore(copied)

    assert sorted(refused.value.problems) == sorted([backup.FILE_MISSING % {"path": removed},
                                                     backup.FILE_EXTRA % {"path": "media/pdf/tambahan.pdf"}])
    assert str(refused.value) == backup.MANIFEST_REFUSED % {"first": refused.value.problems[0], "count": 2}
    assert files_under(empty_target[0]) == []


def test_a_folder_without_a_manifest_is_not_a_backup(tmp_path, empty_target):
    (tmp_path / "database.sqlite3").write_bytes(b"")
    with pytest.raises(CommandError) as refused:
        restore_output(tmp_path)
    assert str(refused.value) == backup.NO_MANIFEST % {"path": tmp_path}


# ---------------------------------------------------------------- a target that is not empty


def test_restore_refuses_a_database_or_folders_that_are_not_empty(copied, empty_target):
    seed_world()
    media, authority = empty_target
    (media / "pdf").mkdir(parents=True)
    (media / "pdf" / "ada.pdf").write_bytes(b"%PDF")
    events = AuditEvent.objects.count()

    with pytest.raises(backup.BackupError) as refused:
        backup.restore(copied)

    problems = refused.value.problems
    assert any(p.startswith("Basis data tujuan tidak kosong (") for p in problems), problems
    assert backup.FOLDER_NOT_EMPTY % {"what": "media", "path": media, "first": Path("pdf/ada.pdf")} in problems
    assert str(refused.value) == backup.TARGET_REFUSED % {"first": problems[0]}
    assert AuditEvent.objects.count() == events and files_under(authority) == []


def test_a_backup_of_a_newer_version_is_refused(copied, empty_target):
    manifest = manifest_of(copied)
    manifest["migrations"]["agreements"] = "0099_dari_masa_depan"
    manifest_save(copied, manifest)
    with pytest.raises(backup.BackupError) as refused:
        backup.restore(copied)
    assert backup.UNKNOWN_MIGRATION % {"app": "agreements", "name": "0099_dari_masa_depan"} in refused.value.problems


# ---------------------------------------------------------------- round trips


def _flush():
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists() and not StoredPdf.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_an_empty_database_is_the_same_set(backed_up, empty_target, client):
    _flush()

    output = restore_output(backed_up.folder)

    assert "Pemulihan selesai dan konsisten" in output, output
    assert AuditEvent.objects.values_list("pk", "hash").last() == backed_up.head
    verified = io.StringIO()
    call_command("verify_audit", stdout=verified)
    assert f"Rantai utuh: {backed_up.head[0]} peristiwa diperiksa." in verified.getvalue()
    assert StoredPdf.objects.count() == backed_up.stored_pdfs
    final = StoredPdf.objects.get(is_final=True)
    assert final.sha256 == backed_up.final_sha256
    assert hashlib.sha256((empty_target[0] / final.file.name).read_bytes()).hexdigest() == final.sha256
    assert storage_check().ok
    with pytest.raises(DatabaseError), transaction.atomic():  # the write-once triggers came back with the data
        StoredPdf.objects.filter(pk=final.pk).update(sha256="0" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=1).delete()
    page = client.get(f"/verifikasi/{backed_up.token}/")  # the restored files and authority verify it
    assert page.status_code == 200 and page.context["verification"].genuine, page.content.decode()[:2000]


@pytest.mark.django_db(transaction=True)
def test_a_set_whose_database_names_a_missing_file_is_restored_but_declared_unusable(backed_up, copied, empty_target):
    manifest = manifest_of(copied)
    missing = f"media/{backed_up.final_name}"
    (copied / missing).unlink()  # as if the file was already gone when the backup was made
    manifest["files"] = [entry for entry in manifest["files"] if entry["path"] != missing]
    broken_seq = None
    if connection.vendor == "sqlite":  # and an audit event edited inside the backed-up database
        broken_seq = _edit_an_audit_event(copied / "database.sqlite3")
        entry = entry_of(manifest, "database.sqlite3")
        content = (copied / "database.sqlite3").read_bytes()
        entry.update(sha256=hashlib.sha256(content).hexdigest(), size=len(content))
    manifest_save(copied, manifest)
    _flush()

    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("restore", str(copied), stdout=out)

    output = out.getvalue()
    final = StoredPdf.objects.get(is_final=True)
    assert str(failed.value).startswith("Hasil pemulihan TIDAK konsisten")
    assert failed.value.returncode == 1
    assert MISSING % {"name": backed_up.final_name, "kind": "agreements.StoredPdf", "pk": final.pk} in output
    if broken_seq is not None:
        assert CONTENT_CHANGED % {"seq": broken_seq} in output
    assert "Pemulihan selesai" not in output


def _edit_an_audit_event(database: Path) -> int:
    """Change one event in a SQLite file with its trigger out of the way, then put the trigger back."""
    db = sqlite3.connect(database)
    try:
        (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_auditevent_no_update'").fetchone()
        seq = db.execute("SELECT MIN(id) + 3 FROM audit_auditevent").fetchone()[0]
        db.execute("DROP TRIGGER audit_auditevent_no_update")
        db.execute("UPDATE audit_auditevent SET actor_label = 'Orang Lain' WHERE id = ?", [seq])
        db.execute(sql)
        db.commit()
    finally:
        db.close()
    return seq


def _fresh_database_url(vendor: str, tmp_path: Path) -> tuple[str, object]:
    """A database that never saw migrate, and how to remove it."""
    if vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'baru.sqlite3'}", lambda: None
    name = f"{connection.settings_dict['NAME']}_pulih_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    options = connection.settings_dict
    password = f":{options['PASSWORD']}" if options.get("PASSWORD") else ""
    url = f"postgres://{options['USER']}{password}@{options['HOST'] or '127.0.0.1'}:{options['PORT'] or 5432}/{name}"

    def drop():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


@pytest.mark.slow  # a second Django process
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("vendor", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_command_restores_into_a_database_that_never_saw_migrate(vendor, backed_up, tmp_path):
    if connection.vendor != vendor:
        pytest.skip(f"the suite runs on {connection.vendor}; CI runs it on both")
    url, drop = _fresh_database_url(vendor, tmp_path)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sepakat.settings", "DJANGO_ENV": "development",
           "DATABASE_URL": url, "MEDIA_ROOT": str(tmp_path / "media"), "SIGNING_AUTHORITY_DIR": str(tmp_path / "pki"),
           "SEPAKAT_AUTHORITY_SECRET": settings.SIGNING["AUTHORITY_SECRET"], "LOG_LEVEL": "WARNING"}
    script = ("from django.core.management import call_command as run\n"
              f"run('restore', {str(backed_up.folder)!r})\nrun('verify_audit')\nrun('check_storage')\n")
    try:
        done = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
    finally:
        drop()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Pemulihan selesai dan konsisten" in done.stdout
    assert f"Rantai utuh: {backed_up.head[0]} peristiwa diperiksa." in done.stdout
    assert "0 hilang, 0 berubah, 0 yatim" in done.stdout
