"""Reporting on hand-offs: per partner, the hand-offs opened in a period, how fast the partner answered
(business hours on the partner's calendar), the overdue rate, and how long tickets waited on them
before they were resolved (which partners delay resolutions most)."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from sla.calendars import business_time_between

from . import deadlines
from .models import Handoff

HOUR = timedelta(hours=1)
# A period's report reads at most this many hand-offs (the page and the stats API stay bounded).
MAX_ROWS = 20_000


def _hours(delta: timedelta) -> float:
    return round(delta / HOUR, 1)


def partner_report(*, handoffs: QuerySet[Handoff], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """One row per partner with hand-offs opened in [start, end), the partners that kept tickets waiting
    longest first. One query."""
    now = timezone.now()
    rows: dict[int, dict[str, Any]] = {}
    opened = (
        handoffs.filter(opened_at__gte=start, opened_at__lt=end)
        .select_related("partner__calendar", "ticket")
        .order_by("partner_id", "pk")[:MAX_ROWS]
    )
    responses: dict[int, list[timedelta]] = {}
    for handoff in opened:
        partner = handoff.partner
        row = rows.setdefault(
            partner.pk,
            {
                "partner_id": partner.pk,
                "partner": partner.name,
                "kind": partner.kind,
                "handoffs": 0,
                "open": 0,
                "answered": 0,
                "overdue": 0,
                "tickets": set(),
                "waiting": timedelta(0),
            },
        )
        row["handoffs"] += 1
        row["open"] += handoff.state == Handoff.State.OPEN
        row["tickets"].add(handoff.ticket_id)
        answered = handoff.first_reply_at
        if answered is not None:
            row["answered"] += 1
            responses.setdefault(partner.pk, []).append(
                business_time_between(deadlines.spec_for(partner), handoff.opened_at, answered)
            )
        if (answered or now) > handoff.due_at:
            row["overdue"] += 1
        # The time the ticket waited on the partner while it was not yet resolved.
        stop = min(
            moment for moment in (handoff.closed_at, handoff.ticket.resolved_at, now) if moment is not None
        )
        row["waiting"] += max(timedelta(0), stop - handoff.opened_at)
    report = []
    for partner_id, row in rows.items():
        times = responses.get(partner_id, [])
        report.append(
            {
                **row,
                "tickets": len(row["tickets"]),
                "average_response_hours": _hours(sum(times, timedelta(0)) / len(times)) if times else None,
                "overdue_rate": round(row["overdue"] / row["handoffs"], 3),
                "waiting_hours": _hours(row["waiting"]),
            }
        )
        del report[-1]["waiting"]
    return sorted(report, key=lambda r: (-r["waiting_hours"], r["partner"]))


def stats_section(start: datetime, end: datetime, tickets: QuerySet) -> dict[str, Any]:
    """/api/v1/stats/'s handoffs section over the tickets the caller may see."""
    handoffs = Handoff.objects.filter(ticket__in=tickets.order_by().values("pk"))
    now = timezone.now()
    waiting = handoffs.filter(state=Handoff.State.OPEN)
    return {
        "by_partner": partner_report(handoffs=handoffs, start=start, end=end),
        "open": waiting.count(),
        "overdue": waiting.filter(first_reply_at__isnull=True, due_at__lt=now).count(),
    }
