"""The project's own background task: the heartbeat that sepakat.health's worker check reads."""

from celery import shared_task
from django.utils import timezone

from .models import Heartbeat

WORKER_HEARTBEAT = "worker"


@shared_task(bind=True, ignore_result=True)
def heartbeat(self) -> None:
    """Beat sends it every minute (CELERY_BEAT_SCHEDULE, with an expiry so that a backlog is dropped, not
    replayed as if fresh); whichever worker takes it records the time."""
    Heartbeat.objects.update_or_create(
        name=WORKER_HEARTBEAT, defaults={"at": timezone.now(), "worker": str(self.request.hostname or "")})
