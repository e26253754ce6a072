"""Backing up one installation into a folder, and restoring it into an empty one.

A backup folder holds (files 0600, folders 0700):

    manifest.json       every other file of the folder with its SHA-256 and size, and what the set holds:
                        creation time, database vendor, latest applied migration of each app, the audit
                        chain's head (last event and its hash), the database's triggers, the stored files
    database.sqlite3    SQLite: a copy made with the sqlite3 online backup API (consistent while the server runs)
    database.pgdump     PostgreSQL: ``pg_dump --format=custom`` (schema, data and the write-once triggers)
    media/              MEDIA_ROOT: PDF revisions, paraf copies, attachments
    authority/          SIGNING["AUTHORITY_DIR"] as it is: its private keys are encrypted at rest with the
                        operator's secret (PKCS#8 PBES2). The secret itself is never copied into a backup.

The database is read from one snapshot (SQLite: the copy itself; PostgreSQL: an exported snapshot that
pg_dump shares), so the manifest's facts are those of the dumped data. Stored files are write-once and
written before the row that names them commits, so every file the snapshot names is on disk when the
media are copied after it; files newer than the snapshot come along as orphans, which do no harm.
Before it finishes, the backup checks the set: each file row of the snapshot against the copied media,
the audit chain up to the recorded head. A problem does not stop the backup (the set is kept, the
problems are written into the manifest), but the command exits 1.

Restoring checks every file against the manifest before anything is touched, refuses a target that is
not empty (a user or an audit event in the database, a file under MEDIA_ROOT or the authority folder),
loads the database, copies the files, and then checks the restored set: the audit chain reaches the
recorded head, every recorded file is there with its SHA-256, the triggers are back, the authority
folder holds the CA the audit log records. It checks after loading, not before (docs/operations.md,
"Cadangan dan pemulihan"): a restore that fails those checks says so and must not be used.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections

from audit.models import AuditEvent, Checkpoint
from audit.services import GENESIS_HASH, ChainReport, chain_check, checkpoint_anchors

from .models import StoredPdf
from .storage_check import FileRow, StorageReport, compare, file_digest, storage_check
from .stored_files import HASHED_FILES

FORMAT = "sepakat-backup/1"
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MEDIA = "media"
AUTHORITY = "authority"
FILE_MODE, DIRECTORY_MODE = 0o600, 0o700
CHUNK = 1024 * 1024
AUTHORITY_NOTE = ("The authority folder is copied as it is: its private keys are encrypted at rest with the "
                  "operator's secret (PKCS#8 PBES2). The secret is not in this backup: keep it apart.")

# Backup
DEST_NOT_EMPTY = "Folder tujuan %(path)s sudah ada dan tidak kosong: pilih folder baru (cadangan tidak ditimpa)."
DEST_INSIDE = "Folder tujuan %(path)s berada di dalam %(source)s, yang ikut dicadangkan: pilih folder di luarnya."
DEST_NOT_A_FOLDER = "Tujuan %(path)s sudah ada dan bukan folder."
VENDOR_UNSUPPORTED = "Basis data %(vendor)s tidak didukung: hanya SQLite dan PostgreSQL."
IN_TRANSACTION = "Pencadangan dan pemulihan harus berjalan di luar transaksi basis data."
TOOL_MISSING = ("Program %(tool)s tidak ditemukan di PATH: pasang klien PostgreSQL yang versinya sama dengan "
                "servernya (mis. paket postgresql-client).")
TOOL_FAILED = "%(tool)s gagal (status %(status)s): %(stderr)s"
SECRET_SKIPPED = "Rahasia operator %(path)s ada di dalam folder yang dicadangkan: tidak disalin (simpan terpisah)."
NOT_REGULAR = "Dilewati (bukan berkas biasa): %(path)s"
PLAIN_KEY = ("Kunci privat tanpa enkripsi di folder otoritas: %(path)s. Jalankan manage.py init_pki untuk "
             "mengenkripsinya.")
NO_FOLDER = "Folder %(what)s %(path)s tidak ada: cadangan tidak memuatnya."
CHAIN_BROKEN = "Rantai audit: %(problem)s"
FAILED_HALFWAY = "Pencadangan gagal: %(why)s. Yang sudah ditulis ke %(path)s dihapus lagi."

# Restore: the manifest
NOT_A_BACKUP = "%(path)s bukan folder cadangan Sepakat."
NO_MANIFEST = "Cadangan ditolak: %(path)s tidak memuat manifest.json."
BAD_MANIFEST = "Cadangan ditolak: manifest.json tidak dapat dibaca (%(why)s)."
BAD_PATH = "Cadangan ditolak: manifest menyebut jalur yang tidak sah: %(path)s."
FILE_MISSING = "berkas %(path)s tercantum di manifest tetapi tidak ada"
FILE_CHANGED = ("berkas %(path)s tidak cocok dengan manifest: SHA-256 %(found)s (%(found_size)s bita), "
                "manifest mencatat %(recorded)s (%(recorded_size)s bita)")
FILE_EXTRA = "berkas %(path)s ada di folder cadangan tetapi tidak tercantum di manifest"
MANIFEST_REFUSED = "Cadangan ditolak, tidak ada yang dipulihkan: %(first)s (%(count)s masalah)."
NO_DATABASE = "Cadangan ditolak: manifest tidak menyebut berkas basis data."
# Restore: the target
VENDOR_DIFFERS = "Cadangan berasal dari basis data %(backup)s; basis data tujuan %(target)s."
UNKNOWN_MIGRATION = ("Cadangan dibuat oleh versi Sepakat yang lebih baru: migrasi %(app)s.%(name)s tidak dikenal "
                     "di sini. Pasang versi itu (atau yang lebih baru), lalu pulihkan.")
DB_NOT_EMPTY = ("Basis data tujuan tidak kosong (%(what)s). Pulihkan ke basis data baru, kosong atau yang belum "
                "dimigrasi.")
FOLDER_NOT_EMPTY = "Folder %(what)s %(path)s tidak kosong (mis. %(first)s): pulihkan ke folder kosong."
TARGET_REFUSED = "Pemulihan ditolak, tidak ada yang diubah: %(first)s"
# Restore: loading, and the checks after it
LOAD_FAILED = ("Basis data tidak dapat dimuat, tidak ada yang dipulihkan (pemuatan berjalan dalam satu transaksi): "
               "%(why)s")
PARTIAL = ("Pemulihan terhenti di tengah jalan: %(why)s. Basis data dan folder tujuan terisi sebagian dan TIDAK "
           "boleh dipakai: kosongkan, lalu pulihkan lagi.")
HEAD_DIFFERS = ("Kepala rantai audit hasil pemulihan (#%(found_seq)s, %(found_hash)s) tidak sama dengan manifest "
                "(#%(seq)s, %(hash)s).")
COUNT_DIFFERS = "Jumlah PDF tersimpan hasil pemulihan %(found)s, manifest mencatat %(recorded)s."
TRIGGER_MISSING = "Trigger write-once %(name)s tidak ada setelah pemulihan."
AUTHORITY_LOCKED = ("Folder otoritas tidak dapat dibuka dengan rahasia operator yang dipasang (%(why)s): "
                    "penandatanganan berhenti sampai rahasia yang benar dipasang.")
MIGRATE_NEEDED = "Kode ini memiliki migrasi yang belum diterapkan: jalankan manage.py migrate."
RECORDED = "Dicatat saat pencadangan: %(line)s"
ORPHAN_NOTE = "%(message)s (sudah ada di cadangan; dapat dihapus dengan check_storage --delete-orphans)"


class BackupError(Exception):
    """A backup or restore refused or failed; ``problems`` lists everything found, the message the first."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    manifest_sha256: str
    warnings: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.manifest["problems"]


