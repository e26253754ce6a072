"""Our migrations go back only as far as they can without losing data, and forward again (issue 13.7).

A tester rolled the migrations back: Django said OK, every PDF revision number came back as 0 and
migrating forward failed (unapplying agreements 0002 had dropped the revision column; re-adding it
numbered every revision 0, against unique_pdf_revision). Now a migration either reverses without
losing anything (those that only install the database's guards: triggers, their functions, the
hatches' tables) or declares itself irreversible, and Django refuses to unapply it.
"""

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, migrations, transaction
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from agreements import pki
from agreements.models import Programme, StoredPdf
from audit.services import chain_check, checkpoint_anchors, guard_installed
from demo import driver
from demo.world import COHORT_YEAR, seed_world
from workflows.deadlines import step_deadlines_ensure
from workflows.models import Stage, StageProcess

OUR_APPS = ("agreements", "audit", "permissions", "workflows", "notices", "auditing")

# The migrations that install the database's guards, in the order they are applied. Only the last two
# can be reached by migrating back; the others are checked by running their reverse directly.
GUARD_MIGRATIONS = (
    ("audit", "0003_append_only_triggers"),
    ("agreements", "0007_write_once_triggers"),
    ("agreements", "0008_certificate_revocation"),  # its last operation: the revocations' triggers
    ("agreements", "0009_archive_revisions"),
    ("audit", "0006_checkpoint_append_only"),
)

# An operation whose reverse drops a table or a column, and the rows or values in it.
DROPS_DATA_WHEN_REVERSED = (migrations.CreateModel, migrations.AddField)


@pytest.fixture(scope="module")
def reseeded_after_flush(django_db_blocker):
    """Transactional tests flush every table; give the tests after us their world back (as the session's setup)."""
    yield
    with django_db_blocker.unblock():
        pki.authority_init()
        seed_world()


@pytest.fixture
def schema_restored(reseeded_after_flush, transactional_db):
    """Every migration applied again after the test, even a failed one (before the database is flushed)."""
    yield
    migrate_to_the_newest()


@pytest.fixture
def finished_mou(schema_restored):
    pki.authority_init()
    seed_world()
    banjar = Programme.objects.get(region__slug="kota-banjar", year=COHORT_YEAR)
    driver.run_programme(banjar, only_stage=Stage.MOU)
    return StageProcess.objects.get(programme=banjar, stage=Stage.MOU)


def migrate(app: str, name: str | None) -> None:
    MigrationExecutor(connection).migrate([(app, name)])  # None: before the app's first migration


def migrate_to_the_newest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    step_deadlines_ensure()  # what `migrate` does after migrating (post_migrate), which the executor does not


def refusing_to_go_back(app: str) -> str:
    """The app's newest migration that declares itself irreversible: as far back as the app can go."""
    graph = MigrationLoader(connection).graph
    for node in reversed(graph.forwards_plan(graph.leaf_nodes(app)[0])):
        if node[0] == app and not all(op.reversible for op in graph.nodes[node].operations):
            return node[1]
    raise AssertionError(f"{app}: no migration refuses to be unapplied, not even the one that makes its tables")


def applied(app: str) -> list[str]:
    return sorted(name for label, name in MigrationRecorder(connection).applied_migrations() if label == app)


def rows() -> dict[str, tuple[list[str], list[tuple]]]:
    """Every column and row of every table of our apps, as the database holds them (raw SQL, not the ORM)."""
    dump = {}
    with connection.cursor() as cursor:
        for label in OUR_APPS:
            for model in apps.get_app_config(label).get_models(include_auto_created=True):
                table, key = model._meta.db_table, model._meta.pk.column
                columns = sorted(c.name for c in connection.introspection.get_table_description(cursor, table))
                quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
                cursor.execute(f"SELECT {quoted} FROM {table} ORDER BY {connection.ops.quote_name(key)}")
                dump[table] = columns, [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                                        for row in cursor.fetchall()]
    return dump


