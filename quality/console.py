"""Quality's console pages under /admin/quality/: the monthly review pack (page and PDF) and the
inspection scores over time. Mounted in config/urls.py ahead of the admin's own URLs; every view goes
through admin.site.admin_view, so anyone who is not active staff is sent to the console's login."""

from datetime import date, timedelta
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from complaints.console.charts import line_chart

from . import policy, reports, review_pack, services

app_name = "quality_console"

WEEK_CHOICES = (4, 8, 13, 26)
DEFAULT_WEEKS = 13


@require_GET
def review_pack_page(request: HttpRequest) -> HttpResponse:
    """The month's review pack; ?format=pdf downloads the same page as a PDF."""
    if not policy.can_see_review_pack(request.user):
        raise PermissionDenied
    form = review_pack.MonthForm(request.GET)
    month = form.chosen()
    pack = review_pack.build_pack(month=month)
    if request.GET.get("format") == "pdf":
        response = HttpResponse(review_pack.render_pdf(pack), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{review_pack.pdf_filename(month)}"'
        return response
    context = {
        **admin.site.each_context(request),
        "title": _("Management review pack"),
        # The pack's tables and charts need the page's width, as the reports page does.
        "is_nav_sidebar_enabled": False,
        "pack": pack,
        "form": form,
        "pdf_url": f"{reverse('quality_console:review_pack')}?month={month.key}&format=pdf",
    }
    return TemplateResponse(request, "quality/review_pack.html", context)


def _weeks(request: HttpRequest) -> int:
    try:
        weeks = int(request.GET.get("weeks", DEFAULT_WEEKS))
    except ValueError:
        return DEFAULT_WEEKS
    return weeks if weeks in WEEK_CHOICES else DEFAULT_WEEKS


def _with_trends(
    rows: list[dict[str, Any]],
    series: dict[str, list[float | None]],
    weeks: list[date],
    *,
    prefix: str,
    value: str,
) -> list[dict[str, Any]]:
    shown = []
    for row in rows:
        values = series.get(row["key"], [None] * len(weeks))
        points = [(monday.isoformat(), v) for monday, v in zip(weeks, values, strict=True) if v is not None]
        shown.append(
            {
                **row,
                "weeks": values,
                "chart": line_chart(
                    chart_id=f"{prefix}-{row['key']}",
                    title=_("%(name)s: average score per week") % {"name": row["label"]},
                    description=_("Average score in percent of the reviews scored each week."),
                    series=points,
                ),
                "value": row[value],
            }
        )
    return shown


@require_GET
def scores_page(request: HttpRequest) -> HttpResponse:
    """Inspection scores per agent, team and criterion over the last weeks, each with its trend."""
    if not policy.can_see_scores(request.user):
        raise PermissionDenied
    weeks_shown = _weeks(request)
    this_week = services.week_start_of(timezone.localdate())
    weeks = [this_week - timedelta(weeks=n) for n in range(weeks_shown - 1, -1, -1)]
    start, _end = services.week_bounds(weeks[0])
    _start, end = services.week_bounds(weeks[-1])
    reviews = policy.reviews_visible_to(request.user).filter(
        state__in=reports.SCORED, scored_at__gte=start, scored_at__lt=end
    )
    overall = reports.by_week(reviews)
    by_week = {row["key"]: row for row in overall}
    context = {
        **admin.site.each_context(request),
        "title": _("Inspection scores"),
        "is_nav_sidebar_enabled": False,
        "weeks": weeks,
        "weeks_shown": weeks_shown,
        "week_choices": WEEK_CHOICES,
        "overall": reports.overall(reviews),
        "overall_chart": line_chart(
            chart_id="scores-overall",
            title=_("Average score per week"),
            description=_("Average score in percent of the reviews scored each week."),
            series=[
                (row["label"], row["average_score"]) for row in overall if row["average_score"] is not None
            ],
        ),
        "per_week": [by_week.get(monday.isoformat()) for monday in weeks],
        "agents": _with_trends(
            reports.by_agent(reviews),
            reports.weekly_series(reviews, by="agent", weeks=weeks),
            weeks,
            prefix="agent",
            value="average_score",
        ),
        "teams": _with_trends(
            reports.by_team(reviews),
            reports.weekly_series(reviews, by="team", weeks=weeks),
            weeks,
            prefix="team",
            value="average_score",
        ),
        "criteria": _with_trends(
            reports.by_criterion(reviews),
            reports.weekly_series(reviews, by="criterion", weeks=weeks),
            weeks,
            prefix="criterion",
            value="average_share",
        ),
        "review_pack_url": reverse("quality_console:review_pack"),
    }
    return TemplateResponse(request, "quality/scores.html", context)


urlpatterns = [
    path("review-pack/", admin.site.admin_view(review_pack_page), name="review_pack"),
    path("scores/", admin.site.admin_view(scores_page), name="scores"),
]


def dashboard_panel(user, now) -> dict[str, Any] | None:
    """The supervisor dashboard's quality card: this month's scores and the open corrective actions,
    with the ways to the review pack and the scores page."""
    if not policy.can_see_scores(user):
        return None
    month = review_pack.Month.of(timezone.localdate(now))
    reviews = policy.reviews_visible_to(user).filter(
        state__in=reports.SCORED, scored_at__gte=month.start, scored_at__lt=month.end
    )
    actions = reports.corrective_actions_section(month.start, month.end, None)
    return {
        "template": "quality/_dashboard_panel.html",
        "month": month,
        "scores": reports.overall(reviews),
        "open_actions": actions["open"],
        "overdue_actions": actions["overdue"],
        "scores_url": reverse("quality_console:scores"),
        "review_pack_url": reverse("quality_console:review_pack") if policy.can_see_review_pack(user) else "",
    }
