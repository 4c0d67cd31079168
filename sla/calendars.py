"""Business time: the two exact functions every SLA computation uses.

A calendar is either open around the clock, or open during weekly working intervals
(several per day) in its own time zone, closed on public holidays and open on the
adjusted working weekends (调休) the `holidays` package knows, with extra closed and
extra working days on top. An adjusted working day on a weekday without intervals of
its own (a working Saturday) works the calendar's standard day: the intervals of its
first weekday that has any.

Both functions walk working intervals day by day (never minute by minute) and work in
absolute (UTC) time, so daylight-saving changes cannot stretch or shrink an interval.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# A calendar with no working time at all would make `add_business_time` walk forever.
MAX_DAYS_WALKED = 366 * 10
ZERO = timedelta(0)

Interval = tuple[time, time | None]  # end None means midnight at the end of the day (24:00)


@dataclass(frozen=True)
class CalendarSpec:
    """Everything the two functions need, detached from the database (cheap to share and to cache)."""

    time_zone: str = "UTC"
    always_open: bool = True
    # weekly[weekday] (Monday = 0) → the day's working intervals, in order, not overlapping.
    weekly: tuple[tuple[Interval, ...], ...] = ((),) * 7
    holiday_country: str = ""
    holiday_subdivision: str = ""
    extra_closed: frozenset[date] = field(default_factory=frozenset)
    extra_working: frozenset[date] = field(default_factory=frozenset)

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.time_zone)

    @property
    def standard_day(self) -> tuple[Interval, ...]:
        return next((day for day in self.weekly if day), ())


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class HolidayYear:
    closed: frozenset[date]
    adjusted_working: frozenset[date]
    names: dict[date, str]


@lru_cache(maxsize=256)
def holiday_year(country: str, subdivision: str, year: int) -> HolidayYear:
    """The public holidays and adjusted working weekend days of one year, computed once per process."""
    calendar = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    closed = frozenset(day for day in calendar if day.year == year)
    weekend = getattr(calendar, "weekend", {5, 6})
    adjusted = frozenset(
        day
        for day in (date(year, 1, 1) + timedelta(days=n) for n in range(366))
        if day.year == year and day.weekday() in weekend and calendar.is_working_day(day)
    )
    return HolidayYear(closed=closed, adjusted_working=adjusted, names={d: calendar[d] for d in closed})


# Next year's schedule is published each November or December; before then its absence is normal.
NEXT_YEAR_CHECKED_FROM_MONTH = 11


def years_without_adjusted_days(spec: CalendarSpec, today: date) -> list[int]:
    """This year and (from November) next year when the holiday data has no adjusted working days
    (调休) for them and the calendar has no working-day override in them either.

    Only for countries that move working days at all (the data has some in the year before), so a
    calendar of a country without 调休 never warns. The State Council publishes next year's schedule
    each November or December, often after the installed `holidays` package was released.
    """
    if spec.always_open or not spec.holiday_country:
        return []
    country, subdivision = spec.holiday_country, spec.holiday_subdivision
    if not holiday_year(country, subdivision, today.year - 1).adjusted_working:
        return []
    years = [today.year]
    if today.month >= NEXT_YEAR_CHECKED_FROM_MONTH:
        years.append(today.year + 1)
    return [
        year
        for year in years
        if not holiday_year(country, subdivision, year).adjusted_working
        and not any(day.year == year for day in spec.extra_working)
    ]


def working_intervals(spec: CalendarSpec, day: date) -> tuple[Interval, ...]:
    """The working intervals of a local date (empty on a closed day)."""
    if spec.always_open:
        return ((time(0), None),)
    if day in spec.extra_closed:
        return ()
    if day in spec.extra_working:
        return spec.weekly[day.weekday()] or spec.standard_day
    if spec.holiday_country:
        year = holiday_year(spec.holiday_country, spec.holiday_subdivision, day.year)
        if day in year.closed:
            return ()
        if day in year.adjusted_working:
            return spec.weekly[day.weekday()] or spec.standard_day
    return spec.weekly[day.weekday()]


def is_working_day(spec: CalendarSpec, day: date) -> bool:
    return bool(working_intervals(spec, day))


def _day_spans(spec: CalendarSpec, day: date) -> Iterator[tuple[datetime, datetime]]:
    """The working intervals of a local date as UTC instants."""
    tz = spec.tz
    for start, end in working_intervals(spec, day):
        opens = datetime.combine(day, start, tzinfo=tz).astimezone(UTC)
        if end is None:
            closes = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        else:
            closes = datetime.combine(day, end, tzinfo=tz).astimezone(UTC)
        if closes > opens:
            yield opens, closes


def _local_date(spec: CalendarSpec, moment: datetime) -> date:
    return moment.astimezone(spec.tz).date()


def _ensure_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business time needs time-zone-aware datetimes")
    return moment.astimezone(UTC)


def add_business_time(spec: CalendarSpec, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant at which `duration` of business time has passed since `start`.

    A zero duration returns `start` itself. The result is always inside (or at the end of)
    a working interval, so between(start, add(start, d)) == d exactly.
    """
    start = _ensure_aware(start)
    if duration < ZERO:
        raise ValueError("business time to add cannot be negative")
    if duration == ZERO:
        return start
    if spec.always_open:
        return start + duration
    remaining = duration
    # Start a day early: in a time zone west of UTC a local day's interval can contain `start`.
    day = _local_date(spec, start) - timedelta(days=1)
    for _ in range(MAX_DAYS_WALKED):
        for opens, closes in _day_spans(spec, day):
            if closes <= start:
                continue
            begin = max(opens, start)
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError(f"calendar has no working time within {MAX_DAYS_WALKED} days")


def business_time_between(spec: CalendarSpec, start: datetime, end: datetime) -> timedelta:
    """Business time from `start` to `end`; negative when `end` comes first (so it is additive)."""
    start, end = _ensure_aware(start), _ensure_aware(end)
    if end < start:
        return -business_time_between(spec, end, start)
    if spec.always_open:
        return end - start
    total = ZERO
    day = _local_date(spec, start) - timedelta(days=1)
    last = _local_date(spec, end)
    while day <= last:
        for opens, closes in _day_spans(spec, day):
            begin, finish = max(opens, start), min(closes, end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total


def next_working_moment(spec: CalendarSpec, moment: datetime) -> datetime:
    """`moment` itself when the calendar is open then, else the start of the next working interval."""
    moment = _ensure_aware(moment)
    if spec.always_open:
        return moment
    day = _local_date(spec, moment) - timedelta(days=1)
    for _ in range(MAX_DAYS_WALKED):
        for opens, closes in _day_spans(spec, day):
            if closes > moment:
                return max(opens, moment)
        day += timedelta(days=1)
    raise ValueError(f"calendar has no working time within {MAX_DAYS_WALKED} days")