@dataclass
class RestoreResult:
    manifest: dict
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checked_files: int = 0
    checked_events: int = 0


# ---------------------------------------------------------------- backup


def backup_make(destination: Path, *, using: str = DEFAULT_DB_ALIAS) -> BackupResult:
    """Write the database, the media and the authority folder, and their manifest, into ``destination``."""
    destination = Path(destination)
    connection = connections[using]
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(VENDOR_UNSUPPORTED % {"vendor": connection.vendor})
    for source in (Path(settings.MEDIA_ROOT), Path(settings.SIGNING["AUTHORITY_DIR"])):
        if destination.resolve().is_relative_to(source.resolve()):
            raise BackupError(DEST_INSIDE % {"path": destination, "source": source})
    if destination.exists() and not destination.is_dir():
        raise BackupError(DEST_NOT_A_FOLDER % {"path": destination})
    if destination.is_dir() and any(destination.iterdir()):
        raise BackupError(DEST_NOT_EMPTY % {"path": destination})
    if connection.in_atomic_block:
        raise BackupError(IN_TRANSACTION)
    made = _destination_prepare(destination)
    try:
        with _private_umask():
            return _backup_into(destination, connection)
    except BaseException as error:
        if made:
            shutil.rmtree(destination, ignore_errors=True)
        else:
            for child in destination.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        if isinstance(error, BackupError):
            raise
        if isinstance(error, Exception):
            raise BackupError(FAILED_HALFWAY % {"why": error, "path": destination}) from error
        raise


