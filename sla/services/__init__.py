"""Every write of the sla app: clocks start, pause, resume and stop; the sweep fires alerts.

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

Each warning threshold and the breach fires once per clock: the sweep locks the ticket with
SKIP LOCKED (the same lock order as the complaint services: ticket, then its clocks) and an
SlaAlert row, unique per (clock, threshold), records that it fired.
"""

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import batched

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services as complaint_services
from complaints.bulk_update import update_by_pk
from complaints.errors import ComplaintError
from complaints.events import EventKind
from complaints.models import Team, Ticket, TicketEvent
from complaints.states import OPEN_STATUSES, Status

from .. import policies
from ..calendars import CalendarSpec, add_business_time, business_time_between
from ..models import (
    BusinessCalendar,
    FirstResponseStop,
    SlaAlert,
    SlaClock,
    SlaOutcome,
    SlaPolicy,
    SlaTarget,
    parse_thresholds,
)

logger = logging.getLogger(__name__)

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


# --- clock arithmetic ------------------------------------------------------------------


def _budget(clock: SlaClock, percent: int = 100) -> timedelta:
    """Business time from start to the `percent` mark, plus the time spent paused."""
    return timedelta(seconds=clock.target_minutes * 60 * percent / 100 + clock.paused_seconds)


def mark_at(clock: SlaClock, spec: CalendarSpec, percent: int) -> datetime:
    """The instant the clock reaches `percent` of its target (100: its due time)."""
    return add_business_time(spec, clock.started_at, _budget(clock, percent))


def _pending_levels(clock: SlaClock) -> list[int]:
    levels = [level for level in parse_thresholds(clock.thresholds) if level > clock.warned_percent]
    if clock.breached_at is None:
        levels.append(SlaAlert.BREACH)
    return levels


def _schedule(clock: SlaClock, spec: CalendarSpec) -> None:
    """Set due_at and next_alert_at from the clock's start, target, pauses and fired alerts."""
    clock.due_at = mark_at(clock, spec, 100)
    levels = _pending_levels(clock)
    if clock.stopped_at is not None or clock.paused_at is not None or not levels:
        clock.next_alert_at = None
    else:
        clock.next_alert_at = mark_at(clock, spec, levels[0])


def _new_clock(
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
    _schedule(clock, specs[clock.calendar_id])
    return clock


def _stop(clock: SlaClock, at: datetime, spec: CalendarSpec, *, cancelled: bool = False) -> None:
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


def _pause(clock: SlaClock, at: datetime) -> None:
    if clock.paused_at is None:
        clock.paused_at = at
        clock.next_alert_at = None


def _resume(clock: SlaClock, at: datetime, spec: CalendarSpec) -> None:
    if clock.paused_at is None:
        return
    paused = business_time_between(spec, clock.paused_at, at)
    clock.paused_seconds += max(0, int(paused.total_seconds()))
    clock.paused_at = None
    _schedule(clock, spec)


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


# --- the ticket's summary ----------------------------------------------------------------


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


def refresh_summary(ticket_id: int) -> tuple[str, datetime | None]:
    """Recompute the ticket's SLA summary from its clocks and store it through the complaint services."""
    state, due = summarise(SlaClock.objects.filter(ticket_id=ticket_id))
    complaint_services.update_sla_summary(ticket_id=ticket_id, state=state, due_at=due)
    return state, due


# --- reacting to ticket events -----------------------------------------------------------


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
        _new_clock(ticket, policy, target, started_at=at, specs=specs)
        for target in (SlaTarget.FIRST_RESPONSE, SlaTarget.RESOLUTION)
        if policy.minutes_for(target) is not None
    ]
    SlaClock.objects.bulk_create(clocks)
    return clocks


def handle_ticket_event(*, ticket: Ticket, event: TicketEvent) -> None:
    """Move the ticket's clocks for what just happened, inside the service's transaction."""
    kind = event.kind
    at = event.created_at or timezone.now()
    if kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED, EventKind.SLA_RETARGETED):
        return
    if kind == EventKind.OPENED:
        clocks = start_clocks(ticket=ticket, at=at)
        if clocks:
            # A new ticket has no other clocks: summarise those just started instead of reading them back.
            state, due = summarise(clocks)
            complaint_services.set_summary_of_new_ticket(ticket=ticket, state=state, due_at=due)
        return
    handler = _HANDLERS.get(kind)
    if handler is None:
        return
    clocks = _clocks(ticket.pk)
    specs = CalendarSpecs()
    changed = handler(ticket=ticket, event=event, at=at, clocks=clocks, specs=specs)
    if changed:
        refresh_summary(ticket.pk)


