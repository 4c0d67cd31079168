"""SLA compliance: met against missed per target, by team, category, priority, channel and month.

A clock counts once its outcome is decided: stopped met or missed, or still running past its
due time (it can no longer be met). Clocks are placed in the period by their due time.
Cancelled clocks (spam, duplicates) and clocks not yet due are left out.
"""

from collections import defaultdict
from datetime import datetime
from statistics import median
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from complaints.models import Ticket

from .models import SlaClock, SlaOutcome

DIMENSIONS: dict[str, Any] = {
    "team": F("ticket__team__slug"),
    "category": Coalesce("ticket__category__parent__slug", "ticket__category__slug"),
    "priority": F("ticket__priority"),
    "channel": F("ticket__channel"),
    "month": TruncMonth("due_at"),
}


def decided_clocks(
    *, start: datetime, end: datetime, tickets: QuerySet[Ticket] | None = None, now: datetime | None = None
) -> QuerySet[SlaClock]:
    now = now or timezone.now()
    clocks = SlaClock.objects.filter(due_at__gte=start, due_at__lt=end).filter(
        Q(outcome__in=[SlaOutcome.MET, SlaOutcome.MISSED]) | Q(outcome=SlaOutcome.RUNNING, due_at__lte=now)
    )
    if tickets is not None:
        clocks = clocks.filter(ticket__in=tickets.values("pk"))
    return clocks


MET = Q(outcome=SlaOutcome.MET)


def _rate(met: int, total: int) -> float | None:
    return round(100 * met / total, 1) if total else None


def compliance(
    *, start: datetime, end: datetime, by: str | None = None, tickets: QuerySet[Ticket] | None = None
) -> list[dict[str, Any]]:
    """One row per (group, target): met, missed, compliance % and median business minutes to stop."""
    clocks = decided_clocks(start=start, end=end, tickets=tickets)
    keys = ["target"]
    if by is not None:
        clocks = clocks.annotate(group=DIMENSIONS[by])
        keys.insert(0, "group")
    rows = clocks.values(*keys).annotate(total=Count("pk"), met=Count("pk", filter=MET)).order_by(*keys)
    elapsed: dict[tuple, list[int]] = defaultdict(list)
    for *key, seconds in clocks.filter(elapsed_seconds__isnull=False).values_list(*keys, "elapsed_seconds"):
        elapsed[tuple(key)].append(seconds)
    result = []
    for row in rows:
        key = tuple(row[k] for k in keys)
        group = row.get("group")
        result.append(
            {
                **({by: group.date().isoformat() if isinstance(group, datetime) else group} if by else {}),
                "target": row["target"],
                "met": row["met"],
                "missed": row["total"] - row["met"],
                "compliance": _rate(row["met"], row["total"]),
                "median_minutes": round(median(elapsed[key]) / 60, 1) if elapsed.get(key) else None,
            }
        )
    return result


def stats_section(start: datetime, end: datetime, tickets: QuerySet[Ticket]) -> dict[str, Any]:
    """The `sla` section of /api/v1/stats/ and the dashboard."""
    section: dict[str, Any] = {"overall": compliance(start=start, end=end, tickets=tickets)}
    for dimension in DIMENSIONS:
        section[f"by_{dimension}"] = compliance(start=start, end=end, by=dimension, tickets=tickets)
    section["open_by_state"] = dict(
        tickets.filter(sla_state__in=[s for s in Ticket.SlaState if s != Ticket.SlaState.NONE])
        .exclude(status__in=["resolved", "closed"])
        .values_list("sla_state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return section
