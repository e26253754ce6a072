"""The auditor's pages inside the site: timelines, exports, bundles, analytics."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import analytics_views, views


class AuditApp(Application):
    app_name = "audit"
    title = _("Jejak Audit")
    icon = "policy"
    menu_template_name = "auditing/app_menu.html"

    def has_view_permission(self, user, obj=None):
        from .selectors import can_audit

        return can_audit(user)

    index_path = path("", views.TimelineView.as_view(), name="index")
    programme_path = path("program/<int:programme_pk>/", views.TimelineView.as_view(scope="programme"),
                          name="programme")
    process_path = path("kasus/<int:process_pk>/", views.TimelineView.as_view(scope="process"), name="process")
    region_path = path("daerah/<slug:region>/", views.TimelineView.as_view(scope="region"), name="region")
    official_path = path("pejabat/<str:username>/", views.TimelineView.as_view(scope="official"), name="official")
    export_csv_path = path("ekspor.csv", views.ExportView.as_view(fmt="csv"), name="export_csv")
    export_json_path = path("ekspor.json", views.ExportView.as_view(fmt="json"), name="export_json")
    bundle_path = path("program/<int:programme_pk>/bundel.zip", views.BundleView.as_view(), name="bundle")
    refusals_path = path("penolakan/", views.RefusalsView.as_view(), name="refusals")
    analytics_path = path("analitik/", analytics_views.AnalyticsView.as_view(), name="analytics")
    analytics_csv_path = path("analitik/<slug:table>.csv", analytics_views.AnalyticsCsvView.as_view(),
                              name="analytics_csv")
