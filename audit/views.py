"""Auditor views (being built): placeholders so the URLs exist."""

from django.http import HttpResponse
from django.views import generic


class _Pending(generic.View):
    scope = None
    fmt = None

    def get(self, request, *args, **kwargs):
        return HttpResponse(status=501)


class TimelineView(_Pending):
    pass


class ExportView(_Pending):
    pass


class BundleView(_Pending):
    pass
