"""Clocks for tickets inserted in bulk (seed_demo, imports), built from their timestamps."""

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from complaints import services as complaint_services
from complaints.models import Ticket
from complaints.states import Status

from .. import policies
from ..models import (
    FirstResponseStop,
    SlaClock,
    SlaPolicy,
    SlaTarget,
    parse_thresholds,
)
from .clocks import CalendarSpecs, mark_at, new_clock, pause_clock, schedule, stop_clock, summarise

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
        clock = new_clock(ticket_id, policy, target, started_at=created, specs=specs)
        spec = specs[clock.calendar_id]
        if stopped is None and target == SlaTarget.FIRST_RESPONSE:
            stopped = row["resolved_at"]
        if stopped is not None:
            stop_clock(clock, stopped, spec)
        elif closed_unresolved is not None:
            stop_clock(clock, closed_unresolved, spec, cancelled=True)
        else:
            if status == Status.AWAITING_CUSTOMER:
                pause_clock(clock, max(row["updated_at"], created))
            # What has passed by now counts as passed; the sweep fires only what comes later.
            passed = [
                level for level in parse_thresholds(clock.thresholds) if mark_at(clock, spec, level) <= now
            ]
            clock.warned_percent = max(passed, default=0)
            if clock.due_at <= min(now, clock.paused_at or now):
                clock.breached_at = clock.due_at
            schedule(clock, spec)
        clocks.append(clock)
    return clocks


def _first_stop(row: dict, policy: SlaPolicy) -> datetime | None:
    moments = [row["first_response_at"]]
    if policy.first_response_stops_on == FirstResponseStop.ACKNOWLEDGEMENT:
        moments.append(row["acknowledged_at"])
    return min((m for m in moments if m is not None), default=None)
