"""Quality figures: scores per agent, team and criterion over time, and the corrective actions' state.

The `quality` and `corrective_actions` sections of /api/v1/stats/ are registered from here in
QualityConfig.ready, so the core lists them without importing this app.
"""

from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from complaints.models.bilingual import pick
from complaints.naming import user_name

from .models import CorrectiveAction, Review, ReviewScore

SCORED = [Review.State.SCORED, Review.State.APPEALED, Review.State.DECIDED]


def scored_reviews(start: datetime, end: datetime, tickets: QuerySet | None = None) -> QuerySet[Review]:
    """Reviews scored in [start, end), of the given tickets when a set is given."""
    reviews = Review.objects.filter(state__in=SCORED, scored_at__gte=start, scored_at__lt=end)
    if tickets is not None:
        reviews = reviews.filter(ticket__in=tickets.values("pk"))
    return reviews


def _average(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


FIGURES = {
    "reviews": Count("pk"),
    "average_score": Avg("score"),
    "passed": Count("pk", filter=Q(passed=True)),
    "critical_failed": Count("pk", filter=Q(critical_failed=True)),
    "appealed": Count("pk", filter=Q(appealed_at__isnull=False)),
    "changed_on_appeal": Count("pk", filter=Q(decision=Review.Decision.CHANGED)),
}


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "reviews": row["reviews"],
        "average_score": _average(row["average_score"]),
        "pass_rate": _rate(row["passed"], row["reviews"]),
        "critical_failed": row["critical_failed"],
        "appealed": row["appealed"],
        "changed_on_appeal": row["changed_on_appeal"],
    }


def overall(reviews: QuerySet[Review]) -> dict[str, Any]:
    return _figures(reviews.aggregate(**FIGURES))


def by_team(reviews: QuerySet[Review]) -> list[dict[str, Any]]:
    rows = (
        reviews.values("team__slug", "team__name_zh", "team__name_en")
        .annotate(**FIGURES)
        .order_by("team__slug")
    )
    return [
        {
            "key": row["team__slug"] or "",
            "label": pick(row["team__name_zh"] or "", row["team__name_en"] or "") or "—",
            **_figures(row),
        }
        for row in rows
    ]


def by_agent(reviews: QuerySet[Review]) -> list[dict[str, Any]]:
    rows = list(
        reviews.filter(agent__isnull=False).values("agent_id").annotate(**FIGURES).order_by("agent_id")
    )
    users = get_user_model().objects.in_bulk([row["agent_id"] for row in rows])
    return sorted(
        (
            {
                "key": users[row["agent_id"]].get_username(),
                "label": user_name(users[row["agent_id"]]),
                **_figures(row),
            }
            for row in rows
        ),
        key=lambda row: (row["average_score"] is None, -(row["average_score"] or 0), row["key"]),
    )


def by_criterion(reviews: QuerySet[Review]) -> list[dict[str, Any]]:
    """Per criterion: the average share of its points earned, and how often it scored 0."""
    rows = (
        ReviewScore.objects.filter(review__in=reviews.values("pk"))
        .values("criterion_id", "criterion__name_zh", "criterion__name_en", "criterion__is_critical")
        .annotate(
            scored=Count("pk"),
            share=Avg(F("points") * 100.0 / F("criterion__max_points")),
            zero=Count("pk", filter=Q(points=0)),
        )
        .order_by("criterion__scorecard_id", "criterion__position", "criterion_id")
    )
    return [
        {
            "key": str(row["criterion_id"]),
            "label": pick(row["criterion__name_zh"], row["criterion__name_en"]),
            "critical": row["criterion__is_critical"],
            "scored": row["scored"],
            "average_share": _average(row["share"]),
            "failed": row["zero"],
        }
        for row in rows
    ]


def by_week(reviews: QuerySet[Review]) -> list[dict[str, Any]]:
    week = TruncWeek("scored_at", tzinfo=timezone.get_current_timezone())
    rows = reviews.annotate(key=week).values("key").annotate(**FIGURES).order_by("key")
    return [
        {"key": row["key"].date().isoformat(), "label": row["key"].date().isoformat(), **_figures(row)}
        for row in rows
    ]


def quality_section(start: datetime, end: datetime, tickets: QuerySet) -> dict[str, Any]:
    """The `quality` section of /api/v1/stats/: scores of the reviews scored in the period. No figures
    per agent: the stats are open to every agent for their teams' tickets, and a colleague's scores are
    theirs and their lead's (the console's scores page shows them to whom quality.policy allows)."""
    reviews = scored_reviews(start, end, tickets)
    return {
        **overall(reviews),
        "by_team": by_team(reviews),
        "by_criterion": by_criterion(reviews),
        "by_week": by_week(reviews),
    }


OPEN = [CorrectiveAction.Status.OPEN, CorrectiveAction.Status.IN_PROGRESS]


def corrective_actions_section(start: datetime, end: datetime, tickets: QuerySet) -> dict[str, Any]:
    """The `corrective_actions` section: open and overdue now, opened and completed in the period."""
    today = timezone.localdate()
    figures = CorrectiveAction.objects.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN)),
        overdue=Count("pk", filter=Q(status__in=OPEN, due_date__lt=today)),
        opened_in_period=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        completed_in_period=Count(
            "pk", filter=Q(status=CorrectiveAction.Status.DONE, completed_at__gte=start, completed_at__lt=end)
        ),
        effective=Count("pk", filter=Q(rate_after__isnull=False, rate_after__lt=F("rate_before"))),
        measured=Count("pk", filter=Q(rate_after__isnull=False)),
    )
    return {**figures, "by_status": _by_status()}


def _by_status() -> list[dict[str, Any]]:
    counts = dict(
        CorrectiveAction.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return [
        {"key": value, "label": str(label), "count": counts.get(value, 0)}
        for value, label in CorrectiveAction.Status.choices
    ]


# --- scores over time: the console's scores page --------------------------------------------------


def weekly_series(reviews: QuerySet[Review], *, by: str, weeks: list[date]) -> dict[str, list[float | None]]:
    """Per agent (username), team (slug) or criterion (id): the average score of each week in `weeks`
    (Mondays, oldest first), None in a week without a scored review. One grouped query."""
    week = TruncWeek("scored_at", tzinfo=timezone.get_current_timezone())
    if by == "criterion":
        rows = (
            ReviewScore.objects.filter(review__in=reviews.values("pk"))
            .annotate(week=TruncWeek("review__scored_at", tzinfo=timezone.get_current_timezone()))
            .values("criterion_id", "week")
            .annotate(value=Avg(F("points") * 100.0 / F("criterion__max_points")))
            .values_list("criterion_id", "week", "value")
        )
    elif by == "agent":
        rows = (
            reviews.filter(agent__isnull=False)
            .annotate(week=week)
            .values("agent__username", "week")
            .annotate(value=Avg("score"))
            .values_list("agent__username", "week", "value")
        )
    elif by == "team":
        rows = (
            reviews.annotate(week=week)
            .values("team__slug", "week")
            .annotate(value=Avg("score"))
            .values_list("team__slug", "week", "value")
        )
    else:
        raise ValueError(f"unknown breakdown {by!r}")
    position = {monday: index for index, monday in enumerate(weeks)}
    series: dict[str, list[float | None]] = {}
    for key, moment, value in rows:
        index = position.get(
            timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
        )
        if index is None:
            continue
        series.setdefault(str(key or ""), [None] * len(weeks))[index] = _average(value)
    return series