def _destination_prepare(destination: Path) -> bool:
    """True when the folder was made here (an empty one that existed is only made private)."""
    if destination.exists():
        os.chmod(destination, DIRECTORY_MODE)
        return False
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.mkdir(mode=DIRECTORY_MODE)
    os.chmod(destination, DIRECTORY_MODE)
    return True


def _backup_into(destination: Path, connection) -> BackupResult:
    vendor = connection.vendor
    database_file = destination / DATABASE_FILES[vendor]
    snapshot = _sqlite_copy(connection, database_file) if vendor == "sqlite" else _pg_dump(connection, database_file)
    os.chmod(database_file, FILE_MODE)
    files = [_entry(database_file, DATABASE_FILES[vendor])]
    warnings: list[str] = []
    secret = _secret_path()
    for what, source, prefix in ((MEDIA, Path(settings.MEDIA_ROOT), MEDIA),
                                 (AUTHORITY, Path(settings.SIGNING["AUTHORITY_DIR"]), AUTHORITY)):
        _directory_make(destination / prefix)
        if not source.is_dir():
            warnings.append(NO_FOLDER % {"what": what, "path": source})
            continue
        files += _tree_copy(source, destination / prefix, prefix, skip=secret, warnings=warnings)
    warnings += _plain_keys(destination, files)
    problems = _set_problems(snapshot, files)
    manifest = {
        "format": FORMAT,
        "created": datetime.now(UTC).isoformat(),
        "vendor": vendor,
        "database": {"file": DATABASE_FILES[vendor],
                     "format": "sqlite3 online backup" if vendor == "sqlite" else "pg_dump --format=custom"},
        "migrations": snapshot["migrations"],
        "audit": snapshot["audit"],
        "checkpoints": snapshot["checkpoints"],
        "stored_pdfs": snapshot["stored_pdfs"],
        "stored_files": snapshot["stored_files"],
        "users": snapshot["users"],
        "triggers": snapshot["triggers"],
        "media": {"folder": MEDIA, "source": str(settings.MEDIA_ROOT)},
        "authority": {"folder": AUTHORITY, "source": str(settings.SIGNING["AUTHORITY_DIR"]),
                      "encrypted_at_rest": True, "operator_secret_included": False, "note": AUTHORITY_NOTE},
        "problems": problems,
        "warnings": warnings,
        "files": sorted(files, key=lambda entry: entry["path"]),
    }
    body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    _write_new(destination / MANIFEST, body)
    return BackupResult(destination, manifest, hashlib.sha256(body).hexdigest(), warnings)


