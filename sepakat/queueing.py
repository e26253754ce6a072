"""Handing work to Celery once a transaction commits, without a broker outage reaching the user.

The change is committed when the callback runs: a broker that is down (or, in the embedded default, an
eager task that fails) must not turn a saved decision into a 500. The failure is logged with its
traceback; whatever depends on the job is found again by a sweeper (workflows.services.preparations_sweep)
or by the next scheduled run.
"""

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def by_scheduler() -> bool:
    """The embedded default (Celery eager) leaves the work that follows a click to `manage.py schedule`: a
    document for its signers, a notice's e-mail. The request only leaves it due (the case's preparation_due,
    the delivery's next attempt), and the scheduler's sweeps, every 3 s, do it. Production sends it to a
    worker; the tests do it on commit (SEPAKAT_BACKGROUND_BY_SCHEDULER off)."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER) and bool(settings.SEPAKAT_BACKGROUND_BY_SCHEDULER)


def send_after_commit(task, *args, on_failure=None) -> None:
    def send():
        try:
            task.delay(*args)
        except Exception:
            logger.exception("%s%r could not be queued", task.name, args)
            if on_failure is not None:
                try:
                    on_failure()
                except Exception:  # the database too: the next sweep or the retry button is the way back
                    logger.exception("%s%r: recording that it was not queued failed too", task.name, args)

    transaction.on_commit(send)
