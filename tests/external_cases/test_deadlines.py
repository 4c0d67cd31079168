"""The external deadline of each preset, counted on the source's calendar (holidays and 调休)."""

from datetime import date

import pytest

from external_cases import deadlines
from external_cases.models import ExternalSource
from sla.models import CalendarDay

from .conftest import sh

pytestmark = pytest.mark.django_db


def test_the_holidays_package_knows_national_day_2026_and_its_working_saturday():
    # What the ODR test below relies on: Mid-Autumn on Friday 25 September, National Day 1-7
    # October, and Saturday 10 October worked instead (调休).
    import holidays

    china = holidays.China(years=2026)
    assert date(2026, 9, 25) in china
    assert all(date(2026, 10, day) in china or date(2026, 10, day).weekday() >= 5 for day in range(1, 8))
    assert china.is_working_day(date(2026, 10, 10))


def test_odr_case_received_on_friday_25_september_is_due_on_the_tenth_working_day_after_national_day():
    odr = ExternalSource.objects.get(slug="12315-odr")
    # Working days: 28, 29, 30 September; 8, 9, 10 (Saturday, 调休), 12, 13, 14, 15 October.
    due = deadlines.due_at(odr, sh(2026, 9, 25, 10, 0))
    assert due == sh(2026, 10, 15, 18, 0)


def test_the_working_saturday_counts_and_the_weekend_after_it_does_not():
    odr = ExternalSource.objects.get(slug="12315-odr")
    # Received Thursday 8 October: 9 (Fri), 10 (Sat, 调休), 12 … 21 October is the tenth.
    assert deadlines.due_at(odr, sh(2026, 10, 8, 9, 30)) == sh(2026, 10, 21, 18, 0)


def test_an_extra_closed_day_on_the_sources_calendar_moves_the_deadline():
    odr = ExternalSource.objects.select_related("calendar").get(slug="12315-odr")
    CalendarDay.objects.create(
        calendar=odr.calendar, date=date(2026, 10, 12), is_working=False, note="office move"
    )
    assert deadlines.due_at(odr, sh(2026, 9, 25, 10, 0)) == sh(2026, 10, 16, 18, 0)


def test_heimao_counts_48_hours_around_the_clock_through_the_holiday():
    heimao = ExternalSource.objects.get(slug="heimao")
    assert deadlines.due_at(heimao, sh(2026, 9, 30, 20, 15)) == sh(2026, 10, 2, 20, 15)


def test_calendar_days_end_at_midnight_after_the_last_day():
    letter = ExternalSource.objects.get(slug="legal-letter")
    assert deadlines.due_at(letter, sh(2026, 9, 25, 16, 0)) == sh(2026, 10, 3, 0, 0)


def test_warnings_fall_at_their_share_of_the_business_time_allowed():
    heimao = ExternalSource.objects.get(slug="heimao")
    received = sh(2026, 9, 30, 20, 0)
    due = deadlines.due_at(heimao, received)
    assert deadlines.alert_at(heimao, received, due, 50) == sh(2026, 10, 1, 20, 0)
