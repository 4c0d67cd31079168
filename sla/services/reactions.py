"""What the complaint core's ticket events do to the clocks.

Clock rules (per target):
- first response starts when the ticket opens. With the policy's "first public reply" it
  stops at the first public reply (Ticket.first_response_at); with "acknowledgement or first
  reply" (the default for complaints: "acknowledge within 24 h") it stops at whichever comes
  first. Resolving the ticket also stops it: the resolution answers the customer.
- next response (when the policy sets it) starts at a customer message while no first or
  next response is pending, and stops at the next public reply or at resolution.
- resolution starts when the ticket opens and stops when it is resolved; reopening starts a
  new cycle, with the full target or, if the policy says so, with what was left of it.
- every running clock pauses while the ticket awaits the customer; on resuming, its due time
  moves by the business time spent paused. Closing an unresolved ticket (spam, duplicate,
  merge) cancels its clocks; a cancelled clock counts neither as met nor as missed.
- a change of kind, category, priority or complexity re-applies the policy to running clocks.
"""

import math
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.utils import timezone

from complaints import services as complaint_services
from complaints.bulk_update import update_by_pk
from complaints.events import CodedReason, EventKind, SystemReason
from complaints.models import Ticket, TicketEvent
from complaints.states import OPEN_STATUSES, Status

from .. import policies
from ..calendars import business_time_between
from ..models import (
    FirstResponseStop,
    SlaClock,
    SlaOutcome,
    SlaPolicy,
    SlaTarget,
)
from .clocks import (
    CLOCK_FIELDS,
    CalendarSpecs,
    mark_at,
    new_clock,
    pause_clock,
    resume_clock,
    schedule,
    stop_clock,
    summarise,
)
from .holds import resolution_held


def refresh_summary(ticket_id: int) -> tuple[str, datetime | None]:
    """Recompute the ticket's SLA summary from its clocks and store it through the complaint services."""
    state, due = summarise(SlaClock.objects.filter(ticket_id=ticket_id))
    complaint_services.update_sla_summary(ticket_id=ticket_id, state=state, due_at=due)
    return state, due


def _clocks(ticket_id: int) -> list[SlaClock]:
    return list(SlaClock.objects.filter(ticket_id=ticket_id).select_related("policy").order_by("pk"))


def _running(clocks: list[SlaClock], target: str | None = None) -> list[SlaClock]:
    return [c for c in clocks if c.stopped_at is None and (target is None or c.target == target)]


def _last_cycle(clocks: list[SlaClock], target: str) -> SlaClock | None:
    own = [c for c in clocks if c.target == target]
    return max(own, key=lambda c: c.cycle) if own else None


def _policy_in_force(ticket: Ticket, clocks: list[SlaClock]) -> SlaPolicy | None:
    for clock in sorted(clocks, key=lambda c: c.pk or 0, reverse=True):
        if clock.policy is not None:
            return clock.policy
    return policies.policy_for(ticket)


def start_clocks(
    *, ticket: Ticket, at: datetime | None = None, policy: SlaPolicy | None = None
) -> list[SlaClock]:
    """Start the first response and resolution clocks of a newly opened ticket under its policy."""
    at = at or timezone.now()
    policy = policy or policies.policy_for(ticket)
    if policy is None:
        return []
    specs = CalendarSpecs()
    clocks = [
        new_clock(ticket, policy, target, started_at=at, specs=specs)
        for target in (SlaTarget.FIRST_RESPONSE, SlaTarget.RESOLUTION)
        if policy.minutes_for(target) is not None
    ]
    SlaClock.objects.bulk_create(clocks)
    return clocks


def handle_ticket_event(*, ticket: Ticket, event: TicketEvent) -> None:
    """Move the ticket's clocks for what just happened: handle_ticket_events with one event."""
    handle_ticket_events(events=[event])


def handle_ticket_events(*, events: Sequence[TicketEvent]) -> None:
    """Move the clocks for a batch of events (one service's, or an incident's reply or resolve-all
    to many tickets), in their order, inside the service's transaction: the clocks of the batch's
    tickets read in one query, the clocks changed written together, and the summaries of the
    tickets whose clocks changed stored in one UPDATE."""
    opened = {event.ticket_id for event in events if event.kind == EventKind.OPENED}
    wanted = {event.ticket_id for event in events if event.kind in _HANDLERS} - opened
    clocks_of = _clocks_of(wanted)
    specs = CalendarSpecs()
    touched: dict[int, SlaClock] = {}
    changed: list[int] = []
    for event in events:
        at = event.created_at or timezone.now()
        if event.kind == EventKind.OPENED:
            clocks_of[event.ticket_id] = clocks = start_clocks(ticket=event.ticket, at=at)
            if clocks:
                # A new ticket has no other clocks: summarise those just started instead of reading them back.
                state, due = summarise(clocks)
                complaint_services.set_summary_of_new_ticket(ticket=event.ticket, state=state, due_at=due)
            continue
        handler = _HANDLERS.get(event.kind)
        if handler is None:
            continue
        clocks = clocks_of.setdefault(event.ticket_id, [])
        moved = handler(ticket=event.ticket, event=event, at=at, clocks=clocks, specs=specs)
        touched.update((id(clock), clock) for clock in moved)
        if moved and event.ticket_id not in changed:
            changed.append(event.ticket_id)
    _save_all(touched.values())
    if changed:
        complaint_services.update_sla_summaries(
            summaries=[(ticket_id, *summarise(clocks_of[ticket_id])) for ticket_id in changed]
        )


