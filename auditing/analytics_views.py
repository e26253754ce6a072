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

from permissions.selectors import regions_visible_to
from workflows.models import Stage

from . import analytics
from .selectors import can_audit


class AnalyticsFilterForm(forms.Form):
    """Region (only those in the user's scope) and stage, both optional."""

    region = forms.ChoiceField(label=_("Daerah"), required=False)
    stage = forms.ChoiceField(label=_("Tahap"), required=False, choices=[("", _("Semua tahap")), *Stage.choices])

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = list(regions)
        self.fields["region"].choices = [("", _("Semua daerah")), *((r.slug, str(r)) for r in self.regions)]

    def selected_regions(self):
        slug = self.cleaned_data.get("region")
        return [r for r in self.regions if r.slug == slug] if slug else self.regions

    def selected_stage(self):
        return self.cleaned_data.get("stage") or None


class _AnalyticsBase(generic.View):
    """Auditors and administrators only; every number comes from the user's regions."""

    def dispatch(self, request, *args, **kwargs):
        if not can_audit(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def filter_form(self) -> AnalyticsFilterForm:
        regions = regions_visible_to(self.request.user).order_by("kind", "name")
        return AnalyticsFilterForm(self.request.GET or None, regions=regions)

    def build_report(self, form: AnalyticsFilterForm) -> analytics.Report | None:
        """The report for valid filters; None when a filter is outside the user's scope or unknown."""
        if form.is_bound and not form.is_valid():
            return None
        if not form.is_bound:
            return analytics.report(form.regions)
        return analytics.report(form.selected_regions(), form.selected_stage())


class AnalyticsView(_AnalyticsBase, generic.TemplateView):
    template_name = "auditing/analytics.html"

    def get_context_data(self, **kwargs):
        form = self.filter_form()
        data = self.build_report(form)
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
            sections=sections,
            **kwargs,
        )


class AnalyticsCsvView(_AnalyticsBase):
    """One table of the page as CSV (UTF-8 with BOM, for spreadsheets), with the page's filters."""

    def get(self, request, table):
        if table not in analytics.TABLE_SLUGS:
            raise Http404
        form = self.filter_form()
        data = self.build_report(form)
        if data is None:
            return HttpResponseBadRequest(_("Filter tidak valid."), content_type="text/plain; charset=utf-8")
        content = analytics.table(data, table)
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
