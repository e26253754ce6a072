"""Stored files against the database: missing files, changed files and orphans under MEDIA_ROOT.

``storage_check`` reads every row of ``HASHED_FILES`` (PDF revisions, paraf copies, attachments),
finds its file and compares the file's SHA-256 and size with the row's; then lists the files
under the media root that no row names (orphans: files of a transaction that rolled back, a
partial write). An orphan younger than ``ORPHAN_MIN_AGE`` may belong to a transaction still
running, so it is only reported as recent; ``orphans_delete`` removes only the older ones.
Used by ``manage.py check_storage``, the Celery task ``agreements.tasks.check_storage`` and the
restore's final check (agreements.backup).
"""

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

from sepakat import media

from .stored_files import HASHED_FILES

logger = logging.getLogger(__name__)

ORPHAN_MIN_AGE = timedelta(minutes=60)
CHUNK = 1024 * 1024

MISSING = "Berkas hilang: %(name)s (%(kind)s #%(pk)s) tercatat di basis data, tetapi tidak ada di penyimpanan."
NO_NAME = "Berkas hilang: %(kind)s #%(pk)s tidak mencatat nama berkas."
MISMATCH = (
    "Berkas berubah: %(name)s (%(kind)s #%(pk)s) ber-SHA-256 %(found)s (%(found_size)s bita), "
    "basis data mencatat %(recorded)s (%(recorded_size)s bita)."
)
ORPHAN = "Berkas yatim: %(name)s (%(size)s bita, %(age)s menit) tidak dirujuk baris mana pun."


@dataclass(frozen=True)
class FileRow:
    """One row's record of its file: what the database says should be on disk."""

    kind: str  # "agreements.StoredPdf"
    pk: int
    name: str  # relative to the media root
    sha256: str
    size: int | None


@dataclass(frozen=True)
class FileProblem:
    row: FileRow
    message: str


@dataclass(frozen=True)
class Orphan:
    name: str
    size: int
    age: timedelta

    @property
    def message(self) -> str:
        return ORPHAN % {"name": self.name, "size": self.size, "age": int(self.age.total_seconds() // 60)}


@dataclass
class StorageReport:
    checked: int = 0
    missing: list[FileProblem] = field(default_factory=list)
    mismatched: list[FileProblem] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)  # older than the minimum age: something is wrong
    recent_orphans: list[Orphan] = field(default_factory=list)  # perhaps a transaction still running
    deleted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.mismatched or self.orphans)

    @property
    def file_problems(self) -> list[FileProblem]:
        return [*self.missing, *self.mismatched]

    def problem_lines(self) -> list[str]:
        return [p.message for p in self.file_problems] + [o.message for o in self.orphans]


def file_rows(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[FileRow]:
    """Every row of HASHED_FILES, as the database records it."""
    for hashed in HASHED_FILES:
        rows = hashed.model._default_manager.using(using).order_by("pk").values_list(
            "pk", hashed.file_field, hashed.sha256_field, hashed.size_field)
        for pk, name, sha256, size in rows.iterator(chunk_size=2000):
            yield FileRow(hashed.label, pk, name or "", sha256, size)


def file_digest(path: Path) -> tuple[str, int]:
    """(SHA-256, size) of a file, read a chunk at a time."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def compare(rows: Iterable[FileRow], found: Callable[[str], tuple[str, int] | None], report: StorageReport) -> set[str]:
    """Check each row against ``found(name)`` -> (sha256, size) or None; returns the names the rows use."""
    names: set[str] = set()
    for row in rows:
        report.checked += 1
        facts = {"name": row.name, "kind": row.kind, "pk": row.pk}
        if not row.name:
            report.missing.append(FileProblem(row, NO_NAME % facts))
            continue
        names.add(row.name)
        seen = found(row.name)
        if seen is None:
            report.missing.append(FileProblem(row, MISSING % facts))
        elif seen[0] != row.sha256 or (row.size is not None and seen[1] != row.size):
            report.mismatched.append(FileProblem(row, MISMATCH % {
                **facts, "found": seen[0], "found_size": seen[1], "recorded": row.sha256, "recorded_size": row.size}))
    return names


def storage_check(*, root: Path | str | None = None, using: str = DEFAULT_DB_ALIAS,
                  orphan_min_age: timedelta = ORPHAN_MIN_AGE, now: datetime | None = None) -> StorageReport:
    """Every recorded file against the media root (settings.MEDIA_ROOT unless ``root``), and its orphans."""
    root = Path(root if root is not None else settings.MEDIA_ROOT)
    report = StorageReport()

    def found(name: str) -> tuple[str, int] | None:
        path = _inside(root, name)
        try:
            return file_digest(path) if path is not None and path.is_file() else None
        except OSError as error:
            logger.error("stored file unreadable: %s (%s)", path, error)
            return None

    referenced = compare(file_rows(using=using), found, report)
    now = now or datetime.now(UTC)
    for orphan in _unreferenced(root, referenced, now):
        (report.orphans if orphan.age >= orphan_min_age else report.recent_orphans).append(orphan)
    return report


def orphans_delete(report: StorageReport, *, root: Path | str | None = None,
                   using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Remove the report's old orphans (never its recent ones), each checked again just before."""
    root = Path(root if root is not None else settings.MEDIA_ROOT)
    for orphan in report.orphans:
        if media.is_referenced(orphan.name, using=using):  # a row named it since the check
            continue
        path = _inside(root, orphan.name)
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        logger.warning("orphan file deleted: %s (%s bytes)", orphan.name, orphan.size)
        report.deleted.append(orphan.name)
    report.orphans = [o for o in report.orphans if o.name not in report.deleted]
    return report.deleted


def _inside(root: Path, name: str) -> Path | None:
    """root/name, or None for a name that would lead outside the root."""
    if ".." in Path(name).parts or Path(name).is_absolute():
        return None
    return root / name


def _unreferenced(root: Path, referenced: set[str], now: datetime) -> Iterator[Orphan]:
    if not root.is_dir():
        return
    for directory, _subdirectories, files in os.walk(root):
        for file_name in sorted(files):
            path = Path(directory) / file_name
            name = path.relative_to(root).as_posix()
            if name in referenced:
                continue
            try:
                stat = path.lstat()
            except FileNotFoundError:
                continue
            modified = datetime.fromtimestamp(stat.st_mtime, UTC)
            yield Orphan(name, stat.st_size, max(now - modified, timedelta(0)))
