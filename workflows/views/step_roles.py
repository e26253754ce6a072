"""Which role of which agency acts at each step of each stage."""

from django.utils.translation import gettext_lazy as _
from django.views import generic

from agreements.models import DecisionKind
from permissions.roles import AgencyKind, RoleKind


class StepRolesView(generic.TemplateView):
    """Which role of which agency acts at each step of each stage (permissions/steps.py, read live)."""

    template_name = "workflows/step_roles.html"

    def get_context_data(self, **kwargs):
        from ..flows import FLOWS
        from ..nodes import Step

        stages = []
        for flow_class in FLOWS.values():
            steps = [node for node in flow_class.instance.nodes() if isinstance(node, Step)]
            steps.sort(key=lambda node: str(node.task_title))
            stages.append({
                "label": flow_class.process_title,
                "steps": [{
                    "title": node.task_title,
                    "agency": AgencyKind(node.step_role.agency_kind).label,
                    "role": RoleKind(node.step_role.role_kind).label,
                    "scope": _("pusat (semua daerah)") if node.step_role.is_central else _("daerah"),
                    "decisions": [DecisionKind(k).label for k in node.decisions],
                    "signs": node.spec.signer is not None,
                } for node in steps],
            })
        return super().get_context_data(stages=stages, **kwargs)
