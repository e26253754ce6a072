from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def step_deadlines_after_migrate(sender, apps=None, using="default", **kwargs) -> None:
    """A StepDeadline row for each human step that has none (a new step, a new database), from the step
    table; the rows administrators changed are kept as they are."""
    from django.apps import apps as global_apps

    from .deadlines import step_deadlines_ensure

    try:  # migrate passes the migrated state's apps; flush passes none (the models as they are)
        model = (apps or global_apps).get_model("workflows", "StepDeadline")
    except LookupError:  # migrated back to before the table existed
        return
    step_deadlines_ensure(model=model, using=using)


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Alur Kerja")

    def ready(self):
        # Flow permissions and nodes exist only once the flows are imported.
        from . import audit_receivers, flows  # noqa: F401

        audit_receivers.connect()
        post_migrate.connect(step_deadlines_after_migrate, sender=self,
                             dispatch_uid="workflows.apps.step_deadlines_after_migrate")
