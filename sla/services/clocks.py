"""Clock arithmetic in business time, and the ticket's SLA summary from its clocks (no writes)."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from complaints.models import Ticket

from .. import policies
from ..calendars import CalendarSpec, add_business_time, business_time_between
from ..models import (
    BusinessCalendar,
    SlaAlert,
    SlaClock,
    SlaOutcome,
    SlaPolicy,
    parse_thresholds,
)

SlaState = Ticket.SlaState


class CalendarSpecs(dict):
    """Calendar id → CalendarSpec, taken from the per-process copy on first use; one per sweep or bulk load."""

    def __missing__(self, calendar_id: int) -> CalendarSpec:
        spec = policies.calendar_specs().get(calendar_id)
        if spec is None:  # not in the copy (made behind the ORM's back): straight from the database
            calendar = BusinessCalendar.objects.prefetch_related("intervals", "days").get(pk=calendar_id)
            spec = calendar.spec()
        self[calendar_id] = spec
        return spec


def _budget(clock: SlaClock, percent: int = 100) -> timedelta:
    """Business time from start to the `percent` mark, plus the time spent paused."""
    return timedelta(seconds=clock.target_minutes * 60 * percent / 100 + clock.paused_seconds)


def mark_at(clock: SlaClock, spec: CalendarSpec, percent: int) -> datetime:
    """The instant the clock reaches `percent` of its target (100: its due time)."""
    return add_business_time(spec, clock.started_at, _budget(clock, percent))


def pending_levels(clock: SlaClock) -> list[int]:
    levels = [level for level in parse_thresholds(clock.thresholds) if level > clock.warned_percent]
    if clock.breached_at is None:
        levels.append(SlaAlert.BREACH)
    return levels


def schedule(clock: SlaClock, spec: CalendarSpec) -> None:
    """Set due_at and next_alert_at from the clock's start, target, pauses and fired alerts."""
    clock.due_at = mark_at(clock, spec, 100)
    levels = pending_levels(clock)
    if clock.stopped_at is not None or clock.paused_at is not None or not levels:
        clock.next_alert_at = None
    else:
        clock.next_alert_at = mark_at(clock, spec, levels[0])


def new_clock(
    ticket: Ticket | int,
    policy: SlaPolicy,
    target: str,
    *,
    started_at: datetime,
    specs: CalendarSpecs,
    cycle: int = 1,
    minutes: int | None = None,
) -> SlaClock:
    calendar = policy.calendar_for(target)
    clock = SlaClock(
        ticket_id=ticket if isinstance(ticket, int) else ticket.pk,
        policy=policy,
        calendar_id=calendar.pk,
        target=target,
        cycle=cycle,
        target_minutes=policy.minutes_for(target) if minutes is None else minutes,
        thresholds=",".join(str(level) for level in policy.thresholds),
        started_at=started_at,
    )
    schedule(clock, specs[clock.calendar_id])
    return clock


def stop_clock(clock: SlaClock, at: datetime, spec: CalendarSpec, *, cancelled: bool = False) -> None:
    """Stop in memory: a paused clock stops as of its pause; met when that is no later than due."""
    effective = clock.paused_at or at
    clock.stopped_at = at
    clock.elapsed_seconds = max(
        0,
        int(business_time_between(spec, clock.started_at, effective).total_seconds()) - clock.paused_seconds,
    )
    if cancelled:
        clock.outcome = SlaOutcome.CANCELLED
    else:
        clock.outcome = SlaOutcome.MET if effective <= clock.due_at else SlaOutcome.MISSED
    clock.next_alert_at = None


def pause_clock(clock: SlaClock, at: datetime) -> None:
    if clock.paused_at is None:
        clock.paused_at = at
        clock.next_alert_at = None


def resume_clock(clock: SlaClock, at: datetime, spec: CalendarSpec) -> None:
    if clock.paused_at is None:
        return
    paused = business_time_between(spec, clock.paused_at, at)
    clock.paused_seconds += max(0, int(paused.total_seconds()))
    clock.paused_at = None
    schedule(clock, spec)


CLOCK_FIELDS = [
    "policy",
    "calendar",
    "target_minutes",
    "thresholds",
    "due_at",
    "paused_at",
    "paused_seconds",
    "stopped_at",
    "outcome",
    "elapsed_seconds",
    "warned_percent",
    "breached_at",
    "next_alert_at",
]


def summarise(clocks: Iterable[SlaClock], now: datetime | None = None) -> tuple[str, datetime | None]:
    """The ticket's SLA state and next due time from its clocks (Ticket.sla_state / sla_due_at)."""
    now = now or timezone.now()
    clocks = list(clocks)
    running = [c for c in clocks if c.stopped_at is None]
    if running:
        ticking = [c for c in running if c.paused_at is None]
        due = min((c.due_at for c in ticking), default=None)
        if any(c.breached_at is not None or (c.paused_at or now) > c.due_at for c in running):
            return SlaState.BREACHED, due
        if not ticking:
            return SlaState.PAUSED, None
        if any(c.warned_percent for c in ticking):
            return SlaState.AT_RISK, due
        return SlaState.ON_TRACK, due
    latest: dict[str, SlaClock] = {}
    for clock in clocks:
        if clock.outcome != SlaOutcome.CANCELLED and (
            clock.target not in latest or clock.cycle > latest[clock.target].cycle
        ):
            latest[clock.target] = clock
    if any(c.outcome == SlaOutcome.MISSED for c in latest.values()):
        return SlaState.BREACHED, None
    if latest:
        return SlaState.MET, None
    return SlaState.NONE, None