def _sqlite_copy(connection, target: Path) -> dict:
    """The sqlite3 online backup API, all pages in one step: one consistent snapshot, readers and writers wait."""
    connection.ensure_connection()
    _write_new(target, b"")
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()
    reader = sqlite3.connect(f"{target.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return _snapshot_facts(reader.cursor(), "sqlite")
    finally:
        reader.close()


def _pg_dump(connection, target: Path) -> dict:
    """pg_dump of an exported snapshot; the manifest's facts are read in that same snapshot."""
    tool = _tool("pg_dump")
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
            facts = _snapshot_facts(cursor, "postgresql")
            _run([tool, "--format=custom", f"--snapshot={snapshot_id}", f"--file={target}", "--no-password",
                  f"--dbname={_pg_dbname(connection.settings_dict)}"], connection.settings_dict)
        finally:
            cursor.execute("ROLLBACK")
    return facts


def _snapshot_facts(cursor, vendor: str) -> dict:
    """What the manifest says about the database, read with plain SQL from the snapshot that was dumped."""
    def select(model_or_table, columns: str, tail: str = "") -> list[tuple]:
        table = model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table
        cursor.execute(f"SELECT {columns} FROM {_q(table)} {tail}")  # noqa: S608 - names from the models' _meta
        return list(cursor.fetchall())

    latest: dict[str, str] = {}
    for app, name in select("django_migrations", '"app", "name"'):
        latest[app] = max(latest.get(app, ""), name)
    head = select(AuditEvent, '"id", "hash"', 'ORDER BY "id" DESC LIMIT 1')
    checkpoint = select(Checkpoint, '"seq"', 'ORDER BY "seq" DESC LIMIT 1')
    file_rows: list[FileRow] = []
    for hashed in HASHED_FILES:
        columns = ", ".join(_q(hashed.column(name)) for name in (
            hashed.model._meta.pk.name, hashed.file_field, hashed.sha256_field, hashed.size_field))
        pk = _q(hashed.model._meta.pk.column)
        file_rows += [FileRow(hashed.label, *row) for row in select(hashed.model, columns, f"ORDER BY {pk}")]
    cursor.execute(TRIGGERS_SQL[vendor])
    triggers = [name for (name,) in cursor.fetchall()]
    return {
        "migrations": dict(sorted(latest.items())),
        "audit": {"count": select(AuditEvent, "COUNT(*)")[0][0], "last_seq": head[0][0] if head else None,
                  "last_hash": head[0][1] if head else GENESIS_HASH},
        "checkpoints": {"last_seq": checkpoint[0][0] if checkpoint else None},
        "stored_pdfs": {"count": select(StoredPdf, "COUNT(*)")[0][0],
                        "final": select(StoredPdf, "COUNT(*)", 'WHERE "is_final"')[0][0]},
        "stored_files": {h.label: sum(row.kind == h.label for row in file_rows) for h in HASHED_FILES},
        "file_rows": file_rows,
        "users": select(get_user_model(), "COUNT(*)")[0][0],
        "triggers": triggers,
    }


TRIGGERS_SQL = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
    "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' ORDER BY tgname",
}


def _set_problems(snapshot: dict, files: list[dict]) -> list[str]:
    """The snapshot's file rows against the media just copied, and the audit chain up to the snapshot's head."""
    copied = {entry["path"][len(MEDIA) + 1:]: (entry["sha256"], entry["size"])
              for entry in files if entry["path"].startswith(f"{MEDIA}/")}
    report = StorageReport()
    compare(snapshot["file_rows"], copied.get, report)
    head = snapshot["audit"]
    _chain, chain_problems = _chain_problems(expect_hash=head["last_hash"] if head["last_seq"] is not None else "")
    return [p.message for p in report.file_problems] + chain_problems


def _chain_problems(*, expect_hash: str) -> tuple[ChainReport, list[str]]:
    """As manage.py verify_audit: the chain, its signed checkpoints, and ``expect_hash`` in it."""
    anchors, problems = checkpoint_anchors()
    report = chain_check(expect_hash=expect_hash, anchors=anchors)
    found = [] if report.intact else [report.problem]
    return report, [CHAIN_BROKEN % {"problem": problem} for problem in found + problems]


