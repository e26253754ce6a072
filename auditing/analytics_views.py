"""Process analytics for auditors and administrators, within the regions they may see."""

import csv
import io

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import generic

from permissions.selectors import regions_visible_to, visible_region_ids
from workflows.models import Stage

from . import analytics, snapshots
from .selectors import can_audit

CHOICES_MAX = 60  # at most this many regions as a drop-down; a national scope types the region's slug
REGION_UNKNOWN = _("Daerah ini tidak dikenal atau di luar cakupan Anda.")


class AnalyticsFilterForm(forms.Form):
    """Region (only those in the user's scope, by slug) and stage, both optional."""

    region = forms.CharField(label=_("Daerah"), required=False, max_length=100)
    stage = forms.ChoiceField(label=_("Tahap"), required=False, choices=[("", _("Semua tahap")), *Stage.choices])

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = regions  # a queryset: the user's scope
        listed = list(regions[: CHOICES_MAX + 1])
        self.listed = listed if len(listed) <= CHOICES_MAX else None
        self.region_count = len(listed) if self.listed is not None else regions.count()
        if self.listed is not None:
            self.fields["region"].widget = forms.Select(
                choices=[("", _("Semua daerah")), *((r.slug, str(r)) for r in self.listed)])
        else:
            self.fields["region"].widget = forms.TextInput(attrs={"placeholder": _("slug daerah, mis. kota-banjar")})
            self.fields["region"].help_text = _("Kosongkan untuk semua daerah dalam cakupan Anda.")
        self.region_obj = None

    def clean_region(self):
        slug = self.cleaned_data.get("region", "").strip()
        if not slug:
            return ""
        if self.listed is not None:
            found = next((r for r in self.listed if r.slug == slug), None)
        else:
            found = self.regions.filter(slug=slug).first()
        if found is None:
            raise forms.ValidationError(REGION_UNKNOWN)
        self.region_obj = found
        return slug

    def selected_regions(self):
        """The chosen region, else every region in scope (the list when short, a queryset when national)."""
        if self.is_bound and self.region_obj is not None:
            return [self.region_obj]
        return self.listed if self.listed is not None else self.regions

    def selected_stage(self):
        return (self.cleaned_data.get("stage") or None) if self.is_bound else None


class _AnalyticsBase(generic.View):
    """Auditors and administrators only; every number comes from the user's regions."""

    def dispatch(self, request, *args, **kwargs):
        if not can_audit(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def filter_form(self) -> AnalyticsFilterForm:
        regions = regions_visible_to(self.request.user).order_by("kind", "name")
        return AnalyticsFilterForm(self.request.GET or None, regions=regions)

    def stored_report(self, form: AnalyticsFilterForm) -> snapshots.Shown | None:
        """The last snapshot for valid filters (auditing.snapshots: never computed here); None when a filter is
        outside the user's scope or unknown. Keyed by exactly the regions reported on: the chosen one, else
        every region the user may see (None: every region)."""
        if form.is_bound and not form.is_valid():
            return None
        region = form.region_obj if form.is_bound else None
        ids = [region.pk] if region is not None else visible_region_ids(self.request.user)
        return snapshots.snapshot_show(form.selected_regions(), form.selected_stage(), ids)


class AnalyticsView(_AnalyticsBase, generic.TemplateView):
    template_name = "auditing/analytics.html"

    def get_context_data(self, **kwargs):
        form = self.filter_form()
        shown = self.stored_report(form)
        data = shown.report if shown is not None else None
        query = self.request.GET.urlencode()
        sections = []
        if data is not None:
            tables = analytics.tables(data)
            charts = analytics.charts(data)
            for slug in analytics.TABLE_SLUGS:
                csv_url = reverse("audit:analytics_csv", kwargs={"table": slug})
                sections.append({
                    "slug": slug,
                    "table": tables[slug],
                    "chart": charts[slug],
                    "csv_url": f"{csv_url}?{query}" if query else csv_url,
                })
        return super().get_context_data(
            form=form,
            report=data,
            shown=shown,
            sections=sections,
            **kwargs,
        )


class AnalyticsCsvView(_AnalyticsBase):
    """One table of the page as CSV (UTF-8 with BOM, for spreadsheets), with the page's filters."""

    def get(self, request, table):
        if table not in analytics.TABLE_SLUGS:
            raise Http404
        form = self.filter_form()
        if form.is_bound and not form.is_valid():
            return HttpResponseBadRequest(_("Filter tidak valid."), content_type="text/plain; charset=utf-8")
        content = analytics.full_table(form.selected_regions(), table, form.selected_stage())
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([csv_cell(h) for h in content.headers])
        writer.writerows([[csv_cell(c) for c in row] for row in content.rows])
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="sepakat-analitik-{table}-{stamp}.csv"'
        return response


def csv_cell(value):
    """Text a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
