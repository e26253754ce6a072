"""Checkpoints are append-only like the events (migration 0003): UPDATE, DELETE and TRUNCATE are
refused, except a DELETE or TRUNCATE inside audit_maintenance() (manage.py flush outside production)."""

from django.db import migrations

REFUSED = "audit_checkpoint hanya bisa ditambah (append-only)"

POSTGRESQL_FORWARDS = [
    f"""
    CREATE OR REPLACE FUNCTION audit_checkpoint_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE')
           AND current_setting('sepakat.audit_maintenance', true) = 'on' THEN
            IF TG_LEVEL = 'ROW' THEN
                RETURN OLD;
            END IF;
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '{REFUSED}: % ditolak', TG_OP USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$
    """,
    "CREATE TRIGGER audit_checkpoint_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoint "
    "FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_append_only()",
    "CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoint_append_only()",
]
POSTGRESQL_BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_checkpoint",
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_update_delete ON audit_checkpoint",
    "DROP FUNCTION IF EXISTS audit_checkpoint_append_only()",
]
SQLITE_FORWARDS = [
    f"""
    CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
    BEGIN
        SELECT RAISE(ABORT, '{REFUSED}: UPDATE ditolak');
    END
    """,
    f"""
    CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
    WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance)
    BEGIN
        SELECT RAISE(ABORT, '{REFUSED}: DELETE ditolak');
    END
    """,
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_delete",
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_update",
]
STATEMENTS = {
    "postgresql": (POSTGRESQL_FORWARDS, POSTGRESQL_BACKWARDS),
    "sqlite": (SQLITE_FORWARDS, SQLITE_BACKWARDS),
}


def _run(schema_editor, which: int) -> None:
    statements = STATEMENTS.get(schema_editor.connection.vendor)
    for sql in statements[which] if statements else []:
        schema_editor.execute(sql, params=None)


def forwards(apps, schema_editor):
    _run(schema_editor, 0)


def backwards(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0005_checkpoints"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
