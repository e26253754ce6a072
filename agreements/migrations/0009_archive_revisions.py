"""A final document may gain archive revisions (PAdES B-LTA renewals), and nothing else.

0007 refused every new revision of a version that has a final one. A document timestamp added
before the last one's certificate expires is such a revision. Now a final revision may be
inserted when it continues the version's latest revision (its parent by hash, the next number):
at the close freely, after an earlier final only inside the archive-renewal hatch
(``agreements.archival.archive_renewal_open``, which only ``archive_renew`` opens; on PostgreSQL a
transaction-local setting, on SQLite a row in ``agreements_archive_renewal`` for one transaction,
as the audit log's maintenance hatch). A revision that is not final is refused once the version
has a final one. Whoever opens the hatch by hand to slip a forged file in still fails
verification: its signatures are not the revisions the audit log's ``document.signed`` events
name, and its archive revision has no ``document.archive_timestamped`` event.
"""

from django.db import migrations

TABLE = "agreements_storedpdf"
INSERT_REFUSED = (
    "agreements_storedpdf: revisi baru ditolak, hanya revisi arsip final yang melanjutkan revisi terakhir "
    "yang boleh ditambahkan setelah dokumen final"
)
CONTINUES_LATEST = f"""EXISTS (
    SELECT 1 FROM {TABLE} AS latest
    WHERE latest.version_id = NEW.version_id AND latest.sha256 = NEW.parent_sha256
      AND latest.revision + 1 = NEW.revision
      AND latest.revision = (SELECT MAX(revision) FROM {TABLE} WHERE version_id = NEW.version_id)
)"""
HAS_FINAL = f"EXISTS (SELECT 1 FROM {TABLE} WHERE version_id = NEW.version_id AND is_final)"
HATCH_TABLE = "agreements_archive_renewal"

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION agreements_storedpdf_no_revision_after_final() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF (NEW.is_final AND NOT {CONTINUES_LATEST})
           OR ({HAS_FINAL} AND NOT (NEW.is_final
                                    AND coalesce(current_setting('sepakat.archive_renewal', true), '') = 'on')) THEN
            RAISE EXCEPTION '{INSERT_REFUSED}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END;
    $$
    """,
]
SQLITE = [
    f"CREATE TABLE IF NOT EXISTS {HATCH_TABLE} (reason varchar(100) NOT NULL)",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_revision_after_final",
    f"""
    CREATE TRIGGER {TABLE}_no_revision_after_final BEFORE INSERT ON {TABLE}
    WHEN (NEW.is_final AND NOT {CONTINUES_LATEST})
         OR ({HAS_FINAL} AND NOT (NEW.is_final AND EXISTS (SELECT 1 FROM {HATCH_TABLE})))
    BEGIN
        SELECT RAISE(ABORT, '{INSERT_REFUSED}');
    END
    """,
]


def forwards(apps, schema_editor):
    for sql in {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    from importlib import import_module

    earlier = import_module("agreements.migrations.0007_write_once_triggers")
    vendor = schema_editor.connection.vendor
    wanted = [sql for sql in earlier.statements(apps, vendor)[0] if "no_revision_after_final" in sql]
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_revision_after_final", params=None)
        wanted = [sql for sql in wanted if "CREATE TRIGGER" in sql]
    else:
        wanted = [sql for sql in wanted if "FUNCTION agreements_storedpdf_no_revision_after_final" in sql
                  and "CREATE OR REPLACE" in sql]
    for sql in wanted:
        schema_editor.execute(sql, params=None)
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {HATCH_TABLE}", params=None)  # made by forwards


class Migration(migrations.Migration):

    dependencies = [("agreements", "0008_certificate_revocation")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
