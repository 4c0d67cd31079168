"""A hand-off's due time: the partner's response time in business hours on the partner's calendar
(sla.calendars does the arithmetic: working hours, statutory holidays, 调休 working weekends)."""

from datetime import datetime, timedelta

from sla import policies
from sla.calendars import CalendarSpec, add_business_time

from .models import Partner

AROUND_THE_CLOCK = CalendarSpec(time_zone="Asia/Shanghai", always_open=True)
# The warning fires when this share of the response time is used.
WARN_PERCENT = 80


def spec_for(partner: Partner) -> CalendarSpec:
    if partner.calendar_id is None:
        return AROUND_THE_CLOCK
    spec = policies.calendar_specs().get(partner.calendar_id)
    return spec if spec is not None else partner.calendar.spec()


def due_and_warning(partner: Partner, opened_at: datetime, hours: int) -> tuple[datetime, datetime]:
    """(due, warn from): `hours` business hours after `opened_at`, and WARN_PERCENT of them."""
    spec = spec_for(partner)
    due = add_business_time(spec, opened_at, timedelta(hours=hours))
    warn = add_business_time(spec, opened_at, timedelta(hours=hours * WARN_PERCENT / 100))
    return due, warn
