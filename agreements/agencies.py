"""The kinds of agency, the kinds of role their officials hold, and what a role lets one do.

Agencies themselves are data (names change, regions join); their *kind* is what the
flows know about. The acting permissions are object permissions on a region
(django-guardian), so they are defined here beside the Region model; which role acts
at which step is the workflows' business (permissions.roles, workflows.steps).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AgencyKind(models.TextChoices):
    DISKOMINFO = "diskominfo", _("Dinas Komunikasi dan Informatika")
    BAGIAN_HUKUM = "bagian_hukum", _("Bagian Hukum Sekretariat Daerah")
    BAPPEDA = "bappeda", _("Badan Perencanaan Pembangunan Daerah")
    SEKDA = "sekda", _("Sekretariat Daerah")
    KEPALA_DAERAH = "kepala_daerah", _("Kepala Daerah")
    LAIP = "laip", _("Direktorat Layanan Aplikasi Informatika Pemerintahan")
    DITJEN_APTIKA = "ditjen_aptika", _("Direktorat Jenderal Aplikasi Informatika")
    TENAGA_AHLI = "tenaga_ahli", _("Tenaga Ahli Gerakan Menuju Kota Cerdas")


CENTRAL_AGENCY_KINDS = (AgencyKind.LAIP, AgencyKind.DITJEN_APTIKA, AgencyKind.TENAGA_AHLI)


class RoleKind(models.TextChoices):
    DRAFTER = "pemrakarsa", _("Pemrakarsa")
    REVIEWER = "peninjau", _("Peninjau")
    LEGAL_VERIFIER = "verifikator_hukum", _("Verifikator Hukum")
    PARAF = "pemaraf", _("Pemaraf")
    SIGNER = "penandatangan", _("Penandatangan")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles that act on workflow steps; auditors and administrators act on none.
ACTING_ROLE_KINDS = (
    RoleKind.DRAFTER,
    RoleKind.REVIEWER,
    RoleKind.LEGAL_VERIFIER,
    RoleKind.PARAF,
    RoleKind.SIGNER,
)

# Read access to a region's cases (object permission on the region, or global
# for central agencies).
VIEW_CASES_PERMISSION = "view_cases"


def act_codename(agency_kind: str, role_kind: str) -> str:
    return f"act_{agency_kind}_{role_kind}"


def region_permissions() -> list[tuple[str, str]]:
    """Permissions defined on the Region model (guardian object permissions)."""
    perms = [(VIEW_CASES_PERMISSION, "Can view the region's cases")]
    for agency_kind in AgencyKind:
        for role_kind in ACTING_ROLE_KINDS:
            perms.append(
                (
                    act_codename(agency_kind, role_kind),
                    f"Can act as {role_kind.value} of {agency_kind.value}",
                )
            )
    return perms
