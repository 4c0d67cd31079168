"""Satisfaction figures: CSAT (% of ratings 4-5), average rating, response rate and "solved" rate.

Counted over surveys delivered in [start, end) (by when they were sent), overall or by team,
agent (who resolved), category, channel or period. Each breakdown is one grouped query.
"""

from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from complaints.models.bilingual import pick
from complaints.models.tickets import Channel

from .models import Survey

DIMENSIONS = ("team", "agent", "category", "channel", "day", "week", "month")

_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def delivered_surveys(start: datetime, end: datetime, tickets: QuerySet | None = None) -> QuerySet[Survey]:
    """Surveys that reached the customer in [start, end), optionally only about `tickets`."""
    surveys = Survey.objects.filter(sent_at__gte=start, sent_at__lt=end)
    if tickets is not None:
        surveys = surveys.filter(ticket__in=tickets.values("pk"))
    return surveys


_METRICS = {
    "sent": Count("pk"),
    "answered": Count("answer"),
    "satisfied": Count("answer", filter=Q(answer__rating__gte=4)),
    "average": Avg("answer__rating"),
    "solved_yes": Count("answer", filter=Q(answer__solved=True)),
    "solved_said": Count("answer", filter=Q(answer__solved__isnull=False)),
}


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "sent": row["sent"],
        "answered": row["answered"],
        "csat": _percent(row["satisfied"], row["answered"]),
        "average_rating": round(row["average"], 2) if row["average"] is not None else None,
        "response_rate": _percent(row["answered"], row["sent"]),
        "solved_rate": _percent(row["solved_yes"], row["solved_said"]),
    }


def satisfaction(surveys: QuerySet[Survey]) -> dict[str, Any]:
    """The figures for a set of delivered surveys (percentages are None when nothing to count)."""
    return _figures(surveys.aggregate(**_METRICS))


def satisfaction_by(dimension: str, surveys: QuerySet[Survey]) -> list[dict[str, Any]]:
    """The figures per team, agent, category, channel, day, week or month, each row with `key` and `label`."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}")
    if dimension in _TRUNC:
        grouped = surveys.annotate(key=_TRUNC[dimension]("sent_at", tzinfo=timezone.get_current_timezone()))
        rows = grouped.values("key").annotate(**_METRICS).order_by("key")
        return [
            {"key": r["key"].date().isoformat(), "label": r["key"].date().isoformat(), **_figures(r)}
            for r in rows
        ]
    # Categories roll up to the top of the tree, as in the volume and SLA reports.
    fields = {
        "team": (F("ticket__team__slug"), F("ticket__team__name_zh"), F("ticket__team__name_en")),
        "agent": (F("resolution__resolved_by__username"), None, None),
        "category": (
            Coalesce("ticket__category__parent__slug", "ticket__category__slug"),
            Coalesce("ticket__category__parent__name_zh", "ticket__category__name_zh"),
            Coalesce("ticket__category__parent__name_en", "ticket__category__name_en"),
        ),
        "channel": (F("ticket__channel"), None, None),
    }[dimension]
    key, name_zh, name_en = fields
    names = {"key": key}
    if name_zh:
        names |= {"name_zh": name_zh, "name_en": name_en}
    rows = surveys.values(**names).annotate(**_METRICS).order_by("key")
    result = []
    for row in rows:
        if dimension == "channel":
            label = str(Channel(row["key"]).label) if row["key"] in Channel.values else row["key"]
        elif name_zh:
            label = pick(row["name_zh"] or "", row["name_en"] or "") if row["key"] else ""
        else:
            label = row["key"] or ""
        result.append({"key": row["key"] or "", "label": label, **_figures(row)})
    return result


def satisfaction_section(start: datetime, end: datetime, tickets: QuerySet) -> dict[str, Any]:
    """The "satisfaction" section of /api/v1/stats/ and the admin dashboard."""
    surveys = delivered_surveys(start, end, tickets)
    return {
        **satisfaction(surveys),
        "by_team": satisfaction_by("team", surveys),
        "by_agent": satisfaction_by("agent", surveys),
        "by_category": satisfaction_by("category", surveys),
        "by_channel": satisfaction_by("channel", surveys),
        **dict(zip(("by_day", "by_month"), satisfaction_by_day_and_month(surveys), strict=True)),
    }


def satisfaction_by_day_and_month(surveys: QuerySet[Survey]) -> tuple[list[dict], list[dict]]:
    """The figures per day and per calendar month (current time zone), from one grouped query.

    Days are summed into months with additive counts, so the months cost no second query.
    """
    metrics = {name: metric for name, metric in _METRICS.items() if name != "average"}
    metrics |= {"rating_sum": Sum("answer__rating"), "rated": Count("answer__rating")}
    day = TruncDay("sent_at", tzinfo=timezone.get_current_timezone())
    days = list(surveys.annotate(key=day).values("key").annotate(**metrics).order_by("key"))
    months: dict[str, dict[str, Any]] = {}
    for row in days:
        month = months.setdefault(row["key"].date().replace(day=1).isoformat(), dict.fromkeys(metrics, 0))
        for name in metrics:
            month[name] += row[name] or 0

    def labelled(key: str, row: dict[str, Any]) -> dict[str, Any]:
        average = row["rating_sum"] / row["rated"] if row["rated"] else None
        return {"key": key, "label": key, **_figures({**row, "average": average})}

    return (
        [labelled(row["key"].date().isoformat(), row) for row in days],
        [labelled(key, row) for key, row in months.items()],
    )
