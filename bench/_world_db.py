"""Fast inserts for bench/world.py: executemany on SQLite, COPY on PostgreSQL, rows given as Python values.

Rows carry explicit primary keys (the generator numbers everything itself), so nothing is read back; the
PostgreSQL sequences are moved past the inserted ids at the end (`sequences_reset`).
"""

import datetime
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def database_url(db: str, name: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{BENCH_DIR / (name + '.sqlite3')}"
    return f"{PG_SERVER}/bench_{name}"


def sidecar_path(db: str, name: str) -> Path:
    return BENCH_DIR / f"world-{'pg' if db == 'postgres' else 'sqlite'}-{name}.json"


def database_reset(db: str, name: str) -> None:
    """An empty database for the world: the SQLite file removed, the PostgreSQL database dropped and made again."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = BENCH_DIR / f"{name}.sqlite3{suffix}"
            if path.exists():
                path.unlink()
        return
    for sql in (f'DROP DATABASE IF EXISTS "bench_{name}" WITH (FORCE)', f'CREATE DATABASE "bench_{name}"'):
        subprocess.run(  # noqa: S603 - fixed arguments
            ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql],  # noqa: S607
            check=True, env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
        )


_UTC = datetime.UTC


def _sqlite_value(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(_UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is True or value is False:
        return int(value)
    return value


class Writer:
    """Inserts rows into one table after another, committing per table; counts what it wrote."""

    def __init__(self, connection):
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.raw = connection.connection
        self.counts: dict[str, int] = {}
        cursor = self.raw.cursor()
        cursor.execute("PRAGMA synchronous = OFF" if self.vendor == "sqlite" else "SET synchronous_commit = off")
        cursor.close()
        self.raw.commit()

    def insert(self, table: str, columns: tuple[str, ...], rows) -> int:
        count = 0
        cursor = self.raw.cursor()
        try:
            if self.vendor == "sqlite":
                cursor.execute("BEGIN")  # Django's connection is in autocommit: one transaction, not one per row
                sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'  # noqa: S608
                batch = []
                for row in rows:
                    batch.append(tuple(_sqlite_value(v) for v in row))
                    if len(batch) >= 20000:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                cursor.execute("COMMIT")
            else:
                with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            self.raw.commit()
        finally:
            cursor.close()
        self.counts[table] = self.counts.get(table, 0) + count
        return count

    def max_id(self, table: str, column: str = "id") -> int:
        cursor = self.raw.cursor()
        cursor.execute(f'SELECT COALESCE(MAX({column}), 0) FROM "{table}"')  # noqa: S608 - our table names
        value = cursor.fetchone()[0]
        cursor.close()
        self.raw.commit()
        return value

    def execute(self, sql: str) -> None:
        cursor = self.raw.cursor()
        cursor.execute(sql)
        cursor.close()
        self.raw.commit()


def sequences_reset(connection, models) -> None:
    """PostgreSQL: each serial sequence past the highest id written (SQLite's AUTOINCREMENT needs nothing)."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
