"""Tenggat in the admin: each step's working days, and the holidays the national calendar does not know.

Every save and delete goes through workflows.deadlines: validated, in one transaction, audited. A step's
Tenggat applies to the tasks created after the change; each open task keeps the Tenggat it was given.
"""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from permissions.steps import step_spec

from . import deadlines
from .models import STAGE_ORDER, Holiday, StepDeadline
from .workdays import national_holidays_of_year


def _bounded_field(label, limits, help_text) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=limits[0], max_value=limits[1], help_text=help_text)


class StepDeadlineForm(forms.ModelForm):
    working_days = _bounded_field(
        _("tenggat (hari kerja)"), deadlines.WORKING_DAYS_LIMITS,
        _("Hari kerja: Senin–Jumat tanpa hari libur nasional, cuti bersama dan libur daerah."))
    escalate_after_days = _bounded_field(
        _("eskalasi setelah terlambat (hari kerja)"), deadlines.ESCALATE_AFTER_LIMITS,
        _("Jumlah hari kerja setelah tenggat terlewati sebelum kepala instansi diberi tahu."))

    class Meta:
        model = StepDeadline
        fields = ("working_days", "escalate_after_days")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, limits, message in (
            ("working_days", deadlines.WORKING_DAYS_LIMITS, deadlines.WORKING_DAYS_OUT_OF_RANGE),
            ("escalate_after_days", deadlines.ESCALATE_AFTER_LIMITS, deadlines.ESCALATE_AFTER_OUT_OF_RANGE),
        ):  # the service's own message, in the reader's language
            text = message % {"low": limits[0], "high": limits[1]}
            self.fields[name].error_messages.update(min_value=text, max_value=text)


@admin.register(StepDeadline)
class StepDeadlineAdmin(admin.ModelAdmin):
    """One row per human step (made at migrate from the step table): changed, never added or deleted."""

    form = StepDeadlineForm
    list_display = ("stage", "step_title", "working_days", "escalate_after_days", "changed")
    list_display_links = ("step_title",)
    list_filter = ("stage",)
    fields = ("stage", "step_title", "working_days", "escalate_after_days", "table_days", "applies_to")
    readonly_fields = ("stage", "step_title", "table_days", "applies_to")

    def get_queryset(self, request):
        stage_order = Case(*(When(stage=stage, then=Value(index)) for index, stage in enumerate(STAGE_ORDER)),
                           default=Value(len(STAGE_ORDER)), output_field=IntegerField())
        return super().get_queryset(request).annotate(stage_order=stage_order).order_by("stage_order", "pk")

    @admin.display(description=_("langkah"))
    def step_title(self, obj):
        spec = step_spec(obj.stage, obj.step)
        return spec.title if spec else obj.step

    @admin.display(description=_("tenggat menurut tabel langkah (hari kerja)"))
    def table_days(self, obj):
        spec = step_spec(obj.stage, obj.step)
        return spec.deadline_days if spec else "—"

    @admin.display(description=_("berlaku untuk"))
    def applies_to(self, obj):
        return deadlines.APPLIES_TO_NEW_TASKS

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        deadlines.step_deadline_change(step_deadline=obj, working_days=form.cleaned_data["working_days"],
                                       escalate_after_days=form.cleaned_data["escalate_after_days"],
                                       actor=request.user)
        if form.changed_data:
            self.message_user(request, deadlines.APPLIES_TO_NEW_TASKS, messages.INFO)


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ("date", "name", "kind", "region")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        holiday = Holiday(pk=self.instance.pk, date=cleaned.get("date"), kind=cleaned.get("kind"),
                          region=cleaned.get("region"))
        for field, message in deadlines.holiday_problems(holiday).items():
            self.add_error(field, message)  # the date's unique constraints are then not checked a second time
        return cleaned


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    form = HolidayForm
    list_display = ("date", "weekday", "name", "kind", "region")
    list_filter = ("kind", "region")
    date_hierarchy = "date"
    search_fields = ("name",)
    list_select_related = ("region",)
    fields = ("date", "name", "kind", "region", "national_calendar")
    readonly_fields = ("national_calendar",)

    @admin.display(description=_("hari"), ordering="date")
    def weekday(self, obj):
        return formats.date_format(obj.date, "l")

    @admin.display(description=_("sudah dikenal kalender nasional (tidak perlu dimasukkan)"))
    def national_calendar(self, obj):
        """This year's and next year's national holidays and cuti bersama, from the `holidays` library."""
        year = timezone.localdate().year
        return format_html_join("", "<p><strong>{}</strong></p><ul>{}</ul>", (
            (shown, format_html_join("", "<li>{} — {}</li>", (
                (formats.date_format(day, "l, j F Y"), name) for day, name in national_holidays_of_year(shown))))
            for shown in (year, year + 1)))

    def save_model(self, request, obj, form, change):
        deadlines.holiday_save(holiday=obj, actor=request.user)

    def delete_model(self, request, obj):
        deadlines.holiday_delete(holiday=obj, actor=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for holiday in queryset:
            deadlines.holiday_delete(holiday=holiday, actor=request.user)

