"""Content-Security-Policy and Permissions-Policy on every response (docs/adr/0005).

Django 5.2 has no CSP of its own (6.0 has ``django.middleware.csp``; switch to it with Django 6).
The policies are settings (SEPAKAT_CSP, SEPAKAT_PERMISSIONS_POLICY), joined once per process.
A view that sets its own header keeps it.
"""

from django.conf import settings


def csp_header_value(policy: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


def permissions_policy_value(policy: dict[str, list[str]]) -> str:
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = csp_header_value(settings.SEPAKAT_CSP) if settings.SEPAKAT_CSP else ""
        self.csp_header = "Content-Security-Policy-Report-Only" if settings.SEPAKAT_CSP_REPORT_ONLY \
            else "Content-Security-Policy"
        self.permissions = (permissions_policy_value(settings.SEPAKAT_PERMISSIONS_POLICY)
                            if settings.SEPAKAT_PERMISSIONS_POLICY else "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.csp:
            response.headers.setdefault(self.csp_header, self.csp)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response