def _clocks_of(ticket_ids: set[int]) -> dict[int, list[SlaClock]]:
    clocks: dict[int, list[SlaClock]] = {ticket_id: [] for ticket_id in ticket_ids}
    if ticket_ids:
        query = SlaClock.objects.filter(ticket_id__in=ticket_ids).select_related("policy").order_by("pk")
        for clock in query:
            clocks[clock.ticket_id].append(clock)
    return clocks


def _save_all(clocks: Iterable[SlaClock]) -> None:
    """New clocks in one INSERT, changed ones in one UPDATE (update_by_pk); one clock saved as before."""
    clocks = list(clocks)
    new = [clock for clock in clocks if clock.pk is None]
    old = [clock for clock in clocks if clock.pk is not None]
    if len(new) == 1:
        new[0].save()
    elif new:
        SlaClock.objects.bulk_create(new)
    if len(old) == 1:
        old[0].save(update_fields=CLOCK_FIELDS)
    elif old:
        names = [SlaClock._meta.get_field(name).attname for name in CLOCK_FIELDS]
        update_by_pk(
            SlaClock, CLOCK_FIELDS, [(clock.pk, *(getattr(clock, n) for n in names)) for clock in old]
        )


def _on_status(
    *, ticket: Ticket, event: TicketEvent, at: datetime, clocks: list[SlaClock], specs: CalendarSpecs
) -> list[SlaClock]:
    before, after = event.from_value, event.to_value
    touched: list[SlaClock] = []
    if after == Status.ACKNOWLEDGED:
        for clock in _running(clocks, SlaTarget.FIRST_RESPONSE):
            if (
                clock.policy is None
                or clock.policy.first_response_stops_on == FirstResponseStop.ACKNOWLEDGEMENT
            ):
                stop_clock(clock, at, specs[clock.calendar_id])
                touched.append(clock)
    if after == Status.AWAITING_CUSTOMER:
        for clock in _running(clocks):
            pause_clock(clock, at)
            touched.append(clock)
    elif before == Status.AWAITING_CUSTOMER and after in OPEN_STATUSES:
        # A resolution clock another app holds (a hand-off pausing it) stays paused.
        held = resolution_held(ticket.pk)
        for clock in _running(clocks):
            if held and clock.target == SlaTarget.RESOLUTION:
                continue
            resume_clock(clock, at, specs[clock.calendar_id])
            touched.append(clock)
    if after == Status.CLOSED and before in OPEN_STATUSES:
        for clock in _running(clocks):
            stop_clock(clock, at, specs[clock.calendar_id], cancelled=True)
            touched.append(clock)
    if event.kind == EventKind.REOPENED:
        restarted = _restart_resolution(ticket, at, clocks, specs)
        if restarted and resolution_held(ticket.pk):
            pause_clock(restarted[0], at)
        touched += restarted
    return touched


def _restart_resolution(
    ticket: Ticket, at: datetime, clocks: list[SlaClock], specs: CalendarSpecs
) -> list[SlaClock]:
    if _running(clocks, SlaTarget.RESOLUTION):
        return []
    policy = _policy_in_force(ticket, clocks)
    if policy is None or policy.resolution_minutes is None:
        return []
    last = _last_cycle(clocks, SlaTarget.RESOLUTION)
    minutes = None
    if last is not None and not policy.restart_resolution_on_reopen:
        left = business_time_between(specs[last.calendar_id], last.paused_at or last.stopped_at, last.due_at)
        minutes = max(0, math.ceil(left.total_seconds() / 60))
    clock = new_clock(
        ticket,
        policy,
        SlaTarget.RESOLUTION,
        started_at=at,
        specs=specs,
        cycle=(last.cycle + 1) if last else 1,
        minutes=minutes,
    )
    clocks.append(clock)
    return [clock]


def _on_reply(
    *, ticket: Ticket, event: TicketEvent, at: datetime, clocks: list[SlaClock], specs: CalendarSpecs
) -> list[SlaClock]:
    touched = _running(clocks, SlaTarget.FIRST_RESPONSE) + _running(clocks, SlaTarget.NEXT_RESPONSE)
    for clock in touched:
        stop_clock(clock, at, specs[clock.calendar_id])
    return touched