def _save_all(clocks: Iterable[SlaClock]) -> bool:
    saved = False
    for clock in clocks:
        if clock.pk is None:
            clock.save()
        else:
            clock.save(update_fields=CLOCK_FIELDS)
        saved = True
    return saved


def _on_status(
    *, ticket: Ticket, event: TicketEvent, at: datetime, clocks: list[SlaClock], specs: CalendarSpecs
) -> bool:
    before, after = event.from_value, event.to_value
    touched: list[SlaClock] = []
    if after == Status.ACKNOWLEDGED:
        for clock in _running(clocks, SlaTarget.FIRST_RESPONSE):
            if (
                clock.policy is None
                or clock.policy.first_response_stops_on == FirstResponseStop.ACKNOWLEDGEMENT
            ):
                _stop(clock, at, specs[clock.calendar_id])
                touched.append(clock)
    if after == Status.AWAITING_CUSTOMER:
        for clock in _running(clocks):
            _pause(clock, at)
            touched.append(clock)
    elif before == Status.AWAITING_CUSTOMER and after in OPEN_STATUSES:
        for clock in _running(clocks):
            _resume(clock, at, specs[clock.calendar_id])
            touched.append(clock)
    if after == Status.CLOSED and before in OPEN_STATUSES:
        for clock in _running(clocks):
            _stop(clock, at, specs[clock.calendar_id], cancelled=True)
            touched.append(clock)
    if event.kind == EventKind.REOPENED:
        touched += _restart_resolution(ticket, at, clocks, specs)
    return _save_all(touched)


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
    clock = _new_clock(
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
) -> bool:
    touched = _running(clocks, SlaTarget.FIRST_RESPONSE) + _running(clocks, SlaTarget.NEXT_RESPONSE)
    for clock in touched:
        _stop(clock, at, specs[clock.calendar_id])
    return _save_all(touched)


def _on_customer_message(
    *, ticket: Ticket, event: TicketEvent, at: datetime, clocks: list[SlaClock], specs: CalendarSpecs
) -> bool:
    if ticket.status not in OPEN_STATUSES:
        return False
    if _running(clocks, SlaTarget.FIRST_RESPONSE) or _running(clocks, SlaTarget.NEXT_RESPONSE):
        return False  # an answer is already owed; the earliest unanswered message counts
    policy = _policy_in_force(ticket, clocks)
    if policy is None or policy.next_response_minutes is None:
        return False
    last = _last_cycle(clocks, SlaTarget.NEXT_RESPONSE)
    clock = _new_clock(
        ticket,
        policy,
        SlaTarget.NEXT_RESPONSE,
        started_at=at,
        specs=specs,
        cycle=(last.cycle + 1) if last else 1,
    )
    return _save_all([clock])


def _on_resolved(
    *, ticket: Ticket, event: TicketEvent, at: datetime, clocks: list[SlaClock], specs: CalendarSpecs
) -> bool:
    touched = _running(clocks)
    for clock in touched:
        _stop(clock, at, specs[clock.calendar_id])
    return _save_all(touched)


def _on_reclassified(
    *, ticket: Ticket, event: TicketEvent, at: datetime, clocks: list[SlaClock], specs: CalendarSpecs
) -> bool:
    """Re-apply the policy and put each target whose due time moved on the timeline (old and new due)."""
    due_before = {clock.target: clock.due_at for clock in _running(clocks)}
    touched = reapply_policy(ticket=ticket, at=at, clocks=clocks, specs=specs)
    saved = _save_all(touched)
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
            reason=_("Policy: %(policy)s") % {"policy": policy.name}
            if policy
            else _("No SLA policy covers the ticket now."),
        )
    return saved


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
            _stop(clock, at, specs[clock.calendar_id], cancelled=True)
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
            _schedule(clock, specs[clock.calendar_id])
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
            clock = _new_clock(ticket, policy, target, started_at=ticket.created_at, specs=specs)
            if ticket.status == Status.AWAITING_CUSTOMER:
                _pause(clock, at)
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


# --- the sweep -------------------------------------------------------------------------------


@dataclass
class SweepResult:
    picked: int = 0  # clock rows the due query returned (the batch is full when it equals batch_size)
    tickets: int = 0  # tickets locked and looked at
    skipped: int = 0  # tickets another transaction held (left for the next run)
    alerts: list[int] = field(default_factory=list)  # SlaAlert ids fired

    @property
    def fired(self) -> int:
        return len(self.alerts)


