"""The URLconf bench/human_task.py installs: Sepakat's own, and the bare flow under /bare/ in its own Site."""

from django.urls import path
from viewflow.urls import Site
from viewflow.workflow.flow import FlowAppViewset

from sepakat.urls import handler500  # noqa: F401 - handler500 is used by Django
from sepakat.urls import urlpatterns as sepakat_urlpatterns

from .human_task_flow import BareReviewFlow

bare_site = Site(title="Bare", viewsets=[FlowAppViewset(BareReviewFlow, icon="assignment")])

urlpatterns = [path("bare/", bare_site.urls), *sepakat_urlpatterns]