def _on_customer_message(
    *, ticket: Ticket, event: TicketEvent, at: datetime, clocks: list[SlaClock], specs: CalendarSpecs
) -> list[SlaClock]:
    if ticket.status not in OPEN_STATUSES:
        return []
    if _running(clocks, SlaTarget.FIRST_RESPONSE) or _running(clocks, SlaTarget.NEXT_RESPONSE):
        return []  # an answer is already owed; the earliest unanswered message counts
    policy = _policy_in_force(ticket, clocks)
    if policy is None or policy.next_response_minutes is None:
        return []
    last = _last_cycle(clocks, SlaTarget.NEXT_RESPONSE)
    clock = new_clock(
        ticket,
        policy,
        SlaTarget.NEXT_RESPONSE,
        started_at=at,
        specs=specs,
        cycle=(last.cycle + 1) if last else 1,
    )
    clocks.append(clock)
    return [clock]


def _on_resolved(
    *, ticket: Ticket, event: TicketEvent, at: datetime, clocks: list[SlaClock], specs: CalendarSpecs
) -> list[SlaClock]:
    touched = _running(clocks)
    for clock in touched:
        stop_clock(clock, at, specs[clock.calendar_id])
    return touched


def _on_reclassified(
    *, ticket: Ticket, event: TicketEvent, at: datetime, clocks: list[SlaClock], specs: CalendarSpecs
) -> list[SlaClock]:
    """Re-apply the policy and put each target whose due time moved on the timeline (old and new due)."""
    due_before = {clock.target: clock.due_at for clock in _running(clocks)}
    touched = reapply_policy(ticket=ticket, at=at, clocks=clocks, specs=specs)
    changes: dict[str, tuple[datetime | None, datetime | None]] = {}
    for clock in touched:
        old = due_before.get(clock.target)
        new = None if clock.outcome == SlaOutcome.CANCELLED else clock.due_at
        if old != new:
            changes[clock.target] = (old, new)
    if changes:
        policy = policies.policy_for(ticket)
        complaint_services.record_sla_retargeted(
            ticket_id=ticket.pk,
            changes=changes,
            reason=CodedReason(SystemReason.SLA_POLICY, policy=policy.name)
            if policy
            else CodedReason(SystemReason.SLA_NO_POLICY),
        )
    return touched


def reapply_policy(
    *, ticket: Ticket, at: datetime, clocks: list[SlaClock], specs: CalendarSpecs
) -> list[SlaClock]:
    """Bring running clocks in line with the policy that covers the ticket now; returns the clocks changed.

    A clock keeps its start, pauses and the alerts it fired; its target, calendar and
    thresholds follow the new policy. Targets the new policy lacks are cancelled; targets
    it adds start as of the ticket's opening (first response only if still owed).
    """
    policy = policies.policy_for(ticket)
    touched: list[SlaClock] = []
    for clock in _running(clocks):
        minutes = policy.minutes_for(clock.target) if policy else None
        if minutes is None:
            stop_clock(clock, at, specs[clock.calendar_id], cancelled=True)
            touched.append(clock)
            continue
        calendar = policy.calendar_for(clock.target)
        thresholds = ",".join(str(level) for level in policy.thresholds)
        if (clock.policy_id, clock.target_minutes, clock.calendar_id, clock.thresholds) == (
            policy.pk,
            minutes,
            calendar.pk,
            thresholds,
        ):
            continue
        if clock.calendar_id != calendar.pk:
            # Pauses were measured on the old calendar; re-measure them on the new one would need
            # their history, so carry them over as they are (business seconds).
            clock.calendar_id = calendar.pk
        clock.policy, clock.target_minutes, clock.thresholds = policy, minutes, thresholds
        if clock.paused_at is None:
            schedule(clock, specs[clock.calendar_id])
        else:
            clock.due_at = mark_at(clock, specs[clock.calendar_id], 100)
        touched.append(clock)
    if policy is not None and ticket.status in OPEN_STATUSES:
        owed = {SlaTarget.RESOLUTION: True, SlaTarget.FIRST_RESPONSE: _first_response_owed(ticket, policy)}
        for target, is_owed in owed.items():
            if not is_owed or policy.minutes_for(target) is None or _running(clocks, target):
                continue
            if _last_cycle(clocks, target) is not None:
                continue  # this target already ran for the ticket; do not restart it on a reclassification
            clock = new_clock(ticket, policy, target, started_at=ticket.created_at, specs=specs)
            if ticket.status == Status.AWAITING_CUSTOMER:
                pause_clock(clock, at)
            clocks.append(clock)
            touched.append(clock)
    return touched


def _first_response_owed(ticket: Ticket, policy: SlaPolicy) -> bool:
    if ticket.first_response_at is not None:
        return False
    return not (
        policy.first_response_stops_on == FirstResponseStop.ACKNOWLEDGEMENT
        and ticket.acknowledged_at is not None
    )


_HANDLERS = {
    EventKind.STATUS_CHANGED: _on_status,
    EventKind.ACKNOWLEDGED: _on_status,
    EventKind.REOPENED: _on_status,
    EventKind.AUTO_CLOSED: _on_status,
    EventKind.CONFIRMED: _on_status,
    EventKind.REPLIED: _on_reply,
    EventKind.CUSTOMER_MESSAGE: _on_customer_message,
    EventKind.REPEAT_FOLDED: _on_customer_message,
    EventKind.RESOLVED: _on_resolved,
    EventKind.RECLASSIFIED: _on_reclassified,
}
