"""The external deadline of a case: the source's rule, counted on its business calendar.

All the calendar knowledge (statutory holidays, 调休 working weekends, the calendar's own extra
closed and working days) comes from sla.calendars through the calendar's spec; this module only
says where a rule's count ends.

- hours: that much business time on the calendar (every hour on a 24×7 calendar: 黑猫投诉's 48 h);
- calendar days: the end of the N-th day after the day received;
- working days: the end (close of the last working interval) of the N-th working day after the
  day received, as regulators count "10 个工作日" (ODR).
"""

from datetime import UTC, date, datetime, time, timedelta

from sla import policies
from sla.calendars import (
    MAX_DAYS_WALKED,
    CalendarSpec,
    add_business_time,
    business_time_between,
    is_working_day,
    working_intervals,
)

from .models import ExternalSource

AROUND_THE_CLOCK = CalendarSpec(time_zone="Asia/Shanghai", always_open=True)


def spec_for(source: ExternalSource) -> CalendarSpec:
    """The source's calendar as the business-time functions take it (per-process copy of sla)."""
    if source.calendar_id is None:
        return AROUND_THE_CLOCK
    spec = policies.calendar_specs().get(source.calendar_id)
    return spec if spec is not None else source.calendar.spec()


def _end_of_day(spec: CalendarSpec, day: date) -> datetime:
    """When the local day's work ends: its last interval's close, or midnight for a whole day."""
    intervals = working_intervals(spec, day)
    end = intervals[-1][1] if intervals else None
    if end is None:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=spec.tz).astimezone(UTC)
    return datetime.combine(day, end, tzinfo=spec.tz).astimezone(UTC)


def due_at(source: ExternalSource, received_at: datetime) -> datetime:
    """The instant the report-back is due for a case of `source` received at `received_at`."""
    spec = spec_for(source)
    amount = source.deadline_amount
    if source.deadline_unit == ExternalSource.DeadlineUnit.HOURS:
        return add_business_time(spec, received_at, timedelta(hours=amount))
    day = received_at.astimezone(spec.tz).date()
    if source.deadline_unit == ExternalSource.DeadlineUnit.CALENDAR_DAYS:
        last = day + timedelta(days=amount)
        return datetime.combine(last + timedelta(days=1), time(0), tzinfo=spec.tz).astimezone(UTC)
    counted = 0
    for _ in range(MAX_DAYS_WALKED):
        day += timedelta(days=1)
        if is_working_day(spec, day):
            counted += 1
            if counted == amount:
                return _end_of_day(spec, day)
    raise ValueError(f"calendar has no {amount} working days within {MAX_DAYS_WALKED} days")


def alert_at(source: ExternalSource, received_at: datetime, due: datetime, percent: int) -> datetime:
    """When `percent` of the business time between receipt and the deadline has passed."""
    spec = spec_for(source)
    allowed = business_time_between(spec, received_at, due)
    return add_business_time(spec, received_at, allowed * percent / 100)
