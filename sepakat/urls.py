from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from agreements.views import revocation as revocation_views
from agreements.views.checkpoints import checkpoint_json, checkpoint_list
from agreements.views.timestamp import timestamp
from agreements.views.verification import VerifyDocumentView, VerifyUploadView, trust_root
from auditing.viewsets import AuditApp
from workflows.flows import MasterplanFlow, MouFlow, RegulationFlow
from workflows.viewsets import ProgrammeApp, ScopedFlowViewset, ScopedWorkflowApp

from . import views

site = Site(
    title=_("Sepakat"),
    viewsets=[
        ProgrammeApp(),
        AuditApp(),
        ScopedWorkflowApp(
            flow_viewsets=[
                ScopedFlowViewset(MouFlow, icon="handshake"),
                ScopedFlowViewset(RegulationFlow, icon="gavel"),
                ScopedFlowViewset(MasterplanFlow, icon="map"),
            ]
        ),
    ],
)

urlpatterns = [
    # For load balancers and operators: no login, no redirect (settings.SECURE_REDIRECT_EXEMPT).
    path("sehat/", views.health, name="health"),
    path("sehat/hidup/", views.alive, name="health_alive"),
    path(
        "accounts/login/",
        login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("verifikasi/", VerifyUploadView.as_view(), name="verify"),
    path("verifikasi/akar.pem", trust_root, name="trust_root"),
    path("tsa/", timestamp, name="tsa"),
    path("pki/crl.der", revocation_views.crl, name="crl"),
    path("pki/ocsp/", revocation_views.ocsp, name="ocsp"),
    path("pki/ocsp/<path:encoded>", revocation_views.ocsp, name="ocsp_get"),
    path("verifikasi/log-audit/", checkpoint_list, name="checkpoints"),
    path("verifikasi/log-audit.json", checkpoint_json, name="checkpoints_json"),
    path("verifikasi/<str:identifier>/", VerifyDocumentView.as_view(), name="verify_document"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("pemberitahuan/", include("notices.urls")),
    path("", site.urls),
]

# The 500 page shows the request id (sepakat.middleware.RequestIdMiddleware) for support.
handler500 = "sepakat.views.server_error"
