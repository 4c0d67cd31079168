"""The two business-time functions: examples across Chinese holidays and properties for any calendar."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendars import (
    CalendarSpec,
    add_business_time,
    business_time_between,
    holiday_year,
    is_working_day,
    next_working_moment,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
OFFICE = ((time(9), time(12)), (time(13, 30), time(18)))
CHINA_OFFICE = CalendarSpec(
    time_zone="Asia/Shanghai", always_open=False, weekly=(OFFICE,) * 5 + ((), ()), holiday_country="CN"
)
ALWAYS = CalendarSpec(time_zone="Asia/Shanghai", always_open=True)
LONDON_OFFICE = CalendarSpec(
    time_zone="Europe/London",
    always_open=False,
    weekly=(((time(9), time(17, 30)),),) * 5 + ((), ()),
    holiday_country="GB",
    holiday_subdivision="ENG",
)
# Night shift crossing midnight, expressed as two intervals; 00:00 as an end means 24:00.
NIGHT_SHIFT = CalendarSpec(
    time_zone="America/New_York",
    always_open=False,
    weekly=(((time(0), time(2)), (time(22), None)),) * 7,
)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


# --- the holiday data the calendars rely on -------------------------------------------------


def test_installed_holidays_know_spring_festival_2026_and_the_working_saturdays():
    year = holiday_year("CN", "", 2026)
    assert {date(2026, 2, 14), date(2026, 2, 28)} <= year.adjusted_working
    for day in range(15, 24):
        assert date(2026, 2, day) in year.closed or date(2026, 2, day).weekday() >= 5
    assert not is_working_day(CHINA_OFFICE, date(2026, 2, 16))  # 除夕
    assert not is_working_day(CHINA_OFFICE, date(2026, 2, 23))  # Monday off in exchange for 2026-02-28
    assert is_working_day(CHINA_OFFICE, date(2026, 2, 14))
    assert is_working_day(CHINA_OFFICE, date(2026, 2, 28))
    assert is_working_day(CHINA_OFFICE, date(2026, 2, 24))


def test_extra_days_correct_the_library_both_ways():
    corrected = CalendarSpec(
        time_zone="Asia/Shanghai",
        always_open=False,
        weekly=CHINA_OFFICE.weekly,
        holiday_country="CN",
        extra_closed=frozenset({date(2026, 2, 14)}),
        extra_working=frozenset({date(2026, 2, 23), date(2026, 3, 7)}),
    )
    assert not is_working_day(corrected, date(2026, 2, 14))
    assert is_working_day(corrected, date(2026, 2, 23))
    # A plain Saturday made a working day works the standard day's intervals.
    assert add_business_time(corrected, sh(2026, 3, 7, 8), hours(1)) == sh(2026, 3, 7, 10)


# --- examples ---------------------------------------------------------------------------------


def test_adding_within_one_interval():
    assert add_business_time(CHINA_OFFICE, sh(2026, 3, 3, 9, 30), hours(2)) == sh(2026, 3, 3, 11, 30)


def test_lunch_break_is_skipped():
    assert add_business_time(CHINA_OFFICE, sh(2026, 3, 3, 11), hours(2)) == sh(2026, 3, 3, 14, 30)


def test_an_amount_that_ends_exactly_at_an_interval_end_stays_there():
    assert add_business_time(CHINA_OFFICE, sh(2026, 3, 3, 11), hours(1)) == sh(2026, 3, 3, 12)
    assert business_time_between(CHINA_OFFICE, sh(2026, 3, 3, 11), sh(2026, 3, 3, 13, 30)) == hours(1)


def test_starting_outside_hours_begins_at_the_next_opening():
    # Friday evening → Monday 09:00 + 1 h.
    assert add_business_time(CHINA_OFFICE, sh(2026, 3, 6, 20), hours(1)) == sh(2026, 3, 9, 10)
    # Midnight counts as the start of a closed night.
    assert add_business_time(CHINA_OFFICE, sh(2026, 3, 4, 0, 0), timedelta(minutes=1)) == sh(2026, 3, 4, 9, 1)
    assert next_working_moment(CHINA_OFFICE, sh(2026, 3, 4, 12, 30)) == sh(2026, 3, 4, 13, 30)


def test_three_working_days_across_spring_festival_2026():
    working_day = hours(7.5)
    # Friday 2026-02-13 10:00: Saturday 14th is a working Saturday, then closed until Tuesday 24th.
    due = add_business_time(CHINA_OFFICE, sh(2026, 2, 13, 10), 3 * working_day)
    assert due == sh(2026, 2, 25, 10)
    assert business_time_between(CHINA_OFFICE, sh(2026, 2, 13, 10), due) == 3 * working_day
    assert business_time_between(CHINA_OFFICE, sh(2026, 2, 15, 0), sh(2026, 2, 24, 0)) == timedelta(0)


def test_the_working_saturday_of_2026_02_28_counts():
    assert add_business_time(CHINA_OFFICE, sh(2026, 2, 27, 17), hours(2)) == sh(2026, 2, 28, 10)


def test_national_day_golden_week_2026_and_its_working_saturday():
    # 1–7 October are closed; 2026-10-10 is a working Saturday after them.
    assert is_working_day(CHINA_OFFICE, date(2026, 10, 10))
    assert not is_working_day(CHINA_OFFICE, date(2026, 10, 1))
    assert add_business_time(CHINA_OFFICE, sh(2026, 9, 30, 17), hours(2)) == sh(2026, 10, 8, 10)


def test_always_open_is_plain_time():
    start = sh(2026, 2, 16, 23, 50)
    assert add_business_time(ALWAYS, start, timedelta(minutes=30)) == sh(2026, 2, 17, 0, 20)
    assert business_time_between(ALWAYS, start, sh(2026, 2, 17, 0, 20)) == timedelta(minutes=30)


def test_a_non_chinese_time_zone_with_daylight_saving():
    # London moves to summer time on 2026-03-29; Friday 27th 17:00 + 1 h → Monday 30th 09:30 BST.
    start = datetime(2026, 3, 27, 17, tzinfo=LONDON)
    due = add_business_time(LONDON_OFFICE, start, hours(1))
    assert due == datetime(2026, 3, 30, 9, 30, tzinfo=LONDON)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
    # Good Friday 2026-04-03 and Easter Monday 2026-04-06 are English bank holidays.
    assert add_business_time(LONDON_OFFICE, datetime(2026, 4, 2, 17, tzinfo=LONDON), hours(1)) == datetime(
        2026, 4, 7, 9, 30, tzinfo=LONDON
    )


def test_intervals_that_end_at_midnight_join_the_next_day():
    start = datetime(2026, 1, 5, 23, tzinfo=ZoneInfo("America/New_York"))
    assert add_business_time(NIGHT_SHIFT, start, hours(2)) == datetime(
        2026, 1, 6, 1, tzinfo=ZoneInfo("America/New_York")
    )


def test_between_is_negative_backwards_and_rejects_naive_times():
    a, b = sh(2026, 3, 3, 10), sh(2026, 3, 3, 11)
    assert business_time_between(CHINA_OFFICE, b, a) == -hours(1)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(CHINA_OFFICE, datetime(2026, 3, 3), b)


def test_a_calendar_without_working_time_refuses_instead_of_looping():
    closed = CalendarSpec(time_zone="UTC", always_open=False)
    with pytest.raises(ValueError, match="no working time"):
        add_business_time(closed, sh(2026, 3, 3), hours(1))


def test_a_year_of_business_time_is_fast():
    import time as clock

    began = clock.perf_counter()
    for offset in range(200):
        start = sh(2026, 1, 1) + timedelta(hours=offset * 7)
        due = add_business_time(CHINA_OFFICE, start, 3 * hours(7.5))
        business_time_between(CHINA_OFFICE, start, due)
    assert clock.perf_counter() - began < 1.0


# --- properties -------------------------------------------------------------------------------

CALENDARS = st.sampled_from([CHINA_OFFICE, ALWAYS, LONDON_OFFICE, NIGHT_SHIFT])
INSTANTS = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31), timezones=st.just(UTC)
)
DURATIONS = st.integers(min_value=0, max_value=60 * 24 * 20).map(lambda m: timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(CALENDARS, INSTANTS, DURATIONS)
def test_between_start_and_added_time_is_exactly_the_duration(spec, start, duration):
    assert business_time_between(spec, start, add_business_time(spec, start, duration)) == duration


@settings(max_examples=150, deadline=None)
@given(CALENDARS, INSTANTS, INSTANTS)
def test_adding_the_time_between_lands_at_the_end_or_the_last_working_moment_before_it(spec, start, end):
    start, end = min(start, end), max(start, end)
    landed = add_business_time(spec, start, business_time_between(spec, start, end))
    assert landed <= end
    assert business_time_between(spec, landed, end) == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(CALENDARS, INSTANTS, DURATIONS, DURATIONS)
def test_adding_is_monotonic_and_additive(spec, start, first, second):
    shorter, longer = sorted([first, second])
    assert add_business_time(spec, start, shorter) <= add_business_time(spec, start, longer)
    assert business_time_between(spec, start, add_business_time(spec, start, first + second)) == (
        business_time_between(
            spec, start, add_business_time(spec, add_business_time(spec, start, first), second)
        )
    )


@settings(max_examples=150, deadline=None)
@given(CALENDARS, INSTANTS, INSTANTS, INSTANTS)
def test_between_is_additive_over_any_middle_point(spec, a, b, c):
    assert business_time_between(spec, a, c) == business_time_between(spec, a, b) + business_time_between(
        spec, b, c
    )
