"""Volume statistics for a period, shared by GET /api/v1/stats/ and the admin dashboard.

Every function takes the tickets the viewer may see (a queryset) and a half-open
period [start, end), and returns JSON-ready data: counts as ints, money as strings.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from .events import EventKind
from .models import Category, Resolution, RootCause, Team, Ticket, TicketEvent
from .models.tickets import Channel
from .states import Status

UNCATEGORISED = "uncategorised"
UNROUTED = "unrouted"


def period_bucket(start: datetime, end: datetime) -> str:
    """Day buckets for up to two months, weeks up to a year, months beyond: a chart of 10-60 bars."""
    span = end - start
    if span <= timedelta(days=62):
        return "day"
    if span <= timedelta(days=366):
        return "week"
    return "month"


def opened_in(tickets: QuerySet[Ticket], start: datetime, end: datetime) -> QuerySet[Ticket]:
    return tickets.filter(created_at__gte=start, created_at__lt=end)


def _counts(queryset: QuerySet, field: str) -> dict[Any, int]:
    return {row[field]: row["n"] for row in queryset.order_by().values(field).annotate(n=Count("pk"))}


def counts_by_status(tickets: QuerySet[Ticket]) -> list[dict[str, Any]]:
    counts = _counts(tickets, "status")
    return [{"status": s.value, "label": str(s.label), "count": counts.get(s.value, 0)} for s in Status]


def counts_by_channel(tickets: QuerySet[Ticket]) -> list[dict[str, Any]]:
    counts = _counts(tickets, "channel")
    return [{"channel": c.value, "label": str(c.label), "count": counts.get(c.value, 0)} for c in Channel]


def counts_by_category(tickets: QuerySet[Ticket]) -> list[dict[str, Any]]:
    """Counts rolled up to the top-level categories of the tree, largest first."""
    rows = _counts(
        tickets.annotate(top=Coalesce("category__parent__slug", "category__slug")),
        "top",
    )
    names = {c.slug: c.name for c in Category.objects.filter(slug__in=[s for s in rows if s])}
    result = [
        {"category": slug or UNCATEGORISED, "name": names.get(slug, ""), "count": count}
        for slug, count in rows.items()
    ]
    return sorted(result, key=lambda row: (-row["count"], row["category"]))


def counts_by_team(tickets: QuerySet[Ticket]) -> list[dict[str, Any]]:
    rows = _counts(tickets, "team__slug")
    names = {t.slug: t.name for t in Team.objects.filter(slug__in=[s for s in rows if s])}
    result = [
        {"team": slug or UNROUTED, "name": names.get(slug, ""), "count": count}
        for slug, count in rows.items()
    ]
    return sorted(result, key=lambda row: (-row["count"], row["team"]))


def counts_by_period(tickets: QuerySet[Ticket], bucket: str) -> list[dict[str, Any]]:
    """Tickets opened per day, week or month in the current time zone, oldest first."""
    trunc = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}[bucket]
    rows = (
        tickets.order_by()
        .annotate(period=trunc("created_at", tzinfo=timezone.get_current_timezone()))
        .values("period")
        .annotate(n=Count("pk"))
        .order_by("period")
    )
    return [{"period": row["period"].date().isoformat(), "count": row["n"]} for row in rows]


def repeat_rate(tickets: QuerySet[Ticket], start: datetime, end: datetime) -> dict[str, Any]:
    """Share of complaints received in the period that repeated an earlier one.

    Received = tickets opened + repeats folded into an open ticket; repeats = those folded
    + new tickets linked to an earlier (closed) one.
    """
    opened = opened_in(tickets, start, end)
    summary = opened.aggregate(opened=Count("pk"), linked=Count("pk", filter=Q(related_to__isnull=False)))
    folded = TicketEvent.objects.filter(
        ticket__in=tickets.order_by().values("pk"),
        kind=EventKind.REPEAT_FOLDED,
        created_at__gte=start,
        created_at__lt=end,
    ).count()
    received = summary["opened"] + folded
    repeats = summary["linked"] + folded
    return {
        "received": received,
        "folded": folded,
        "linked": summary["linked"],
        "rate": round(repeats / received, 4) if received else 0.0,
    }


def remedies(tickets: QuerySet[Ticket], start: datetime, end: datetime) -> dict[str, Any]:
    """Resolutions recorded in the period: by remedy (count and amount per currency) and by root cause."""
    resolutions = Resolution.objects.filter(
        ticket__in=tickets.order_by().values("pk"), created_at__gte=start, created_at__lt=end
    ).order_by()
    by_remedy = [
        {
            "remedy": row["remedy"],
            "label": str(Resolution.Remedy(row["remedy"]).label),
            "currency": row["currency"],
            "count": row["n"],
            "amount": str(Decimal(row["amount"] or 0).quantize(Decimal("0.01"))),
        }
        for row in resolutions.values("remedy", "currency")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by("remedy", "currency")
    ]
    cause_counts = _counts(resolutions.annotate(cause=F("root_cause__slug")), "cause")
    names = {c.slug: str(c) for c in RootCause.objects.filter(slug__in=list(cause_counts))}
    by_root_cause = sorted(
        ({"root_cause": slug, "name": names.get(slug, ""), "count": n} for slug, n in cause_counts.items()),
        key=lambda row: (-row["count"], row["root_cause"]),
    )
    return {"resolutions": resolutions.count(), "by_remedy": by_remedy, "by_root_cause": by_root_cause}


def volume_report(*, tickets: QuerySet[Ticket], start: datetime, end: datetime) -> dict[str, Any]:
    """Everything the volume part of the statistics shows, for tickets opened in [start, end)."""
    # A visibility filter joins memberships and may repeat rows; group over plain primary keys instead.
    tickets = Ticket.objects.filter(pk__in=tickets.order_by().values("pk"))
    opened = opened_in(tickets, start, end)
    bucket = period_bucket(start, end)
    return {
        "total": opened.count(),
        "open": opened.open().count(),
        "by_status": counts_by_status(opened),
        "by_channel": counts_by_channel(opened),
        "by_category": counts_by_category(opened),
        "by_team": counts_by_team(opened),
        "bucket": bucket,
        "by_period": counts_by_period(opened, bucket),
        "repeats": repeat_rate(tickets, start, end),
        "remedies": remedies(tickets, start, end),
    }