# Alerts per send_alert task: one task per alert flooded the broker, one per batch (up to ~1,500
# mails) would not fit the task's 50 s time limit.
ALERT_MAIL_CHUNK = 20


@dataclass
class _Firing:
    clock: SlaClock
    level: int
    assignee_id: int | None
    team_id: int | None


def fire_due_clocks(*, now: datetime | None = None, batch_size: int = 500) -> SweepResult:
    """Fire every warning and breach due by `now`, for at most `batch_size` due clocks.

    With nothing due this is one indexed query. Otherwise the batch is one transaction whose
    query count does not grow with its size: escalations on breach (the default policies' action)
    are one bulk service call; only a policy that also raises the priority or moves the ticket to a
    team costs queries per breaching clock (through the complaint services, one by one). Safe to
    run concurrently: tickets another worker holds are skipped (SKIP LOCKED) and left for the next
    run, and a fired alert is a unique row. The batch's tickets stay locked until it commits (under
    a second for 500 warnings or breaches): an agent saving one waits that long.
    """
    now = now or timezone.now()
    result = SweepResult()
    rows = list(
        SlaClock.objects.filter(next_alert_at__lte=now)
        .order_by("next_alert_at")
        .values_list("ticket_id", flat=True)[:batch_size]
    )
    result.picked = len(rows)
    if not rows:
        return result
    ticket_ids = list(dict.fromkeys(rows))
    with transaction.atomic():
        # Primary-key order, like complaint_services.lock_tickets; SKIP LOCKED never waits anyway.
        tickets = {
            ticket.pk: ticket
            for ticket in Ticket.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ticket_ids)
            .order_by("pk")
        }
        result.tickets = len(tickets)
        result.skipped = len(ticket_ids) - len(tickets)
        if tickets:
            result.alerts = _fire_for_tickets(tickets, now, CalendarSpecs())
    return result


def _fire_for_tickets(tickets: dict[int, Ticket], now: datetime, specs: CalendarSpecs) -> list[int]:
    """Fire what the locked tickets' clocks owe; returns the new SlaAlert ids (mails queued on commit)."""
    # Every clock of the tickets (the summary needs them all), locked after the tickets: the lock
    # order of the complaint services. Only the due ones fire.
    clocks = list(
        SlaClock.objects.select_for_update(of=("self",))
        .filter(ticket_id__in=list(tickets))
        .select_related("policy", "policy__move_to_team")
        .order_by("ticket_id", "pk")
    )
    due = [clock for clock in clocks if clock.next_alert_at is not None and clock.next_alert_at <= now]
    if not due:
        return []
    # An alert row that exists although its clock still owes it (the sweep itself never leaves
    # one: row and clock commit together) counts as fired. None can appear meanwhile: only the
    # sweep inserts alerts, and it holds the ticket.
    fired_before = set(SlaAlert.objects.filter(clock__in=due).values_list("clock_id", "threshold").order_by())
    firings: list[_Firing] = []
    for clock in due:
        ticket = tickets[clock.ticket_id]
        for level in _due_levels(clock, now, specs[clock.calendar_id]):
            if (clock.pk, level) not in fired_before:
                firings.append(_Firing(clock, level, ticket.assignee_id, ticket.team_id))
    _save_swept(due)

    events = complaint_services.record_sla_alerts(alerts=[_alert_event(f.clock, f.level) for f in firings])
    # The unique (clock, threshold) row still guards "once": were one there after all, the insert
    # fails and the whole batch rolls back, alerts, events and clocks alike.
    alerts = SlaAlert.objects.bulk_create(
        SlaAlert(
            clock=f.clock,
            threshold=f.level,
            fired_at=now,
            assignee_id=f.assignee_id,
            team_id=f.team_id,
            event_id=event.pk,
        )
        for f, event in zip(firings, events, strict=True)
    )

    # Before the breach actions: a receiver that moves clocks on their events (a reclassification
    # re-applies the policy) stores the summary again from the clocks as they are then.
    _store_summaries(tickets, clocks, due)
    _breach_actions(tickets, [f.clock for f in firings if f.level == SlaAlert.BREACH])

    from .. import tasks

    alert_ids = [alert.pk for alert in alerts]
    for chunk in batched(alert_ids, ALERT_MAIL_CHUNK):
        tasks.send_alert.delay_on_commit(list(chunk))
    return alert_ids


