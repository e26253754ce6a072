"""The files Sepakat keeps under MEDIA_ROOT with their SHA-256 recorded, and opening one for a reader.

Every stored file belongs to one row that records its hash (and size): a PDF revision, a paraf
copy, an attachment. ``HASHED_FILES`` names them once; the storage check, the backup and the
restore read that list. A file that should be there and is not (a lost disk, a restore without
its media) raises ``StoredFileMissing`` from ``open_stored``, logged as an error, and the views
answer a clear page for it (agreements.views.missing_file) instead of a server error.
"""

import logging
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Attachment, ParafCopy, StoredPdf

logger = logging.getLogger(__name__)

MISSING_FILE = _(
    "Berkas dokumen tidak ditemukan di penyimpanan. Administrator telah diberi tahu; jalankan check_storage."
)


@dataclass(frozen=True)
class HashedFile:
    """A model whose rows each keep one file under MEDIA_ROOT, with its SHA-256 and size."""

    model: type[models.Model]
    file_field: str = "file"
    sha256_field: str = "sha256"
    size_field: str = "size"

    @property
    def label(self) -> str:
        return self.model._meta.label  # "agreements.StoredPdf"

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def column(self, field: str) -> str:
        return self.model._meta.get_field(field).column


HASHED_FILES: tuple[HashedFile, ...] = (HashedFile(StoredPdf), HashedFile(ParafCopy), HashedFile(Attachment))


class StoredFileMissing(Exception):
    """A stored file could not be opened: absent, or unreadable."""

    def __init__(self, name: str, error: Exception):
        super().__init__(f"{name}: {error}")
        self.name = name
        self.error = error


def open_stored(field_file):
    """``field_file`` opened for reading (binary; use it in ``with``, or hand it to FileResponse).

    StoredFileMissing, logged as an error, when the file is not there or cannot be read.
    """
    try:
        return field_file.open("rb")
    except (OSError, ValueError) as error:  # ValueError: the row names no file at all
        logger.error("stored file missing: %r (%s); run manage.py check_storage", field_file.name, error)
        raise StoredFileMissing(field_file.name or "", error) from error
