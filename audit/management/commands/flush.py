"""Django's flush, able to empty the append-only audit log outside production.

The audit table's triggers refuse DELETE and TRUNCATE (migration 0003). Flushing the
whole database is the one maintenance job that must empty it: in development, and in
Django's test runner, which flushes between transactional tests. This command opens
the maintenance hatch only around flush's own SQL, and only where
settings.AUDIT_FLUSH_ALLOWED (default: not PRODUCTION) allows it. In production the
triggers refuse, flush rolls back and nothing is deleted.
"""

from django.conf import settings
from django.core.management.commands import flush
from django.db import connections

from audit.services import audit_maintenance


def flush_allowed() -> bool:
    return getattr(settings, "AUDIT_FLUSH_ALLOWED", not getattr(settings, "PRODUCTION", False))


class Command(flush.Command):
    def handle(self, **options):
        if not flush_allowed():
            return super().handle(**options)
        database = options["database"]
        ops = connections[database].ops
        execute_sql_flush = ops.execute_sql_flush

        def execute_with_hatch_open(sql_list):
            with audit_maintenance(using=database):
                execute_sql_flush(sql_list)

        ops.execute_sql_flush = execute_with_hatch_open  # this connection only, for this call only
        try:
            return super().handle(**options)
        finally:
            del ops.execute_sql_flush
