"""Who acts at a step: an agency kind and a role kind, and the permission that gives.

Which step each role acts at is the step table (permissions/steps.py); the
vocabulary itself is agreements.agencies.
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
