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
from .models.bilingual import pick
from .models.tickets import Channel
from .naming import full_name
from .states import OPEN_STATUSES, Status

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


# --- the console: dimensions, backlog and workload ------------------------------------------------------

DIMENSIONS = ("category", "channel", "team", "month")


def dimension(by: str, *, prefix: str = "", moment: str = "created_at") -> Any:
    """The grouping expression for `by` over tickets (or rows reached through `prefix`, e.g. "ticket__").

    Categories roll up to the top of the tree; months are calendar months of `moment` in the current
    time zone, as an ISO date of their first day once passed through `group_key`.
    """
    if by == "category":
        return Coalesce(f"{prefix}category__parent__slug", f"{prefix}category__slug")
    if by == "team":
        return F(f"{prefix}team__slug")
    if by == "channel":
        return F(f"{prefix}channel")
    if by == "month":
        return TruncMonth(moment, tzinfo=timezone.get_current_timezone())
    raise ValueError(f"unknown dimension {by!r}; use one of {', '.join(DIMENSIONS)}")


def group_key(value: Any) -> str:
    """A group as text: a month as the ISO date of its first day, a missing team or category as ""."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return "" if value is None else str(value)


def counts_by(tickets: QuerySet[Ticket], by: str) -> dict[str, int]:
    """Tickets per category, channel, team or month of opening: {group key: count}."""
    rows = tickets.order_by().annotate(group=dimension(by)).values("group").annotate(n=Count("pk"))
    return {group_key(row["group"]): row["n"] for row in rows}


def repeat_rate_by(tickets: QuerySet[Ticket], start: datetime, end: datetime, by: str) -> dict[str, dict]:
    """`repeat_rate` per group: {group key: {received, folded, linked, rate}} (three grouped queries)."""
    tickets = Ticket.objects.filter(pk__in=tickets.order_by().values("pk"))
    opened = (
        opened_in(tickets, start, end)
        .order_by()
        .annotate(group=dimension(by))
        .values("group")
        .annotate(opened=Count("pk"), linked=Count("pk", filter=Q(related_to__isnull=False)))
    )
    folded = (
        TicketEvent.objects.filter(
            ticket__in=tickets.order_by().values("pk"),
            kind=EventKind.REPEAT_FOLDED,
            created_at__gte=start,
            created_at__lt=end,
        )
        .order_by()
        .annotate(group=dimension(by, prefix="ticket__", moment="created_at"))
        .values("group")
        .annotate(n=Count("pk"))
    )
    result: dict[str, dict] = {}
    for row in opened:
        result[group_key(row["group"])] = {"received": row["opened"], "folded": 0, "linked": row["linked"]}
    for row in folded:
        entry = result.setdefault(group_key(row["group"]), {"received": 0, "folded": 0, "linked": 0})
        entry["received"] += row["n"]
        entry["folded"] += row["n"]
    for entry in result.values():
        repeats = entry["folded"] + entry["linked"]
        entry["rate"] = round(repeats / entry["received"], 4) if entry["received"] else 0.0
    return result


def remedies_by(tickets: QuerySet[Ticket], start: datetime, end: datetime, by: str) -> dict[tuple, dict]:
    """Resolutions recorded in the period per group and currency: {(group key, currency): {count, amount}}.

    `amount` is a Decimal (refunds and compensation summed); months are those the resolution was recorded in.
    """
    rows = (
        Resolution.objects.filter(
            ticket__in=tickets.order_by().values("pk"), created_at__gte=start, created_at__lt=end
        )
        .order_by()
        .annotate(group=dimension(by, prefix="ticket__"))
        .values("group", "currency")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    )
    return {
        (group_key(row["group"]), row["currency"]): {
            "count": row["n"],
            "amount": Decimal(row["amount"] or 0).quantize(Decimal("0.01")),
        }
        for row in rows
    }


AGE_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    # (key, younger than N days, at least M days old)
    ("lt_1d", 1, None),
    ("1_3d", 3, 1),
    ("3_7d", 7, 3),
    ("gt_7d", None, 7),
)


def age_bucket_bounds(key: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The opening times [after, before) of an age bucket: tickets opened at or after / before them."""
    younger, older = next((y, o) for k, y, o in AGE_BUCKETS if k == key)
    after = now - timedelta(days=younger) if younger is not None else None
    before = now - timedelta(days=older) if older is not None else None
    return after, before


def backlog(tickets: QuerySet[Ticket], now: datetime) -> dict[str, Any]:
    """Open tickets now, by status and by age (time since opening), in one grouped query."""
    ages = {}
    for key, _younger, _older in AGE_BUCKETS:
        after, before = age_bucket_bounds(key, now)
        condition = Q()
        if after is not None:
            condition &= Q(created_at__gte=after)
        if before is not None:
            condition &= Q(created_at__lt=before)
        ages[key] = Count("pk", filter=condition)
    rows = {
        row["status"]: row
        for row in tickets.open().order_by().values("status").annotate(n=Count("pk"), **ages)
    }
    return {
        "total": sum(row["n"] for row in rows.values()),
        "by_status": [
            {"status": s.value, "label": str(s.label), "count": rows[s.value]["n"] if s.value in rows else 0}
            for s in Status
            if s in OPEN_STATUSES
        ],
        "by_age": [{"age": key, "count": sum(row[key] for row in rows.values())} for key, *_ in AGE_BUCKETS],
    }


_WORKLOAD = {
    "open": Count("pk"),
    "assigned": Count("pk", filter=Q(assignee__isnull=False)),
    "at_risk": Count("pk", filter=Q(sla_state=Ticket.SlaState.AT_RISK)),
    "breached": Count("pk", filter=Q(sla_state=Ticket.SlaState.BREACHED)),
}


def workload_by_team(tickets: QuerySet[Ticket]) -> list[dict[str, Any]]:
    """Open tickets per team (unrouted ones as team None): open, assigned, at risk, breached; busiest first."""
    rows = tickets.open().order_by().values("team_id", "team__name_zh", "team__name_en").annotate(**_WORKLOAD)
    result = [
        {
            "team_id": row["team_id"],
            "name": pick(row["team__name_zh"] or "", row["team__name_en"] or "") if row["team_id"] else "",
            **{metric: row[metric] for metric in _WORKLOAD},
        }
        for row in rows
    ]
    return sorted(result, key=lambda row: (-row["open"], row["name"]))


def workload_by_agent(tickets: QuerySet[Ticket], limit: int = 20) -> list[dict[str, Any]]:
    """Open tickets per assignee: open, at risk, breached; the `limit` busiest first."""
    rows = (
        tickets.open()
        .filter(assignee__isnull=False)
        .order_by()
        .values("assignee_id", "assignee__username", "assignee__first_name", "assignee__last_name")
        .annotate(**_WORKLOAD)
        .order_by("-open", "assignee__username")[:limit]
    )
    return [
        {
            "assignee_id": row["assignee_id"],
            "name": full_name(given=row["assignee__first_name"], family=row["assignee__last_name"])
            or row["assignee__username"],
            "username": row["assignee__username"],
            **{metric: row[metric] for metric in _WORKLOAD},
        }
        for row in rows
    ]