def _due_levels(clock: SlaClock, now: datetime, spec: CalendarSpec) -> list[int]:
    """Mark every threshold the clock has passed by `now` as fired and reschedule it (in memory).

    As _schedule does, but each mark is worked out once: business time is most of the sweep's CPU.
    """
    marks: dict[int, datetime] = {}

    def mark(level: int) -> datetime:
        if level not in marks:
            marks[level] = mark_at(clock, spec, level)
        return marks[level]

    levels: list[int] = []
    for level in _pending_levels(clock):
        if mark(level) > now:
            break
        if level == SlaAlert.BREACH:
            clock.breached_at = clock.due_at
        else:
            clock.warned_percent = level
        levels.append(level)
    clock.due_at = mark(100)
    pending = _pending_levels(clock)
    ticking = clock.stopped_at is None and clock.paused_at is None
    clock.next_alert_at = mark(pending[0]) if ticking and pending else None
    return levels


SWEPT_FIELDS = ("due_at", "warned_percent", "breached_at", "next_alert_at")


def _save_swept(clocks: list[SlaClock]) -> None:
    """Store what the sweep moved on the clocks: one UPDATE per chunk (bulk_update.update_by_pk), not
    bulk_update's expression per value (~0.4 ms per clock, most of the sweep's budget for a warning)."""
    rows = [(clock.pk, *(getattr(clock, name) for name in SWEPT_FIELDS)) for clock in clocks]
    update_by_pk(SlaClock, SWEPT_FIELDS, rows)


def _due_label(clock: SlaClock) -> str:
    return timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M")


def _alert_event(clock: SlaClock, level: int) -> dict:
    """record_sla_alert's keyword arguments for one alert."""
    return {
        "ticket_id": clock.ticket_id,
        "kind": EventKind.SLA_BREACHED if level == SlaAlert.BREACH else EventKind.SLA_WARNING,
        "target": clock.target,
        "due_at": clock.due_at,
        "reason": _("%(target)s due %(due)s")
        % {"target": clock.get_target_display(), "due": _due_label(clock)},
        "threshold": level,
        "cycle": clock.cycle,
    }


def _store_summaries(tickets: dict[int, Ticket], clocks: list[SlaClock], due: list[SlaClock]) -> None:
    """Store the SLA summary of each ticket whose clocks the sweep moved, where it changed."""
    by_ticket: dict[int, list[SlaClock]] = {}
    for clock in clocks:
        by_ticket.setdefault(clock.ticket_id, []).append(clock)
    now = timezone.now()
    summaries = []
    for ticket_id in dict.fromkeys(clock.ticket_id for clock in due):
        state, due_at = summarise(by_ticket[ticket_id], now)
        if (tickets[ticket_id].sla_state, tickets[ticket_id].sla_due_at) != (state, due_at):
            summaries.append((ticket_id, state, due_at))
    complaint_services.update_sla_summaries(summaries=summaries)


def _breach_reason(clock: SlaClock) -> str:
    return _("SLA breached: %(target)s was due %(due)s.") % {
        "target": clock.get_target_display(),
        "due": _due_label(clock),
    }


def _escalates_only(policy: SlaPolicy | None) -> bool:
    return policy is None or not (policy.raise_priority or policy.move_to_team_id is not None)


def _breach_actions(tickets: dict[int, Ticket], breached: list[SlaClock]) -> None:
    """What the policies do when these clocks breach, always through the complaint services.

    A ticket whose policies only escalate (the default policies) is escalated with the rest of the
    batch in one escalate_for_sla call: one step per breached clock, in order, as escalate would.
    A ticket whose policy also raises the priority or moves it to a team takes each breach's actions
    one service call at a time, in the policy's order. Keeps `tickets` up to date with the rows the
    services return.
    """
    by_ticket: dict[int, list[SlaClock]] = {}
    for clock in breached:
        by_ticket.setdefault(clock.ticket_id, []).append(clock)
    escalations: list[tuple[int, str]] = []
    for ticket_id, own in by_ticket.items():
        if all(_escalates_only(clock.policy) for clock in own):
            escalations += [
                (ticket_id, _breach_reason(clock))
                for clock in own
                if clock.policy is not None and clock.policy.raise_escalation
            ]
        else:
            for clock in own:
                _breach_actions_one_by_one(tickets, clock)
    for event in complaint_services.escalate_for_sla(escalations=escalations):
        tickets[event.ticket_id] = event.ticket


