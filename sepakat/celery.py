"""Celery for rendering off the request path. Embedded default: tasks run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sepakat.settings")

app = Celery("sepakat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
