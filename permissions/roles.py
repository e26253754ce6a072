"""Which agency kind and role kind acts at each workflow step.

This module is the one home of the step-to-role mapping: flows, guardian sync,
seeding and the tests all read it. The vocabulary itself is agreements.agencies.
"""

from agreements.agencies import (  # noqa: F401 (re-exported: the vocabulary roles are made of)
    ACTING_ROLE_KINDS,
    CENTRAL_AGENCY_KINDS,
    VIEW_CASES_PERMISSION,
    AgencyKind,
    RoleKind,
    act_codename,
    region_permissions,
)


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
