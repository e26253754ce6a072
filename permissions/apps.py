from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PermissionsConfig(AppConfig):
    name = "permissions"
    verbose_name = _("Peran dan Hak Akses")

    def ready(self):
        from agreements.signatures import enrolment_rule_register
        from audit.services import actor_agency_lookup_register

        from . import audit_receivers, selectors

        actor_agency_lookup_register(selectors.agency_name_of)
        enrolment_rule_register(selectors.may_hold_signing_certificate)
        audit_receivers.connect()
