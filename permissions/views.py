"""Officials delegate their own roles (a.n. / Plt.) and see what was delegated to them."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import generic

from .delegation import delegation_create, delegation_end
from .forms import DelegationForm
from .models import Delegation
from .selectors import delegable_assignments

DELEGATION_CREATED = _("Delegasi tersimpan.")
DELEGATION_ENDED = _("Delegasi diakhiri.")


DELEGATE_SUGGESTIONS = 100


class DelegationView(generic.FormView):
    """Officials delegate their own roles (a.n. / Plt.) and see what was delegated to them."""

    template_name = "permissions/delegations.html"
    form_class = DelegationForm

    def get_form_kwargs(self):
        # Suggested: the officials of the region (or the ministry) whose roles the user may delegate; anyone may
        # be named, and the delegation's own rules say clearly what is not allowed.
        assignments = list(delegable_assignments(self.request.user))
        regions = {a.agency.region_id for a in assignments}
        where = Q(role_assignments__agency__region__in=regions - {None})
        if None in regions:
            where |= Q(role_assignments__agency__region__isnull=True)
        candidates = get_user_model().objects.filter(where, official__isnull=False).select_related("official") \
            .distinct().order_by("username")[:DELEGATE_SUGGESTIONS] if assignments else []
        return {**super().get_form_kwargs(), "assignments": assignments, "candidates": candidates}

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            given=Delegation.objects.filter(assignment__user=user).select_related(
                "assignment__agency", "delegate__official"),
            received=Delegation.objects.filter(delegate=user).select_related(
                "assignment__agency", "assignment__user__official"),
            today=timezone.localdate(),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        assignment = delegable_assignments(self.request.user).filter(pk=data["assignment"]).first()
        if assignment is None:
            raise PermissionDenied
        try:
            delegation_create(
                actor=self.request.user, assignment=assignment,
                delegate=data["delegate"], kind=data["kind"],
                valid_from=data["valid_from"], valid_until=data["valid_until"], reason=data["reason"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        messages.success(self.request, DELEGATION_CREATED)
        return redirect("sepakat:delegations")


class DelegationEndView(generic.View):
    def post(self, request, pk):
        delegation = Delegation.objects.filter(pk=pk, assignment__user=request.user).first()
        if delegation is None:
            raise Http404
        delegation_end(actor=request.user, delegation=delegation)
        messages.success(request, DELEGATION_ENDED)
        return redirect("sepakat:delegations")