def _plain_keys(destination: Path, files: list[dict]) -> list[str]:
    found = []
    for entry in files:
        if entry["path"].startswith(f"{AUTHORITY}/") and entry["size"] < 1024 * 1024:
            content = (destination / entry["path"]).read_bytes()
            if b"PRIVATE KEY-----" in content and b"BEGIN ENCRYPTED PRIVATE KEY" not in content:
                found.append(PLAIN_KEY % {"path": entry["path"]})
    return found


# ---------------------------------------------------------------- restore


def manifest_check(source: Path) -> dict:
    """The backup's manifest, once every file of the folder matches it; BackupError naming the first that does not."""
    source = Path(source)
    if not source.is_dir():
        raise BackupError(NOT_A_BACKUP % {"path": source})
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        listed = {entry["path"]: entry for entry in manifest["files"]}
        manifest["database"]["file"], manifest["vendor"], manifest["audit"]["last_hash"]  # noqa: B018
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format {manifest.get('format')!r}, expected {FORMAT}")
    except FileNotFoundError as error:
        raise BackupError(NO_MANIFEST % {"path": source}) from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BackupError(BAD_MANIFEST % {"why": error}) from error
    for path in listed:
        if not isinstance(path, str) or not path or Path(path).is_absolute() or ".." in Path(path).parts \
                or path == MANIFEST:
            raise BackupError(BAD_PATH % {"path": path})
    if manifest["database"]["file"] not in listed:
        raise BackupError(NO_DATABASE)
    present = {path.relative_to(source).as_posix() for path in _files_under(source)} - {MANIFEST}
    problems = []
    for path in sorted(set(listed) | present):
        entry = listed.get(path)
        if entry is None:
            problems.append(FILE_EXTRA % {"path": path})
        elif path not in present:
            problems.append(FILE_MISSING % {"path": path})
        else:
            sha256, size = file_digest(source / path)
            if (sha256, size) != (entry["sha256"], entry["size"]):
                problems.append(FILE_CHANGED % {"path": path, "found": sha256, "found_size": size,
                                                "recorded": entry["sha256"], "recorded_size": entry["size"]})
    if problems:
        raise BackupError(MANIFEST_REFUSED % {"first": problems[0], "count": len(problems)}, problems)
    return manifest


def restore(source: Path, *, using: str = DEFAULT_DB_ALIAS, say: Callable[[str], None] = lambda line: None
            ) -> RestoreResult:
    """Check the backup, refuse a target that is not empty, load it, then check what was restored."""
    source = Path(source)
    connection = connections[using]
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(VENDOR_UNSUPPORTED % {"vendor": connection.vendor})
    manifest = manifest_check(source)
    say(f"Manifest cocok: {len(manifest['files'])} berkas, dibuat {manifest['created']}.")
    refused = _target_problems(connection, manifest)
    if refused:
        raise BackupError(TARGET_REFUSED % {"first": refused[0]}, refused)
    if connection.in_atomic_block:
        raise BackupError(IN_TRANSACTION)
    recorded = [*manifest.get("problems", []), *manifest.get("warnings", [])]
    result = RestoreResult(manifest, warnings=[RECORDED % {"line": line} for line in recorded])
    listed = {entry["path"]: entry for entry in manifest["files"]}
    with _private_umask():
        try:
            _database_load(connection, source / manifest["database"]["file"])
        except (BackupError, sqlite3.Error) as error:
            raise BackupError(LOAD_FAILED % {"why": error}) from error
        say(f"Basis data dimuat ({manifest['vendor']}).")
        try:
            for prefix, target in ((MEDIA, Path(settings.MEDIA_ROOT)),
                                   (AUTHORITY, Path(settings.SIGNING["AUTHORITY_DIR"]))):
                copied = _restore_tree(source, prefix, target, listed)
                say(f"{copied} berkas dipulihkan ke {target}.")
        except (BackupError, OSError) as error:
            raise BackupError(PARTIAL % {"why": error}) from error
    _restored_check(connection, manifest, result)
    return result