def _breach_actions_one_by_one(tickets: dict[int, Ticket], clock: SlaClock) -> None:
    """One breach's actions, each through its complaint service (priority, escalation, team)."""
    policy = clock.policy
    if policy is None:
        return
    reason = _breach_reason(clock)
    ticket_id = clock.ticket_id
    ticket = tickets[ticket_id]
    try:
        if policy.raise_priority and ticket.priority > Ticket.Priority.P1:
            ticket = tickets[ticket_id] = complaint_services.reclassify(
                ticket_id=ticket_id, actor=None, version=None, priority=ticket.priority - 1, reason=reason
            )
        if policy.raise_escalation and ticket.is_open and ticket.escalation_level < 3:
            ticket = tickets[ticket_id] = complaint_services.escalate(
                ticket_id=ticket_id, actor=None, version=None, reason=reason
            )
        team: Team | None = policy.move_to_team
        if team is not None and team.is_active and ticket.is_open and ticket.team_id != team.pk:
            tickets[ticket_id] = complaint_services.reroute(
                ticket_id=ticket_id, actor=None, team=team, version=None, reason=reason
            )
    except ComplaintError:
        # The ticket moved on meanwhile (closed, already at the top level): the alert stands.
        logger.warning("SLA breach action skipped on ticket %s", ticket_id, exc_info=True)


# --- bulk-loaded tickets -------------------------------------------------------------------


BULK_FIELDS = (
    "pk",
    "kind",
    "complexity",
    "priority",
    "category_id",
    "channel",
    "status",
    "created_at",
    "updated_at",
    "acknowledged_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
)


def create_clocks_for_loaded(
    *, ticket_ids: Iterable[int], batch_size: int = 2000, now: datetime | None = None
) -> int:
    """Build the clocks of tickets inserted in bulk (seed_demo, imports) from their timestamps.

    Thresholds already passed when the tickets are loaded count as passed, not as alerts to
    send now: a history import must not flood agents with old warnings. Returns clocks made.
    """
    now = now or timezone.now()
    ids = list(ticket_ids)
    candidates = policies.active_policies()
    if not candidates or not ids:
        return 0
    lineage = policies.category_ancestors()
    specs = CalendarSpecs()
    made = 0
    for offset in range(0, len(ids), batch_size):
        chunk = ids[offset : offset + batch_size]
        clocks: list[SlaClock] = []
        summaries: list[tuple[int, str, datetime | None]] = []
        for row in Ticket.objects.filter(pk__in=chunk).values(*BULK_FIELDS).iterator(chunk_size=batch_size):
            facts = policies.TicketFacts(
                kind=row["kind"],
                complexity=row["complexity"],
                priority=int(row["priority"]),
                category_id=row["category_id"],
                channel=row["channel"],
            )
            policy = policies.choose(candidates, facts, lineage)
            if policy is None:
                continue
            own = _loaded_clocks(row, policy, specs, now)
            clocks += own
            state, due = summarise(own, now)
            summaries.append((row["pk"], state, due))
        SlaClock.objects.bulk_create(clocks, batch_size=1000)
        complaint_services.update_sla_summaries(summaries=summaries)
        made += len(clocks)
    return made


def _loaded_clocks(row: dict, policy: SlaPolicy, specs: CalendarSpecs, now: datetime) -> list[SlaClock]:
    ticket_id, status, created = row["pk"], row["status"], row["created_at"]
    closed_unresolved = row["closed_at"] if row["closed_at"] and not row["resolved_at"] else None
    stops = {
        SlaTarget.FIRST_RESPONSE: _first_stop(row, policy),
        SlaTarget.RESOLUTION: row["resolved_at"],
    }
    clocks = []
    for target, stopped in stops.items():
        if policy.minutes_for(target) is None:
            continue
        clock = _new_clock(ticket_id, policy, target, started_at=created, specs=specs)
        spec = specs[clock.calendar_id]
        if stopped is None and target == SlaTarget.FIRST_RESPONSE:
            stopped = row["resolved_at"]
        if stopped is not None:
            _stop(clock, stopped, spec)
        elif closed_unresolved is not None:
            _stop(clock, closed_unresolved, spec, cancelled=True)
        else:
            if status == Status.AWAITING_CUSTOMER:
                _pause(clock, max(row["updated_at"], created))
            # What has passed by now counts as passed; the sweep fires only what comes later.
            passed = [
                level for level in parse_thresholds(clock.thresholds) if mark_at(clock, spec, level) <= now
            ]
            clock.warned_percent = max(passed, default=0)
            if clock.due_at <= min(now, clock.paused_at or now):
                clock.breached_at = clock.due_at
            _schedule(clock, spec)
        clocks.append(clock)
    return clocks


def _first_stop(row: dict, policy: SlaPolicy) -> datetime | None:
    moments = [row["first_response_at"]]
    if policy.first_response_stops_on == FirstResponseStop.ACKNOWLEDGEMENT:
        moments.append(row["acknowledged_at"])
    return min((m for m in moments if m is not None), default=None)
