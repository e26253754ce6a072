"""Agency kinds, role kinds and which of them acts at each workflow step.

Agencies themselves are data (names change, regions join); their *kind* is
what the flows know about. This module is the one home of the step-to-role
mapping: flows, guardian sync, seeding and the tests all read it.
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


class StepRole:
    """Who acts at a step: an agency kind and a role kind."""

    def __init__(self, agency_kind: AgencyKind, role_kind: RoleKind):
        self.agency_kind = agency_kind
        self.role_kind = role_kind

    @property
    def codename(self) -> str:
        return act_codename(self.agency_kind, self.role_kind)

    @property
    def permission(self) -> str:
        return f"agreements.{self.codename}"

    @property
    def is_central(self) -> bool:
        return self.agency_kind in CENTRAL_AGENCY_KINDS

    def __repr__(self) -> str:
        return f"StepRole({self.agency_kind.value}, {self.role_kind.value})"


# Stage 1, Nota Kesepakatan (domain.md steps 1.1 to 1.4).
MOU_STEPS = {
    "draft": StepRole(AgencyKind.LAIP, RoleKind.DRAFTER),
    "review_diskominfo": StepRole(AgencyKind.DISKOMINFO, RoleKind.REVIEWER),
    "review_legal": StepRole(AgencyKind.BAGIAN_HUKUM, RoleKind.LEGAL_VERIFIER),
    "paraf_laip": StepRole(AgencyKind.LAIP, RoleKind.PARAF),
    "paraf_sekda": StepRole(AgencyKind.SEKDA, RoleKind.PARAF),
    "sign_region": StepRole(AgencyKind.KEPALA_DAERAH, RoleKind.SIGNER),
    "sign_ministry": StepRole(AgencyKind.DITJEN_APTIKA, RoleKind.SIGNER),
}

# Stage 2, Peraturan Kepala Daerah (domain.md steps 2.1 to 2.7).
REGULATION_STEPS = {
    "draft": StepRole(AgencyKind.DISKOMINFO, RoleKind.DRAFTER),
    "review_mentor": StepRole(AgencyKind.TENAGA_AHLI, RoleKind.REVIEWER),
    "review_bappeda": StepRole(AgencyKind.BAPPEDA, RoleKind.REVIEWER),
    "harmonise": StepRole(AgencyKind.BAGIAN_HUKUM, RoleKind.LEGAL_VERIFIER),
    "record_letter": StepRole(AgencyKind.BAGIAN_HUKUM, RoleKind.LEGAL_VERIFIER),
    "paraf_kominfo": StepRole(AgencyKind.DISKOMINFO, RoleKind.PARAF),
    "paraf_hukum": StepRole(AgencyKind.BAGIAN_HUKUM, RoleKind.PARAF),
    "paraf_sekda": StepRole(AgencyKind.SEKDA, RoleKind.PARAF),
    "enact": StepRole(AgencyKind.KEPALA_DAERAH, RoleKind.SIGNER),
    "promulgate": StepRole(AgencyKind.SEKDA, RoleKind.SIGNER),
}

# Stage 3, Masterplan (domain.md steps 3.1 to 3.5).
MASTERPLAN_STEPS = {
    "draft": StepRole(AgencyKind.DISKOMINFO, RoleKind.DRAFTER),
    "review_mentor": StepRole(AgencyKind.TENAGA_AHLI, RoleKind.REVIEWER),
    "review_bappeda": StepRole(AgencyKind.BAPPEDA, RoleKind.REVIEWER),
    "council": StepRole(AgencyKind.SEKDA, RoleKind.REVIEWER),
    "commitment": StepRole(AgencyKind.KEPALA_DAERAH, RoleKind.SIGNER),
    "accept": StepRole(AgencyKind.LAIP, RoleKind.SIGNER),
}

STEP_ROLES = {"mou": MOU_STEPS, "regulation": REGULATION_STEPS, "masterplan": MASTERPLAN_STEPS}


def roles_of_agency_kind(agency_kind: str) -> set[str]:
    """The roles an agency of this kind can hold: those its steps use, plus auditor and administrator."""
    acting = {step.role_kind.value for steps in STEP_ROLES.values() for step in steps.values()
              if step.agency_kind == agency_kind}
    return acting | {RoleKind.AUDITOR.value, RoleKind.ADMINISTRATOR.value}