def _target_problems(connection, manifest: dict) -> list[str]:
    problems = []
    if manifest["vendor"] != connection.vendor:
        problems.append(VENDOR_DIFFERS % {"backup": manifest["vendor"], "target": connection.vendor})
    from django.db.migrations.loader import MigrationLoader

    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    for app, name in manifest["migrations"].items():
        if (app, name) not in known:
            problems.append(UNKNOWN_MIGRATION % {"app": app, "name": name})
    tables = set(connection.introspection.table_names())
    for model, what in ((get_user_model(), "pengguna"), (AuditEvent, "peristiwa audit")):
        if model._meta.db_table in tables:
            count = model._default_manager.using(connection.alias).count()
            if count:
                problems.append(DB_NOT_EMPTY % {"what": f"{count} {what}"})
    for what, folder in ((MEDIA, Path(settings.MEDIA_ROOT)), (AUTHORITY, Path(settings.SIGNING["AUTHORITY_DIR"]))):
        first = next(_files_under(folder), None) if folder.is_dir() else None
        if first is not None:
            problems.append(FOLDER_NOT_EMPTY % {"what": what, "path": folder, "first": first.relative_to(folder)})
    return problems


def _database_load(connection, database_file: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        backup = sqlite3.connect(f"{database_file.resolve().as_uri()}?mode=ro", uri=True)
        try:
            backup.backup(connection.connection)  # the whole file, page by page: schema, data, triggers
        finally:
            backup.close()
        return
    tool = _tool("pg_restore")
    connection.close()
    # Schema and data in one transaction: the tables are created, filled, and only then get their indexes,
    # constraints and triggers (pg_restore's post-data section), so the write-once triggers never see the load.
    # --clean --if-exists replaces the tables of an empty, already migrated database.
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error",
          "--no-password", f"--dbname={_pg_dbname(connection.settings_dict)}", str(database_file)],
         connection.settings_dict)


def _restore_tree(source: Path, prefix: str, target: Path, listed: dict) -> int:
    _directory_make(target)
    copied = 0
    for path, entry in sorted(listed.items()):
        if not path.startswith(f"{prefix}/"):
            continue
        relative = Path(path[len(prefix) + 1:])
        for parent in reversed(relative.parents[:-1]):
            _directory_make(target / parent)
        sha256, size = _file_copy(source / path, target / relative)
        if (sha256, size) != (entry["sha256"], entry["size"]):  # changed since manifest_check read it
            raise BackupError(FILE_CHANGED % {"path": path, "found": sha256, "found_size": size,
                                              "recorded": entry["sha256"], "recorded_size": entry["size"]})
        copied += 1
    return copied


def _restored_check(connection, manifest: dict, result: RestoreResult) -> None:
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # the restored database's ids, not the ones cached before
    audit = manifest["audit"]
    chain, chain_problems = _chain_problems(expect_hash=audit["last_hash"] if audit["last_seq"] is not None else "")
    result.checked_events = chain.checked
    result.problems += chain_problems
    head = AuditEvent.objects.using(connection.alias).order_by("-pk").values_list("pk", "hash").first() \
        or (None, GENESIS_HASH)
    if head != (audit["last_seq"], audit["last_hash"]):
        result.problems.append(HEAD_DIFFERS % {"found_seq": head[0], "found_hash": head[1], "seq": audit["last_seq"],
                                               "hash": audit["last_hash"]})
    storage = storage_check(using=connection.alias)
    result.checked_files = storage.checked
    result.problems += [problem.message for problem in storage.file_problems]
    result.warnings += [ORPHAN_NOTE % {"message": o.message} for o in [*storage.orphans, *storage.recent_orphans]]
    found = StoredPdf.objects.using(connection.alias).count()
    if found != manifest["stored_pdfs"]["count"]:
        result.problems.append(COUNT_DIFFERS % {"found": found, "recorded": manifest["stored_pdfs"]["count"]})
    with connection.cursor() as cursor:
        cursor.execute(TRIGGERS_SQL[connection.vendor])
        present = {name for (name,) in cursor.fetchall()}
    result.problems += [TRIGGER_MISSING % {"name": name} for name in manifest["triggers"] if name not in present]
    result.problems += _authority_problems(result.warnings)
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        result.warnings.append(MIGRATE_NEEDED)


