"""Public disclosure (透明化的处理结果公示): figures a company may publish, from a periodic snapshot.

compute_snapshot (beat, hourly) aggregates the tickets once; the page and the API read only the
newest snapshot, so they cost one query however many tickets there are. Only counts, rates and
averages are stored, never a reference, a name or a ticket's text; a figure based on fewer than
the minimum count is stored as None ("fewer than N") so it can never be recovered from the page.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from complaints.models import Category, Resolution, Ticket
from feedback.models import Survey
from sla.reports import compliance

from .models import CorrectiveAction, TransparencySettings, TransparencySnapshot

SECTIONS = ["volumes", "categories", "timeliness", "resolution_time", "satisfaction", "causes"]


def _month_starts(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    starts = []
    for _i in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(starts))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


class Suppressor:
    def __init__(self, minimum: int) -> None:
        self.minimum = minimum

    def count(self, value: int) -> int | None:
        return value if value >= self.minimum else None

    def rate(self, part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole >= self.minimum else None

    def average(self, value: float | None, n: int) -> float | None:
        return round(value, 1) if value is not None and n >= self.minimum else None


def compute_figures(*, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    config = TransparencySettings.current()
    keep = Suppressor(config.minimum_count)
    months = _month_starts(timezone.localdate(now), config.months)
    start, end = _midnight(months[0]), _midnight(_next_month(months[-1]))
    zone = timezone.get_current_timezone()
    tickets = Ticket.objects.filter(is_spam=False, duplicate_of__isnull=True)
    received = dict(
        tickets.filter(created_at__gte=start, created_at__lt=end)
        .annotate(m=TruncMonth("created_at", tzinfo=zone))
        .values_list("m")
        .annotate(n=Count("pk"))
        .values_list("m", "n")
    )
    resolved = {
        row["m"]: row
        for row in tickets.filter(resolved_at__gte=start, resolved_at__lt=end)
        .annotate(m=TruncMonth("resolved_at", tzinfo=zone))
        .values("m")
        .annotate(
            n=Count("pk"),
            took=Avg(ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())),
        )
    }
    category = Coalesce("category__parent__slug", "category__slug")
    by_category: dict[tuple, int] = {}
    names: dict[str, tuple[str, str]] = {}
    for row in (
        tickets.filter(created_at__gte=start, created_at__lt=end, category__isnull=False)
        .annotate(m=TruncMonth("created_at", tzinfo=zone), c=category)
        .values("m", "c")
        .annotate(n=Count("pk"))
    ):
        by_category[(row["m"].date(), row["c"])] = row["n"]
    for cat in Category.objects.filter(parent__isnull=True):
        names[cat.slug] = (cat.name_zh, cat.name_en)
    timeliness = {(row["month"], row["target"]): row for row in compliance(start=start, end=end, by="month")}
    surveys = {
        row["m"]: row
        for row in Survey.objects.filter(sent_at__gte=start, sent_at__lt=end)
        .annotate(m=TruncMonth("sent_at", tzinfo=zone))
        .values("m")
        .annotate(
            answered=Count("answer"),
            satisfied=Count("answer", filter=Q(answer__rating__gte=4)),
            average=Avg("answer__rating"),
        )
    }
    month_rows = []
    for month in months:
        key = _midnight(month)
        done = resolved.get(key, {})
        answers = surveys.get(key, {})
        first = timeliness.get((month.isoformat(), "first_response"), {})
        resolution = timeliness.get((month.isoformat(), "resolution"), {})
        took = done.get("took")
        month_rows.append(
            {
                "month": month.isoformat(),
                "received": keep.count(received.get(key, 0)),
                "resolved": keep.count(done.get("n", 0)),
                "answered_in_time": keep.rate(
                    first.get("met", 0), first.get("met", 0) + first.get("missed", 0)
                ),
                "resolved_in_time": keep.rate(
                    resolution.get("met", 0), resolution.get("met", 0) + resolution.get("missed", 0)
                ),
                "hours_to_resolve": keep.average(
                    took.total_seconds() / 3600 if took else None, done.get("n", 0)
                ),
                "satisfied": keep.rate(answers.get("satisfied", 0), answers.get("answered", 0)),
                "average_rating": keep.average(answers.get("average"), answers.get("answered", 0)),
            }
        )
    categories = [
        {
            "key": slug,
            "name_zh": zh,
            "name_en": en,
            "months": [keep.count(by_category.get((month, slug), 0)) for month in months],
        }
        for slug, (zh, en) in names.items()
    ]
    return {
        "minimum_count": config.minimum_count,
        "first_month": months[0].isoformat(),
        "last_month": months[-1].isoformat(),
        "months": month_rows,
        "categories": categories,
        "causes": _causes(keep, start, end),
    }


def _causes(keep: Suppressor, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The most frequent root causes of the period, each with the public corrective actions on it."""
    rows = (
        Resolution.objects.filter(created_at__gte=start, created_at__lt=end, ticket__is_spam=False)
        .values("root_cause_id", "root_cause__name_zh", "root_cause__name_en")
        .annotate(n=Count("ticket", distinct=True))
        .order_by("-n", "root_cause_id")[:5]
    )
    actions: dict[int, list[dict[str, str]]] = {}
    public = CorrectiveAction.objects.filter(is_public=True, root_cause__isnull=False).exclude(
        public_summary_zh="", public_summary_en=""
    )
    # Only what a supervisor wrote for the public: never the action's internal title or problem.
    for action in public.order_by("pk"):
        actions.setdefault(action.root_cause_id, []).append(
            {
                "summary_zh": action.public_summary_zh or action.public_summary_en,
                "summary_en": action.public_summary_en or action.public_summary_zh,
                "status": action.status,
                "completed": action.completed_at.date().isoformat() if action.completed_at else None,
            }
        )
    return [
        {
            "name_zh": row["root_cause__name_zh"],
            "name_en": row["root_cause__name_en"],
            "count": keep.count(row["n"]),
            "actions": actions.get(row["root_cause_id"], []),
        }
        for row in rows
        if keep.count(row["n"]) is not None
    ]


