"""The auditor's filters, shared by the timeline and the exports (the same query string gives the same events)."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from permissions.models import RoleAssignment

from . import selectors

SEARCH_MAX_LENGTH = 200


class EventFilter(django_filters.FilterSet):
    """Date range, action, region, agency, official and a free-text search over the events the user may read."""

    date_from = django_filters.DateFilter(
        field_name="created", lookup_expr="date__gte", label=_("Dari tanggal"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="created", lookup_expr="date__lte", label=_("Sampai tanggal"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    action = django_filters.ChoiceFilter(label=_("Aksi"), empty_label=_("Semua aksi"))
    region = django_filters.ModelChoiceFilter(
        label=_("Daerah"), to_field_name="slug", queryset=selectors.Region.objects.none(), empty_label=_("Semua daerah")
    )
    agency = django_filters.ModelChoiceFilter(
        label=_("Instansi"), queryset=selectors.Agency.objects.none(), method="filter_agency",
        empty_label=_("Semua instansi"),
    )
    official = django_filters.CharFilter(field_name="actor__username", label=_("Pejabat (nama pengguna)"),
                                         max_length=150)
    q = django_filters.CharFilter(label=_("Cari"), method="filter_search", max_length=SEARCH_MAX_LENGTH)
    # Set by the links of the programme and case pages, so their exports hold the same events.
    programme = django_filters.ModelChoiceFilter(label=_("Program"), queryset=selectors.Programme.objects.none(),
                                                 method="filter_programme")
    process = django_filters.ModelChoiceFilter(label=_("Kasus"), queryset=selectors.Programme.objects.none(),
                                               method="filter_process")

    class Meta:
        model = AuditEvent
        fields = ["date_from", "date_to", "action", "region", "agency", "official", "q", "programme", "process"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = request.user
        self.filters["action"].extra["choices"] = [
            (code, f"{selectors.action_label(code)} ({code})") for code in selectors.distinct_actions(self.queryset)
        ]
        self.filters["region"].queryset = selectors.regions_for_audit(user)
        self.filters["agency"].queryset = selectors.agencies_for_audit(user)
        self.filters["programme"].queryset = selectors.programmes_for_audit(user)
        self.filters["process"].queryset = selectors.processes_for_audit(user)

    def filter_programme(self, queryset, name, programme):
        return selectors.programme_events(queryset, programme)

    def filter_process(self, queryset, name, process):
        return selectors.process_events(queryset, process)

    def filter_agency(self, queryset, name, agency):
        """Events by the agency: its name recorded with the event, else the actor's role at that agency."""
        held = Exists(RoleAssignment.objects.filter(user=OuterRef("actor"), agency=agency))
        return queryset.filter(Q(actor_agency=agency.name) | (Q(actor_agency="") & held))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        found = Q(actor_label__icontains=value) | Q(action__icontains=value) | Q(details__icontains=value)
        labelled = selectors.actions_labelled(value)
        if labelled:
            found |= Q(action__in=labelled)
        found |= Q(actor_agency__icontains=value)
        return queryset.filter(found)

    def applied(self) -> dict:
        """The filters in force, as plain values (recorded with an export)."""
        if not self.is_bound or not self.is_valid():
            return {}
        applied = {}
        for key, value in self.form.cleaned_data.items():
            if value in (None, ""):
                continue
            if key == "region":
                value = value.slug
            elif key == "agency":
                value = value.name
            elif key in ("programme", "process"):
                value = value.pk
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            applied[key] = value
        return applied
