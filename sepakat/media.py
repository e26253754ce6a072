"""Media files outlive no failed change: a file that no row names once its request or job ends is removed.

A signature writes the signed PDF before its transaction commits; a rollback (a refused archive timestamp, a
deadlock, a crash in the signer) leaves the file behind with no row naming it, and a full disk leaves half a
file. MediaStorage remembers what this thread wrote; when the request or the Celery job ends (every
transaction of it finished), each remembered file that no FileField names is deleted. A process killed
mid-request leaves its files to ``check_storage --delete-orphans`` (scheduled).
"""

import functools
import logging
import os
import threading

from django.apps import apps
from django.core.files.storage import FileSystemStorage
from django.db import DEFAULT_DB_ALIAS, models

logger = logging.getLogger(__name__)
_written = threading.local()


class MediaStorage(FileSystemStorage):
    def _save(self, name, content):
        existed = self.exists(name)
        try:
            saved = super()._save(name, content)
        except BaseException:
            self._remove_partial(name, content, existed)
            raise
        pending = getattr(_written, "files", None)
        if pending is None:
            pending = _written.files = []
        pending.append((self, saved))
        return saved

    def _remove_partial(self, name, content, existed) -> None:
        """Half written (ENOSPC): not a file of ours. Only a shorter file than ours: had another writer taken the
        name between Storage.save's get_available_name and the write (Django then writes under a new name), a
        whole file of theirs stays."""
        path = self.path(name)
        try:
            if not existed and os.path.getsize(path) < content.size:
                os.remove(path)
        except OSError:
            pass


@functools.cache
def file_fields() -> tuple[tuple[type[models.Model], str], ...]:
    return tuple((model, field.name) for model in apps.get_models() for field in model._meta.get_fields()
                 if isinstance(field, models.FileField))


def is_referenced(name: str, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether any row of any model names the file (the check_storage command asks a restored database)."""
    return any(model._default_manager.using(using).filter(**{field: name}).exists() for model, field in file_fields())


def remove_unreferenced(**kwargs) -> None:
    """request_finished / task_postrun: delete what this thread wrote that no row names (a rolled-back change)."""
    task = kwargs.get("task")
    if task is not None and task.request.is_eager:
        return  # run inside a request (or a command): its end decides
    pending = getattr(_written, "files", None)
    if not pending:
        return
    _written.files = []
    for storage, name in pending:
        try:
            if not is_referenced(name):
                storage.delete(name)
                logger.warning("removed %s: written by a change that was rolled back", name)
        except Exception:
            logger.exception("could not check or remove %s; check_storage will report it", name)


def forget_earlier(**kwargs) -> None:
    """request_started / task_prerun: what this thread wrote before (a command, a test's setup) is not this
    request's to judge; check_storage reports it if it is an orphan."""
    task = kwargs.get("task")
    if task is None or not task.request.is_eager:
        _written.files = []


def connect() -> None:
    from celery.signals import task_postrun, task_prerun
    from django.core.signals import request_finished, request_started

    request_started.connect(forget_earlier, dispatch_uid="sepakat.media.forget_earlier")
    request_finished.connect(remove_unreferenced, dispatch_uid="sepakat.media.remove_unreferenced")
    task_prerun.connect(forget_earlier, dispatch_uid="sepakat.media.forget_earlier", weak=False)
    task_postrun.connect(remove_unreferenced, dispatch_uid="sepakat.media.remove_unreferenced", weak=False)
