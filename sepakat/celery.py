"""Celery for rendering off the request path. Embedded default: tasks run eagerly."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sepakat.settings")

app = Celery("sepakat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_a_wrong_base_url(**kwargs):
    """The worker renders the PDFs that carry the address in their QR code."""
    from sepakat.base_url import require_base_url

    require_base_url()
