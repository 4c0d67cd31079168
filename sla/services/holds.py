"""Holds other apps put on a ticket's resolution clock: a hand-off to a partner that the agent chose to
pause the customer's clock for. The clock pauses while any hold is on (or the ticket awaits the customer)
and resumes, moved by the business time paused, when none is left.
"""

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from complaints.models import Ticket
from complaints.states import OPEN_STATUSES, Status

from ..models import SlaClock, SlaTarget
from .clocks import CLOCK_FIELDS, CalendarSpecs, pause_clock, resume_clock

# fn(ticket_id) -> whether that app holds the ticket's resolution clock now; filled in AppConfig.ready().
RESOLUTION_HOLDS: list[Callable[[int], bool]] = []


def register_resolution_hold(held: Callable[[int], bool]) -> None:
    if held not in RESOLUTION_HOLDS:
        RESOLUTION_HOLDS.append(held)


def resolution_held(ticket_id: int) -> bool:
    return any(held(ticket_id) for held in RESOLUTION_HOLDS)


def apply_resolution_hold(*, ticket: Ticket, at: datetime | None = None) -> bool:
    """Pause or resume the ticket's running resolution clock to match its holds and status, inside the
    caller's transaction (the caller holds the ticket's lock); whether a clock changed."""
    from .reactions import refresh_summary

    at = at or timezone.now()
    held = ticket.status == Status.AWAITING_CUSTOMER or (
        ticket.status in OPEN_STATUSES and resolution_held(ticket.pk)
    )
    specs = CalendarSpecs()
    changed = []
    clocks = SlaClock.objects.filter(
        ticket_id=ticket.pk, target=SlaTarget.RESOLUTION, stopped_at__isnull=True
    )
    for clock in clocks.order_by("pk"):
        if held and clock.paused_at is None:
            pause_clock(clock, at)
        elif not held and clock.paused_at is not None:
            resume_clock(clock, at, specs[clock.calendar_id])
        else:
            continue
        clock.save(update_fields=CLOCK_FIELDS)
        changed.append(clock)
    if changed:
        refresh_summary(ticket.pk)
    return bool(changed)