def compute_snapshot(*, now: datetime | None = None) -> TransparencySnapshot:
    now = now or timezone.now()
    return TransparencySnapshot.objects.create(computed_at=now, figures=compute_figures(now=now))


def published(language: str) -> dict[str, Any] | None:
    """The newest snapshot as the public sees it: only the sections a supervisor made public,
    names in the reader's language."""
    snapshot = TransparencySnapshot.objects.order_by("-computed_at", "-pk").first()
    if snapshot is None:
        return None
    config = TransparencySettings.current()
    figures = snapshot.figures
    zh = language.lower().startswith("zh")
    shown = {
        "volumes": config.show_volumes,
        "categories": config.show_categories,
        "timeliness": config.show_timeliness,
        "resolution_time": config.show_resolution_time,
        "satisfaction": config.show_satisfaction,
        "causes": config.show_causes,
    }
    month_fields = {
        "volumes": ["received", "resolved"],
        "timeliness": ["answered_in_time", "resolved_in_time"],
        "resolution_time": ["hours_to_resolve"],
        "satisfaction": ["satisfied", "average_rating"],
    }
    fields = [f for section, names in month_fields.items() if shown[section] for f in names]
    result: dict[str, Any] = {
        # In the site's time zone: the page shows its date part.
        "computed_at": timezone.localtime(snapshot.computed_at).isoformat(),
        "minimum_count": figures["minimum_count"],
        "sections": [name for name in SECTIONS if shown[name]],
        "months": [{"month": row["month"], **{f: row[f] for f in fields}} for row in figures["months"]]
        if fields
        else [],
    }
    if shown["categories"]:
        result["categories"] = [
            {"name": (c["name_zh"] if zh else c["name_en"]) or c["name_zh"], "months": c["months"]}
            for c in figures["categories"]
            if any(v is not None for v in c["months"])
        ]
    if shown["causes"]:
        result["causes"] = [
            {
                "name": c["name_zh"] if zh else c["name_en"],
                "count": c["count"],
                "actions": [
                    {
                        "summary": a["summary_zh"] if zh else a["summary_en"],
                        "status": a["status"],
                        "completed": a["completed"],
                    }
                    for a in c["actions"]
                ],
            }
            for c in figures["causes"]
        ]
    return result
