"""Act as someone who holds the database: take the write-once triggers away for a moment."""

import importlib
from contextlib import contextmanager

from django.apps import apps
from django.db import connection

_migration = importlib.import_module("agreements.migrations.0007_write_once_triggers")
_revocations = importlib.import_module("agreements.migrations.0008_certificate_revocation")
_archives = importlib.import_module("agreements.migrations.0009_archive_revisions")


@contextmanager
def write_once_suspended():
    """The triggers are dropped inside the block and put back after it, as an attacker with DDL rights would."""
    forwards, backwards = _migration.statements(apps, connection.vendor)
    forwards = forwards + _revocations._FORWARDS.get(connection.vendor, []) + \
        {"postgresql": _archives.POSTGRESQL, "sqlite": _archives.SQLITE}.get(connection.vendor, [])
    backwards = _revocations._BACKWARDS.get(connection.vendor, []) + backwards  # they use 0007's function
    with connection.cursor() as cursor:
        for sql in backwards:
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in forwards:
                cursor.execute(sql)
