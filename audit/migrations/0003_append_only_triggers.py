"""The database refuses to change or remove audit events: UPDATE, DELETE and TRUNCATE
of audit_auditevent raise an error, whoever sends them (the ORM, raw SQL, a shell).

Maintenance escape hatch: a DELETE or TRUNCATE (never an UPDATE) goes through inside a
transaction that opened it, which only `audit.services.audit_maintenance()` does, for
`manage.py flush` outside production (Django's test runner flushes between
transactional tests). PostgreSQL: the transaction-local setting
`sepakat.audit_maintenance = 'on'`. SQLite, which has no session settings and whose
triggers cannot read TEMP tables: a row in `audit_maintenance`, inserted and removed
within that one transaction. Normal operation never opens it.

Other database vendors get no triggers (the hash chain still reveals any change).
"""

from django.db import migrations

REFUSED = "audit_auditevent hanya bisa ditambah (append-only)"

POSTGRESQL_FORWARDS = [
    f"""
    CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE')
           AND current_setting('sepakat.audit_maintenance', true) = 'on' THEN
            IF TG_LEVEL = 'ROW' THEN
                RETURN OLD;
            END IF;
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '{REFUSED}: % ditolak', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_auditevent_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only()
    """,
    """
    CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_append_only()
    """,
]
POSTGRESQL_BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update_delete ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_auditevent_append_only()",
]

SQLITE_FORWARDS = [
    "CREATE TABLE audit_maintenance (reason varchar(40) NOT NULL)",
    f"""
    CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, '{REFUSED}: UPDATE ditolak');
    END
    """,
    f"""
    CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance)
    BEGIN
        SELECT RAISE(ABORT, '{REFUSED}: DELETE ditolak');
    END
    """,
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TABLE IF EXISTS audit_maintenance",
]

STATEMENTS = {
    "postgresql": (POSTGRESQL_FORWARDS, POSTGRESQL_BACKWARDS),
    "sqlite": (SQLITE_FORWARDS, SQLITE_BACKWARDS),
}


def _run(schema_editor, which: int) -> None:
    statements = STATEMENTS.get(schema_editor.connection.vendor)
    for sql in statements[which] if statements else []:
        schema_editor.execute(sql, params=None)  # no placeholders: '%' stays '%'


def forwards(apps, schema_editor):
    _run(schema_editor, 0)


def backwards(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_actor_agency_programme_seq_in_hash"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
