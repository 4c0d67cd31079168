"""Shared reads of the sla app: what the API, the portal and the customer pages show of a ticket's clocks."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from complaints.models import Ticket

from .models import SlaClock


def current_clocks(ticket: Ticket) -> list[SlaClock]:
    """The latest cycle of each target, in target order (uses a prefetched ticket.sla_clocks)."""
    latest: dict[str, SlaClock] = {}
    for clock in ticket.sla_clocks.all():
        if clock.target not in latest or clock.cycle > latest[clock.target].cycle:
            latest[clock.target] = clock
    order = list(SlaClock.Target)
    return sorted(latest.values(), key=lambda c: order.index(c.target))


def clocks_prefetch() -> Prefetch:
    """Ticket.sla_clocks with their policies, for lists that show SLA due times."""
    return Prefetch("sla_clocks", queryset=SlaClock.objects.select_related("policy"))


def ticket_clocks(ticket_id: int) -> QuerySet[SlaClock]:
    """All clocks of a ticket with their calendars (for pages that show remaining business time)."""
    return (
        SlaClock.objects.filter(ticket_id=ticket_id)
        .select_related("calendar", "policy")
        .prefetch_related("calendar__intervals", "calendar__days")
        .order_by("target", "cycle")
    )


def _iso(value: Any) -> str | None:
    """ISO 8601 in the current time zone, as the rest of the API writes times."""
    return timezone.localtime(value).isoformat() if value is not None else None


def ticket_sla(ticket: Ticket) -> dict[str, Any]:
    """Added to the API's `sla` value: the policy, the due time per target and each current clock."""
    clocks = current_clocks(ticket)
    by_target = {clock.target: clock for clock in clocks}
    # `state` and `due_at` come from the ticket's summary, which the API already shows.
    data: dict[str, Any] = {
        "policy": next((c.policy.name for c in clocks if c.policy_id and c.policy), None),
    }
    for target in SlaClock.Target:
        clock = by_target.get(target)
        data[f"{target}_due"] = (
            _iso(clock.due_at) if clock and clock.outcome != clock.Outcome.CANCELLED else None
        )
    data["clocks"] = [
        {
            "target": clock.target,
            "cycle": clock.cycle,
            "state": clock.state,
            "started_at": _iso(clock.started_at),
            "due_at": _iso(clock.due_at),
            "paused_at": _iso(clock.paused_at),
            "stopped_at": _iso(clock.stopped_at),
            "outcome": clock.outcome,
            "breached_at": _iso(clock.breached_at),
        }
        for clock in clocks
    ]
    return data


def ticket_panel(request: Any, ticket: Ticket) -> dict[str, Any] | None:
    """The ticket's clocks in the desk's workspace (complaints.extensions ticket panel)."""
    clocks = list(ticket_clocks(ticket.pk))
    return {"template": "desk/sla/_clocks_panel.html", "clocks": clocks} if clocks else None
