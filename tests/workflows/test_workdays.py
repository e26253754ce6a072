"""The working-day calendar of every Tenggat: national holidays and cuti bersama of the library, the
administrators' own days off, and a region's holidays only in that region."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from agreements.models import Region
from workflows import deadlines
from workflows.models import Holiday, HolidayKind, Outcome, StageProcess, TaskDeadline
from workflows.workdays import WorkingCalendar, calendar_around, calendars_for, national_holidays

from .helpers import open_task

pytestmark = pytest.mark.django_db

D = datetime.date
BANJAR, SOLOK = "kota-banjar", "kota-solok"


def wib(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=timezone.get_current_timezone())


def region(slug):
    return Region.objects.get(slug=slug)


def test_the_library_knows_independence_day_idul_fitri_and_its_cuti_bersama():
    days = national_holidays(D(2026, 3, 1), D(2026, 8, 31))
    assert days[D(2026, 8, 17)] == "Hari Kemerdekaan Republik Indonesia"
    # Nyepi and Idul Fitri 2026 with their cuti bersama (the SKB's days): Wednesday 18 to Tuesday 24 March.
    assert {day for day in days if D(2026, 3, 18) <= day <= D(2026, 3, 24)} == {
        D(2026, 3, 18) + datetime.timedelta(days=n) for n in range(7)}
    assert days[D(2026, 3, 23)] == "Cuti Bersama Hari Raya Idul Fitri"


def test_a_tenggat_skips_weekends_and_independence_day():
    calendar = calendar_around(D(2026, 8, 14))
    assert calendar.add_working_days(D(2026, 8, 14), 1) == D(2026, 8, 18)  # Friday: not Saturday to Monday 17th
    assert calendar.add_working_days(D(2026, 8, 15), 1) == D(2026, 8, 18)  # created on a Saturday
    assert calendar.previous_working_day(D(2026, 8, 18)) == D(2026, 8, 14)
    assert calendar.working_days_between(D(2026, 8, 14), D(2026, 8, 18)) == 1
    assert not calendar.is_working_day(D(2026, 8, 17))


def test_a_tenggat_skips_nyepi_idul_fitri_and_their_cuti_bersama():
    calendar = calendar_around(D(2026, 3, 16))
    # Five working days from Monday 16 March: the 17th, then nothing until Wednesday 25th.
    assert calendar.add_working_days(D(2026, 3, 16), 5) == D(2026, 3, 30)
    assert calendar.add_working_days(D(2026, 3, 17), 1) == D(2026, 3, 25)
    assert calendar.previous_working_day(D(2026, 3, 25)) == D(2026, 3, 17)
    assert calendar.working_days_between(D(2026, 3, 17), D(2026, 3, 27)) == 3


def test_an_administrators_cuti_bersama_counts_everywhere():
    Holiday.objects.create(date=D(2026, 8, 18), name="Cuti bersama (SKB tambahan)", kind=HolidayKind.CUTI_BERSAMA)
    for place in (None, region(BANJAR), region(SOLOK)):
        calendar = calendar_around(D(2026, 8, 14), place)
        assert calendar.add_working_days(D(2026, 8, 14), 1) == D(2026, 8, 19)


def test_a_regional_holiday_counts_only_in_its_region():
    Holiday.objects.create(date=D(2026, 6, 2), name="Hari Jadi Kota Banjar", kind=HolidayKind.REGIONAL,
                           region=region(BANJAR))
    assert calendar_around(D(2026, 6, 1), region(BANJAR)).add_working_days(D(2026, 6, 1), 1) == D(2026, 6, 3)
    assert calendar_around(D(2026, 6, 1), region(SOLOK)).add_working_days(D(2026, 6, 1), 1) == D(2026, 6, 2)
    assert calendar_around(D(2026, 6, 1)).add_working_days(D(2026, 6, 1), 1) == D(2026, 6, 2)


def test_every_regions_calendar_in_one_query(django_assert_num_queries):
    Holiday.objects.create(date=D(2026, 6, 2), name="Hari Jadi Kota Banjar", kind=HolidayKind.REGIONAL,
                           region=region(BANJAR))
    Holiday.objects.create(date=D(2026, 6, 3), name="Cuti bersama", kind=HolidayKind.CUTI_BERSAMA)
    banjar, solok = region(BANJAR).pk, region(SOLOK).pk
    with django_assert_num_queries(1):
        calendars = calendars_for([banjar, solok], D(2026, 1, 1), D(2026, 12, 31))
    assert calendars[banjar].add_working_days(D(2026, 6, 1), 1) == D(2026, 6, 4)
    assert calendars[solok].add_working_days(D(2026, 6, 1), 1) == D(2026, 6, 2)
    assert calendars[None].is_working_day(D(2026, 6, 2)) and not calendars[None].is_working_day(D(2026, 6, 3))


def test_a_calendar_refuses_a_day_it_did_not_load():
    calendar = WorkingCalendar(None, D(2026, 1, 1), D(2026, 1, 31))
    with pytest.raises(ValueError):
        calendar.is_working_day(D(2026, 2, 2))


def test_a_real_task_created_before_independence_day_gets_its_tenggat_on_the_calendar(as_user, programme):
    """The draft of an MoU (10 working days) opened on Thursday 13 August 2026: not the 17th (Independence
    Day), not the 25th (Maulid Nabi): Monday 31 August, not Thursday 27th as Monday-to-Friday would say."""
    with time_machine.travel(wib(2026, 8, 13, 9, 0), tick=False):
        client = as_user("laip.staf")
        assert client.post(reverse("sepakat:case_open", args=[BANJAR, 2024, "mou"])).status_code == 302
    case = StageProcess.objects.get(programme=programme(BANJAR), outcome=Outcome.OPEN)
    deadline = TaskDeadline.objects.get(task=open_task(case, "draft"))
    assert (deadline.working_days, deadline.due) == (10, D(2026, 8, 31))


# The administrators' holidays: what may be entered ---------------------------------------------------------


def test_a_regional_holiday_needs_its_region_and_a_national_one_none():
    problems = deadlines.holiday_problems(Holiday(date=D(2026, 6, 2), name="x", kind=HolidayKind.REGIONAL))
    assert problems == {"region": "Hari libur daerah harus menyebut daerahnya."}
    problems = deadlines.holiday_problems(Holiday(date=D(2026, 6, 2), name="x", kind=HolidayKind.CUTI_BERSAMA,
                                                  region=region(BANJAR)))
    assert problems == {"region": "Cuti bersama dan hari libur nasional berlaku di semua daerah: kosongkan daerahnya."}


def test_a_day_the_library_or_another_entry_already_gives_off_is_refused():
    problems = deadlines.holiday_problems(Holiday(date=D(2026, 8, 17), name="HUT RI", kind=HolidayKind.NATIONAL))
    assert problems == {"date": "17-08-2026 sudah hari libur nasional atau cuti bersama dalam kalender Sepakat "
                                "(Hari Kemerdekaan Republik Indonesia): tidak perlu dimasukkan."}
    Holiday.objects.create(date=D(2026, 6, 3), name="Cuti bersama", kind=HolidayKind.CUTI_BERSAMA)
    problems = deadlines.holiday_problems(Holiday(date=D(2026, 6, 3), name="Hari Jadi", kind=HolidayKind.REGIONAL,
                                                  region=region(BANJAR)))
    assert problems == {"date": "Sudah ada hari libur pada 03-06-2026 yang berlaku di sini: Cuti bersama."}
    # Two regions may each have their own holiday on one day.
    Holiday.objects.create(date=D(2026, 6, 4), name="Hari Jadi Kota Banjar", kind=HolidayKind.REGIONAL,
                           region=region(BANJAR))
    assert deadlines.holiday_problems(Holiday(date=D(2026, 6, 4), name="Hari Jadi Kota Solok",
                                              kind=HolidayKind.REGIONAL, region=region(SOLOK))) == {}


def test_a_national_day_the_government_moved_can_be_made_a_working_day():
    """The library estimates Islamic dates; when sidang isbat fixes another day, administrators say so."""
    assert not calendar_around(D(2026, 5, 27)).is_working_day(D(2026, 5, 27))  # Idul Adha in the library
    moved = Holiday(date=D(2026, 5, 27), name="Idul Adha jatuh 28 Mei (sidang isbat)", kind=HolidayKind.WORKING_DAY)
    moved.full_clean()
    moved.save()
    for place in (None, region(BANJAR)):
        assert calendar_around(D(2026, 5, 27), place).is_working_day(D(2026, 5, 27))
        assert calendars_for([region(BANJAR).pk], D(2026, 5, 1), D(2026, 6, 30))[getattr(place, "pk", None)] \
            .is_working_day(D(2026, 5, 27))
    ordinary = Holiday(date=D(2026, 5, 26), name="Selasa biasa", kind=HolidayKind.WORKING_DAY)
    with pytest.raises(ValidationError) as refused:
        ordinary.full_clean()
    assert "bukan hari libur dalam kalender nasional" in str(refused.value)
