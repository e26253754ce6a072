"""Celery for rendering off the request path. Embedded default: tasks run eagerly."""

import contextlib
import os
import sys

from celery import Celery
from celery.signals import beat_init, setup_logging, task_postrun, task_prerun, worker_init, worker_process_init

from sepakat import environment

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sepakat.settings")

app = Celery("sepakat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _refuse_to_start(*requirements) -> None:
    """Celery logs a receiver's exception and starts anyway: a refusal here prints its message and exits."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        for require in requirements:
            require()
    except ImproperlyConfigured as refusal:
        sys.stderr.write(f"{refusal}\n")
        raise SystemExit(1) from refusal


@worker_init.connect
def _refuse_a_wrong_environment(**kwargs):
    """The worker renders and signs: it needs what the web application needs (every missing variable named
    at once), and the public address its PDFs carry in their QR code."""
    from sepakat.base_url import require_base_url

    _refuse_to_start(lambda: environment.require_production_env(environment.WORKER), require_base_url)


@worker_process_init.connect
def _load_the_signing_authority(**kwargs):
    """Each worker child loads the signing authority as it starts, not in its first signing job."""
    from agreements.pki import authority_preload

    authority_preload()


@beat_init.connect
def _refuse_a_memory_broker(**kwargs):
    """Beat only sends the scheduled tasks: it needs the broker the worker reads."""
    _refuse_to_start(lambda: environment.require_production_env(environment.BEAT))


@setup_logging.connect
def _log_as_django_does(**kwargs):
    """The worker and beat log as the web process does (settings.LOGGING: JSON lines on stderr, the
    "celery" logger included), not in Celery's own format. With a receiver here Celery configures no
    logging of its own: no root handler of its own printing our apps' lines a second time, and its
    --loglevel has no effect (LOG_LEVEL sets it)."""
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


# Every line logged while a task runs names it (sepakat.logs: task_id, task). In a worker's process
# each task runs in its own context; an eager task inside a request keeps the request's id too.
_task_contexts: dict[str, object] = {}


@task_prerun.connect
def _log_context_enter(task_id=None, task=None, **kwargs):
    from sepakat.logs import context_set

    _task_contexts[task_id] = context_set(task_id=task_id or "", task=getattr(task, "name", ""))


@task_postrun.connect
def _log_context_leave(task_id=None, **kwargs):
    from sepakat.logs import context_reset

    token = _task_contexts.pop(task_id, None)
    if token is not None:
        with contextlib.suppress(ValueError):  # set in another context: nothing to undo in this one
            context_reset(token)