def guards() -> set[tuple]:
    """The triggers, trigger functions and tables outside Django's models that the database holds."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT type, name, sql FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT 'trigger', tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
                "UNION ALL SELECT 'function', proname, pg_get_functiondef(p.oid) FROM pg_proc p "
                "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
            )
        found = set(cursor.fetchall())
    modelled = set(connection.introspection.django_table_names(include_views=False)) | {"django_migrations"}
    return found | {("table", name, "") for name in connection.introspection.table_names() if name not in modelled}


def refuses_changes_to(final: StoredPdf) -> bool:
    try:
        with transaction.atomic():
            StoredPdf.objects.filter(pk=final.pk).update(sha256="0" * 64)
    except IntegrityError:
        return True
    return False


# Migrating needs real transactions (SQLite's schema editor refuses to work inside one): the tests that
# migrate commit, and the database is flushed after them.
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_each_app_goes_back_as_far_as_it_can_and_forward_again_with_every_row_intact(finished_mou):
    revisions = list(StoredPdf.objects.filter(document=finished_mou.document).order_by("revision")
                     .values_list("revision", "is_final"))
    assert len(revisions) >= 3 and [r for r, _ in revisions] == list(range(len(revisions)))
    assert revisions[-1][1], "the stage's last revision is its final document"
    anchors, problems = checkpoint_anchors()
    assert anchors and not problems
    before, guarded = rows(), guards()

    for app in OUR_APPS:
        refusing, newest = refusing_to_go_back(app), applied(app)[-1]
        migrate(app, refusing)  # as far as it goes
        assert applied(app)[-1] == refusing
        assert rows() == before, f"{app}: data lost going back to {refusing}"
        migrate_to_the_newest()
        assert applied(app)[-1] == newest
        assert rows() == before, f"{app}: data lost going forward again from {refusing}"

        index = applied(app).index(refusing)
        earlier = applied(app)[index - 1] if index else None  # an app whose first migration already refuses
        with pytest.raises(IrreversibleError, match=f"{app}.{refusing} is not reversible"):
            migrate(app, earlier)
        assert refusing in applied(app)
        assert rows() == before, f"{app}: data lost by the refused attempt to unapply {refusing}"
        migrate_to_the_newest()
        assert rows() == before

    assert list(StoredPdf.objects.filter(document=finished_mou.document).order_by("revision")
                .values_list("revision", "is_final")) == revisions
    report = chain_check(anchors=checkpoint_anchors()[0])
    assert report.intact, report.problem
    assert guards() == guarded, "every trigger, function and hatch table as it was"
    assert guard_installed() is True
    assert refuses_changes_to(StoredPdf.objects.get(document=finished_mou.document, is_final=True))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_reverses_of_the_guard_migrations_take_away_all_they_installed_and_forwards_put_it_back(schema_restored):
    """Unapplying a guard migration must leave nothing of it behind (else migrating forward again fails on
    what is already there) and reapplying it must give the very same guards, on SQLite as on PostgreSQL."""
    loader = MigrationLoader(connection)
    installed = guards()
    assert installed

    def run(node, editor, *, backwards: bool):
        state = loader.project_state(node, at_end=True)
        operations = [op for op in loader.graph.nodes[node].operations
                      if isinstance(op, migrations.RunPython) and op.reversible]
        assert operations, f"{node}: nothing installs its guards"
        for operation in reversed(operations) if backwards else operations:
            (operation.reverse_code if backwards else operation.code)(state.apps, editor)

    with connection.schema_editor(atomic=True) as editor:  # one transaction: a failure leaves the guards in place
        for node in reversed(GUARD_MIGRATIONS):
            run(node, editor, backwards=True)
        assert guards() == set(), "left behind by the reverses"
        for node in GUARD_MIGRATIONS:
            run(node, editor, backwards=False)
        assert guards() == installed


def test_a_migration_whose_reverse_would_drop_data_is_irreversible():
    migrations_ = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    ours = {node: migration for node, migration in migrations_.items() if node[0] in OUR_APPS}
    for (app, name), migration in ours.items():
        drops = [op.describe() for op in migration.operations if isinstance(op, DROPS_DATA_WHEN_REVERSED)]
        if drops:
            assert not all(op.reversible for op in migration.operations), \
                f"{app}.{name}: unapplying it would drop data ({drops[0]}): declare it irreversible"
    only_guards = [node for node in GUARD_MIGRATIONS if node != ("agreements", "0008_certificate_revocation")]
    for node in only_guards:
        assert all(op.reversible for op in ours[node].operations), f"{node}: it only installs guards, it can go back"
