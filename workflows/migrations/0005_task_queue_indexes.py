"""Indexes on viewflow's task table for the queue, the inbox and the menu counters (issue 15).

viewflow's Task model is not ours to change, so the indexes are made here with plain SQL that SQLite and
PostgreSQL both read. The queue asks for NEW tasks by (permission, object) pair (workflows.selectors.
queue_tasks); the inbox and "Tugas saya" for a user's ASSIGNED tasks; a flow's dashboard for each step's newest open tasks.
"""

from django.db import migrations

INDEXES = {
    "workflows_task_queue_idx": "viewflow_task (status, owner_permission, owner_permission_obj_pk)",
    "workflows_task_owner_status_idx": "viewflow_task (owner_id, status)",
    # A flow's dashboard: the newest open tasks of each step.
    "workflows_task_node_created_idx": "viewflow_task (flow_task, created)",
}


class Migration(migrations.Migration):

    dependencies = [
        ('viewflow', '0015_task_scheduled'),
        ('workflows', '0004_stepdeadline_taskdeadline_holiday'),
    ]

    operations = [
        migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON {columns}", f"DROP INDEX IF EXISTS {name}")
        for name, columns in INDEXES.items()
    ]
