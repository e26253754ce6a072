"""The project's own table: the background workers' heartbeat (sepakat.tasks.heartbeat, sepakat.health)."""

from django.db import models


class Heartbeat(models.Model):
    """When a Celery worker last ran the heartbeat task that beat sends every minute.

    In the database, not in Django's cache: the cache may be local memory in each process (the
    embedded default), where the web process would never see what a worker wrote. A fresh row
    proves that beat sends and that a worker takes tasks from the broker and reaches the database.
    """

    name = models.CharField(max_length=50, primary_key=True)
    at = models.DateTimeField()
    worker = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} {self.at.isoformat()}"
