"""The auditor's filters, shared by the timeline and the exports (the same query string gives the same events).

Every filter is a condition in SQL. No drop-down lists a national set: regions and agencies are a list
only while the auditor's scope is small (a region's auditor), else a typed slug and the agencies of the
chosen region (and the central ones); cases and officials are typed (case number, user name).
"""


import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from permissions.models import RoleAssignment

from . import selectors

SEARCH_MAX_LENGTH = 200
# At most this many regions (or agencies) as a drop-down; a larger scope types the region's slug.
CHOICES_MAX = 60


class EventFilter(django_filters.FilterSet):
    """Date range, action, region, agency, official and a free-text search over the events the user may read."""

    date_from = django_filters.DateFilter(
        label=_("Dari tanggal"), method="filter_date_from", widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("Sampai tanggal"), method="filter_date_to", widget=forms.DateInput(attrs={"type": "date"}),
    )
    action = django_filters.ChoiceFilter(label=_("Aksi"), empty_label=_("Semua aksi"))
    region = django_filters.ModelChoiceFilter(
        label=_("Daerah"), to_field_name="slug", queryset=selectors.Region.objects.none(), empty_label=_("Semua daerah")
    )
    agency = django_filters.ModelChoiceFilter(
        label=_("Instansi"), queryset=selectors.Agency.objects.none(), method="filter_agency",
        empty_label=_("Semua instansi"),
    )
    official = django_filters.CharFilter(label=_("Pejabat (nama pengguna)"), method="filter_official",
                                         max_length=150)
    q = django_filters.CharFilter(label=_("Cari"), method="filter_search", max_length=SEARCH_MAX_LENGTH)
    # Set by the links of the programme and case pages, so their exports hold the same events.
    programme = django_filters.ModelChoiceFilter(label=_("Program"), queryset=selectors.Programme.objects.none(),
                                                 method="filter_programme")
    process = django_filters.ModelChoiceFilter(label=_("Nomor kasus"), queryset=selectors.Programme.objects.none(),
                                               method="filter_process",
                                               widget=forms.NumberInput(attrs={"min": 1, "placeholder": "123"}))

    class Meta:
        model = AuditEvent
        fields = ["date_from", "date_to", "action", "region", "agency", "official", "q", "programme", "process"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = request.user
        self.filters["action"].extra["choices"] = [
            (code, f"{selectors.action_label(code)} ({code})")
            for code in selectors.distinct_actions(self.queryset, scope=selectors.events_visible_to(user))
        ]
        self.filters["region"].queryset = selectors.regions_for_audit(user)
        self.filters["agency"].queryset = selectors.agencies_for_audit(user)
        self.filters["programme"].queryset = selectors.programmes_for_audit(user)
        self.filters["process"].queryset = selectors.processes_for_audit(user)
        self.filters["programme"].extra["widget"] = forms.HiddenInput

    @property
    def form(self):
        """The form, with lists only as long as CHOICES_MAX (the fields still accept every value in scope)."""
        if not hasattr(self, "_form"):
            form = super().form
            self._bound_choices(form)
        return self._form

    def _bound_choices(self, form) -> None:
        user = self.request.user
        region_field = form.fields["region"]
        regions = list(selectors.regions_for_audit(user).order_by("kind", "name")[: CHOICES_MAX + 1])
        if len(regions) <= CHOICES_MAX:
            region_field.widget = forms.Select(choices=[("", region_field.empty_label),
                                                        *((r.slug, str(r)) for r in regions)])
        else:
            region_field.widget = forms.TextInput(attrs={"placeholder": _("slug daerah, mis. kota-banjar")})
            region_field.help_text = _("Ketik slug daerah; daftar instansi mengikuti daerah yang dipilih.")
        agency_field = form.fields["agency"]
        agencies = selectors.agencies_for_audit(user)
        listed = list(agencies[: CHOICES_MAX + 1])
        if len(listed) > CHOICES_MAX:  # the central agencies, those of the chosen region, and the one chosen
            chosen = Q(region__isnull=True)
            slug = (self.data or {}).get("region")
            if slug:
                chosen |= Q(region__slug=slug)
            picked = str((self.data or {}).get("agency") or "")
            if picked.isdigit():
                chosen |= Q(pk=int(picked))
            listed = list(agencies.filter(chosen)[:CHOICES_MAX])
        agency_field.widget = forms.Select(choices=[("", agency_field.empty_label),
                                                    *((a.pk, str(a)) for a in listed)])

    def filter_date_from(self, queryset, name, day):
        return selectors.created_from(queryset, day)

    def filter_date_to(self, queryset, name, day):
        return selectors.created_until(queryset, day)

    def filter_official(self, queryset, name, value):
        """The events of the official by user name: on the actor's id (the index on (actor, id)), not a join."""
        value = value.strip()
        if not value:
            return queryset
        actor = selectors.actor_by_username(value)
        return queryset.filter(actor_id=actor) if actor is not None else queryset.none()

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
