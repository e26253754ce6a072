"""A stored file gone from storage answers a clear page, never a server error.

Views that read a stored file open it with ``agreements.stored_files.open_stored`` and take this
mixin: the file's absence (logged as an error by ``open_stored``) becomes a page with
``MISSING_FILE``. Status 503, not 404: the document exists and the visitor may see it; it is the
server's storage that fails, until the file is restored (``manage.py check_storage`` lists what is
gone). A 5xx is what monitoring alerts on, and a 404 would be counted as the visitor being refused
(sepakat.refusals writes an ``access.refused`` event for a 404 on an object's URL).
"""

from django.shortcuts import render

from ..stored_files import MISSING_FILE, StoredFileMissing

TEMPLATE = "agreements/file_missing.html"
STATUS = 503


def missing_file_response(request, missing: StoredFileMissing, **context):
    return render(request, TEMPLATE, {"message": MISSING_FILE, **context}, status=STATUS)


class AnswersMissingFile:
    """Mixin (before the view class): StoredFileMissing anywhere in the view answers the missing-file page."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except StoredFileMissing as missing:
            return missing_file_response(request, missing, **self.missing_file_context())

    def missing_file_context(self) -> dict:
        """More for the page: what the database knows, a way back."""
        return {}
