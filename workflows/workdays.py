"""The Indonesian working-day calendar that every Tenggat is counted on.

A working day is Monday to Friday, not a national holiday or cuti bersama (the `holidays` library's
Indonesian calendar: its public and government categories, the latter being the SKB's cuti bersama), not a
day that administrators entered (Holiday: cuti bersama or national days the library does not know yet,
and each region's own holidays).
"""

import datetime
from functools import lru_cache

import holidays
from django.db.models import Q
from django.utils import timezone

from .models import Holiday, HolidayKind

# Far enough for any Tenggat (at most 60 working days) and its escalation, even around Idul Fitri.
HORIZON_DAYS = 200


@lru_cache(maxsize=64)
def _national(year: int) -> dict[datetime.date, str]:
    return dict(holidays.country_holidays("ID", years=year, language="id", categories=("public", "government")))


def national_holidays(start: datetime.date, end: datetime.date) -> dict[datetime.date, str]:
    """The library's national holidays and cuti bersama between two dates (no query)."""
    days = {}
    for year in range(start.year, end.year + 1):
        days.update({day: name for day, name in _national(year).items() if start <= day <= end})
    return days


def national_holidays_of_year(year: int) -> list[tuple[datetime.date, str]]:
    """The library's days off of one year, in date order: what administrators need not enter."""
    return sorted(_national(year).items())


class WorkingCalendar:
    """The days off of one region (or of the nation, for region None) between two dates, loaded in one query
    (none when `entered`, the administrators' days off of this scope, is given: see calendars_for)."""

    def __init__(self, region=None, start: datetime.date | None = None, end: datetime.date | None = None, *,
                 entered: dict[datetime.date, str] | None = None, working: set[datetime.date] | None = None):
        self.start = start or timezone.localdate() - datetime.timedelta(days=HORIZON_DAYS)
        self.end = end or self.start + datetime.timedelta(days=2 * HORIZON_DAYS)
        self.region_id = getattr(region, "pk", region)
        self.days_off = national_holidays(self.start, self.end)
        if entered is None:
            scope = Q(region__isnull=True) | Q(region_id=self.region_id) if self.region_id else Q(region__isnull=True)
            entered, working = _split(Holiday.objects.filter(scope, date__range=(self.start, self.end))
                                      .values_list("date", "name", "kind"))
        for day in working or ():  # the national calendar's day that is a working day after all
            self.days_off.pop(day, None)
        self.days_off.update(entered)

    def _covers(self, day: datetime.date) -> None:
        if not self.start <= day <= self.end:
            raise ValueError(f"{day} is outside this calendar ({self.start} to {self.end})")

    def is_working_day(self, day: datetime.date) -> bool:
        self._covers(day)
        return day.weekday() < 5 and day not in self.days_off

    def add_working_days(self, start: datetime.date, days: int) -> datetime.date:
        """The `days`-th working day after `start` (a task created on Saturday: day 1 is Monday)."""
        day, added = start, 0
        while added < days:
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                added += 1
        return day

    def previous_working_day(self, day: datetime.date) -> datetime.date:
        day -= datetime.timedelta(days=1)
        while not self.is_working_day(day):
            day -= datetime.timedelta(days=1)
        return day

    def working_days_between(self, first: datetime.date, last: datetime.date) -> int:
        """Working days after `first` up to and including `last` (0 when last <= first)."""
        count, day = 0, first
        while day < last:
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def calendar_around(day: datetime.date, region=None) -> WorkingCalendar:
    span = datetime.timedelta(days=HORIZON_DAYS)
    return WorkingCalendar(region, day - span, day + span)


def calendars_for(region_ids, start: datetime.date, end: datetime.date) -> dict[int | None, WorkingCalendar]:
    """One calendar per region (and the nation's, under None) between two dates, in one query for all."""
    region_ids = {pk for pk in region_ids if pk is not None}
    national: dict[datetime.date, str] = {}
    working: set[datetime.date] = set()
    regional: dict[int, dict[datetime.date, str]] = {pk: {} for pk in region_ids}
    rows = Holiday.objects.filter(Q(region__isnull=True) | Q(region_id__in=region_ids), date__range=(start, end))
    for day, name, region_id, kind in rows.values_list("date", "name", "region_id", "kind"):
        if kind == HolidayKind.WORKING_DAY:
            working.add(day)
        else:
            (national if region_id is None else regional[region_id])[day] = name
    calendars = {None: WorkingCalendar(None, start, end, entered=national, working=working)}
    for pk, days in regional.items():
        calendars[pk] = WorkingCalendar(pk, start, end, entered={**national, **days}, working=working)
    return calendars


def _split(rows) -> tuple[dict[datetime.date, str], set[datetime.date]]:
    """(days off entered, working days entered) from (date, name, kind) rows."""
    entered, working = {}, set()
    for day, name, kind in rows:
        if kind == HolidayKind.WORKING_DAY:
            working.add(day)
        else:
            entered[day] = name
    return entered, working
