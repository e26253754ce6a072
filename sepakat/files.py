"""Files on disk are for the server's user only: var/ 0700, the SQLite database and its journals 0600.

Django creates the SQLite file on the first connection with the process umask (usually 0644):
``restrict_sqlite_file`` runs on every new connection (``connection_created``) and takes group and
other access away. Media (PDFs) follow FILE_UPLOAD_PERMISSIONS, the PKI follows
agreements.signing.authority. SQLite gives its -wal/-journal files the database file's mode.
"""

import os
from pathlib import Path

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def private_directory(path: Path) -> None:
    """Create ``path`` 0700 (or take group and other access away if it exists). Best effort."""
    try:
        path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        if path.stat().st_mode & 0o077:
            os.chmod(path, DIRECTORY_MODE)
    except OSError:  # read-only mount, another owner: docs/operations.md tells the operator what to set
        pass


def restrict_sqlite_file(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return
    for path in (name, f"{name}-wal", f"{name}-shm", f"{name}-journal"):
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, FILE_MODE)
        except FileNotFoundError:
            continue
        except OSError:
            pass


def connect():
    from django.db.backends.signals import connection_created  # not at import: settings.py imports this module

    connection_created.connect(restrict_sqlite_file, dispatch_uid="sepakat.files.restrict_sqlite_file")
