"""Process analytics views (being built): placeholders so the URLs exist."""

from django.http import HttpResponse
from django.views import generic


class AnalyticsView(generic.View):
    def get(self, request, *args, **kwargs):
        return HttpResponse(status=501)


class AnalyticsCsvView(AnalyticsView):
    pass