def _authority_problems(warnings: list[str]) -> list[str]:
    """The restored folder must hold the CA the restored audit log records; a wrong secret is only a warning."""
    from . import pki
    from .signing import AuthorityError, load_authority

    directory = Path(settings.SIGNING["AUTHORITY_DIR"])
    if not any(_files_under(directory)):
        return []
    try:
        loaded = load_authority(directory, secret=pki.secret())
    except (AuthorityError, ValueError) as error:
        warnings.append(AUTHORITY_LOCKED % {"why": error})
        return []
    try:
        pki.check_recorded(loaded.ca_fingerprint_sha256())
    except AuthorityError as error:
        return [str(error)]
    return []


# ---------------------------------------------------------------- files and tools


def _tree_copy(source: Path, target: Path, prefix: str, *, skip: Path | None, warnings: list[str]) -> list[dict]:
    """Copy a folder (regular files only), each file hashed as it is written; its manifest entries."""
    entries = []
    for directory, subdirectories, file_names in os.walk(source):
        here = Path(directory)
        relative = here.relative_to(source)
        for name in list(subdirectories):
            if (here / name).is_symlink():
                warnings.append(NOT_REGULAR % {"path": here / name})
                subdirectories.remove(name)
        subdirectories.sort()
        _directory_make(target / relative)
        for name in sorted(file_names):
            path = here / name
            if skip is not None and path.resolve() == skip:
                warnings.append(SECRET_SKIPPED % {"path": path})
                continue
            if path.is_symlink() or not path.is_file():
                warnings.append(NOT_REGULAR % {"path": path})
                continue
            sha256, size = _file_copy(path, target / relative / name)
            entries.append({"path": f"{prefix}/{(relative / name).as_posix()}", "sha256": sha256, "size": size})
    return entries


def _file_copy(source: Path, target: Path) -> tuple[str, int]:
    """Copy to a new file (0600), keeping the modification time; the SHA-256 and size of what was written."""
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as reader, _new_file(target) as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writer.write(chunk)
    stat = source.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return digest.hexdigest(), size


@contextmanager
def _new_file(path: Path) -> Iterator:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.chmod(path, FILE_MODE)  # os.open's mode is filtered by the umask
    with os.fdopen(descriptor, "wb") as handle:
        yield handle


def _write_new(path: Path, data: bytes) -> None:
    with _new_file(path) as handle:
        handle.write(data)


def _directory_make(path: Path) -> None:
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIRECTORY_MODE)


def _entry(path: Path, name: str) -> dict:
    sha256, size = file_digest(path)
    return {"path": name, "sha256": sha256, "size": size}


def _files_under(folder: Path) -> Iterator[Path]:
    for directory, subdirectories, file_names in os.walk(folder):
        subdirectories.sort()
        for name in sorted(file_names):
            yield Path(directory) / name


def _secret_path() -> Path | None:
    configured = settings.SIGNING.get("AUTHORITY_SECRET_FILE")
    return Path(configured).resolve() if configured else None


@contextmanager
def _private_umask() -> Iterator[None]:
    """Whatever this process creates meanwhile (pg_dump's file, SQLite's) is its user's only."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(TOOL_MISSING % {"tool": name})
    return found


def _pg_dbname(settings_dict: dict) -> str:
    name = settings_dict.get("NAME") or ""
    service = (settings_dict.get("OPTIONS") or {}).get("service")
    return name or (f"service={service}" if service else "postgres")


def _pg_env(settings_dict: dict) -> dict[str, str]:
    """The connection of DATABASES[...] for libpq's tools: host, port and user, and the password as PGPASSWORD."""
    from django.db.backends.postgresql.client import DatabaseClient

    _args, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(extra or {})}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _run(command: list[str], settings_dict: dict) -> None:
    done = subprocess.run(command, env=_pg_env(settings_dict), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        tail = " ".join(done.stderr.strip().splitlines()[-5:]) or "(tanpa keterangan)"
        raise BackupError(TOOL_FAILED % {"tool": Path(command[0]).name, "status": done.returncode, "stderr": tail})
