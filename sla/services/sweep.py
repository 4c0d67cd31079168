"""The sweep: due clocks fire their warnings and breaches, once each, and the policies' breach
actions run through the complaint services.

The batch's tickets are locked with SKIP LOCKED (the lock order of the complaint services: ticket,
then its clocks); an SlaAlert row, unique per (clock, threshold), records that an alert fired.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from itertools import batched

from django.db import transaction
from django.utils import timezone

from complaints import services as complaint_services
from complaints.bulk_update import update_by_pk
from complaints.errors import ComplaintError
from complaints.events import CodedReason, EventKind, SystemReason
from complaints.models import Team, Ticket
from config.celery import queue_after_commit

from ..calendars import CalendarSpec
from ..models import (
    SlaAlert,
    SlaClock,
    SlaPolicy,
)
from .clocks import (
    CalendarSpecs,
    mark_at,
    pending_levels,
    summarise,
)

logger = logging.getLogger(__name__)


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
        # The one locking helper of the core: primary-key order; SKIP LOCKED never waits anyway.
        tickets = {
            ticket.pk: ticket for ticket in complaint_services.lock_tickets(*ticket_ids, skip_locked=True)
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

    events = complaint_services.record_sla_alerts(
        alerts=[_alert_event(f.clock, f.level) for f in firings], locked=tickets
    )
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

    alert_ids = [alert.pk for alert in alerts]
    for chunk in batched(alert_ids, ALERT_MAIL_CHUNK):
        queue_after_commit("sla.tasks.send_alert", list(chunk))
    return alert_ids


def _due_levels(clock: SlaClock, now: datetime, spec: CalendarSpec) -> list[int]:
    """Mark every threshold the clock has passed by `now` as fired and reschedule it (in memory).

    As schedule does, but each mark is worked out once: business time is most of the sweep's CPU.
    """
    marks: dict[int, datetime] = {}

    def mark(level: int) -> datetime:
        if level not in marks:
            marks[level] = mark_at(clock, spec, level)
        return marks[level]

    levels: list[int] = []
    for level in pending_levels(clock):
        if mark(level) > now:
            break
        if level == SlaAlert.BREACH:
            clock.breached_at = clock.due_at
        else:
            clock.warned_percent = level
        levels.append(level)
    clock.due_at = mark(100)
    pending = pending_levels(clock)
    ticking = clock.stopped_at is None and clock.paused_at is None
    clock.next_alert_at = mark(pending[0]) if ticking and pending else None
    return levels


SWEPT_FIELDS = ("due_at", "warned_percent", "breached_at", "next_alert_at")


def _save_swept(clocks: list[SlaClock]) -> None:
    """Store what the sweep moved on the clocks: one UPDATE per chunk (bulk_update.update_by_pk), not
    bulk_update's expression per value (~0.4 ms per clock, most of the sweep's budget for a warning)."""
    rows = [(clock.pk, *(getattr(clock, name) for name in SWEPT_FIELDS)) for clock in clocks]
    update_by_pk(SlaClock, SWEPT_FIELDS, rows)


def _alert_event(clock: SlaClock, level: int) -> dict:
    """One alert of record_sla_alerts' batch."""
    return {
        "ticket_id": clock.ticket_id,
        "kind": EventKind.SLA_BREACHED if level == SlaAlert.BREACH else EventKind.SLA_WARNING,
        "target": clock.target,
        "due_at": clock.due_at,
        # Stored as a code: read in each reader's language and date format (complaints.timeline).
        "reason": CodedReason(SystemReason.SLA_DUE, target=clock.target, due=clock.due_at.isoformat()),
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


def _breach_reason(clock: SlaClock) -> CodedReason:
    return CodedReason(SystemReason.SLA_BREACHED, target=clock.target, due=clock.due_at.isoformat())


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
    for event in complaint_services.escalate_for_sla(escalations=escalations, locked=tickets):
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
