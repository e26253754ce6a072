"""The database refuses to change or remove stored PDF revisions, paraf copies and signature records.

They were "write-once" by convention: nothing stopped an UPDATE that pointed a final revision
at another file, or a DELETE. Now a trigger refuses both, whoever sends them (the ORM, raw SQL,
a shell). The one change allowed is the stage's close marking its last revision final
(``is_final`` from false to true, every other column unchanged). A new revision is refused
when it claims to be final or its version already has a final one: a closed stage gets no
more revisions, so a re-signed forgery cannot be slipped in after the genuine document.

The maintenance hatch is the audit log's (audit migration 0003, ``audit.services.audit_maintenance``):
a DELETE or TRUNCATE inside it goes through, which only ``manage.py flush`` outside production
opens. Other database vendors get no triggers.
"""

from django.db import migrations

TABLES = ("agreements_storedpdf", "agreements_parafcopy", "agreements_signaturerecord")
FINAL_FLAG_TABLE = "agreements_storedpdf"
REFUSED = "hanya bisa ditambah (write-once)"
INSERT_REFUSED = "agreements_storedpdf: revisi baru ditolak, versi ini sudah memiliki dokumen final"


def _columns(apps, table: str) -> list[str]:
    model = next(m for m in apps.get_app_config("agreements").get_models() if m._meta.db_table == table)
    return [f.column for f in model._meta.concrete_fields if f.column != "is_final"]


def _postgresql(apps) -> tuple[list[str], list[str]]:
    unchanged = " AND ".join(f'NEW."{c}" IS NOT DISTINCT FROM OLD."{c}"' for c in _columns(apps, FINAL_FLAG_TABLE))
    forwards = [
        f"""
        CREATE OR REPLACE FUNCTION agreements_write_once() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'TRUNCATE')
               AND current_setting('sepakat.audit_maintenance', true) = 'on' THEN
                IF TG_LEVEL = 'ROW' THEN
                    RETURN OLD;
                END IF;
                RETURN NULL;
            END IF;
            RAISE EXCEPTION '% {REFUSED}: % ditolak', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END;
        $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION agreements_storedpdf_final_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT OLD.is_final AND NEW.is_final AND {unchanged} THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '% {REFUSED}: UPDATE ditolak', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END;
        $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION agreements_storedpdf_no_revision_after_final() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.is_final OR EXISTS (
                SELECT 1 FROM agreements_storedpdf WHERE version_id = NEW.version_id AND is_final
            ) THEN
                RAISE EXCEPTION '{INSERT_REFUSED}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END;
        $$
        """,
        f"CREATE TRIGGER {FINAL_FLAG_TABLE}_no_revision_after_final BEFORE INSERT ON {FINAL_FLAG_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION agreements_storedpdf_no_revision_after_final()",
    ]
    backwards = [f"DROP TRIGGER IF EXISTS {FINAL_FLAG_TABLE}_no_revision_after_final ON {FINAL_FLAG_TABLE}"]
    for table in TABLES:
        update_function = "agreements_storedpdf_final_only" if table == FINAL_FLAG_TABLE else "agreements_write_once"
        forwards += [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {update_function}()",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION agreements_write_once()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION agreements_write_once()",
        ]
        backwards += [f"DROP TRIGGER IF EXISTS {table}_{what} ON {table}" for what in ("no_update", "no_delete",
                                                                                     "no_truncate")]
    backwards += ["DROP FUNCTION IF EXISTS agreements_storedpdf_no_revision_after_final()",
                  "DROP FUNCTION IF EXISTS agreements_storedpdf_final_only()",
                  "DROP FUNCTION IF EXISTS agreements_write_once()"]
    return forwards, backwards


def _sqlite(apps) -> tuple[list[str], list[str]]:
    forwards = [
        f"""
        CREATE TRIGGER {FINAL_FLAG_TABLE}_no_revision_after_final BEFORE INSERT ON {FINAL_FLAG_TABLE}
        WHEN NEW.is_final OR EXISTS (
            SELECT 1 FROM {FINAL_FLAG_TABLE} WHERE version_id = NEW.version_id AND is_final
        )
        BEGIN
            SELECT RAISE(ABORT, '{INSERT_REFUSED}');
        END
        """,
    ]
    backwards = [f"DROP TRIGGER IF EXISTS {FINAL_FLAG_TABLE}_no_revision_after_final"]
    for table in TABLES:
        when = ""
        if table == FINAL_FLAG_TABLE:
            unchanged = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in _columns(apps, table))
            when = f"WHEN NOT (OLD.is_final = 0 AND NEW.is_final = 1 AND {unchanged})"
        forwards += [
            f"""
            CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} {when}
            BEGIN
                SELECT RAISE(ABORT, '{table} {REFUSED}: UPDATE ditolak');
            END
            """,
            f"""
            CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance)
            BEGIN
                SELECT RAISE(ABORT, '{table} {REFUSED}: DELETE ditolak');
            END
            """,
        ]
        backwards += [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]
    return forwards, backwards


VENDORS = {"postgresql": _postgresql, "sqlite": _sqlite}


def statements(apps, vendor: str) -> tuple[list[str], list[str]]:
    """(forwards, backwards) SQL for ``vendor``; nothing for a vendor without triggers."""
    make = VENDORS.get(vendor)
    return make(apps) if make else ([], [])


def forwards(apps, schema_editor):
    for sql in statements(apps, schema_editor.connection.vendor)[0]:
        schema_editor.execute(sql, params=None)  # no placeholders: '%' stays '%'


def backwards(apps, schema_editor):
    for sql in statements(apps, schema_editor.connection.vendor)[1]:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("agreements", "0006_paraf_copies"),
        ("audit", "0003_append_only_triggers"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
