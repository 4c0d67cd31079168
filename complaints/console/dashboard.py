"""What the supervisor dashboard on the admin index shows, for one user and one period.

Every figure comes from the report functions behind /api/v1/stats/ (complaints.reports and the
sections registered in complaints.extensions), over the tickets the user may see; the page costs
the same number of queries whatever the number of tickets.
"""

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from complaints import extensions, reports, selectors
from complaints.models import Ticket
from complaints.states import OPEN_STATUSES, Status

from .changes import DOWN_IS_GOOD, Change
from .charts import line_chart
from .periods import Period

TOP = 5
OPEN_STATUS_PARAM = ",".join(s.value for s in Status if s in OPEN_STATUSES)


def age_labels() -> dict[str, str]:
    return {
        "lt_1d": _("Under 1 day"),
        "1_3d": _("1–3 days"),
        "3_7d": _("3–7 days"),
        "gt_7d": _("Over 7 days"),
    }


def ticket_list_url(**params: Any) -> str:
    """The ticket changelist filtered with Django's own filter parameters (status__exact, team__id__exact …)."""
    url = reverse("admin:complaints_ticket_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def open_tickets_url(**params: Any) -> str:
    return ticket_list_url(status__in=OPEN_STATUS_PARAM, **params)


def _instant(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(sep=" ")


def _percent(rate: float) -> float:
    return round(100 * rate, 1)


def with_bars(rows: list[dict[str, Any]], key: str = "count") -> list[dict[str, Any]]:
    """Each row with `bar`, its value as a share (0–100) of the largest, for the tiles' inline bars."""
    top = max((row[key] for row in rows), default=0) or 1
    return [{**row, "bar": round(100 * row[key] / top, 1)} for row in rows]


def sla_compliance(overall: list[dict[str, Any]]) -> dict[str, Any]:
    """Met and missed summed over the SLA targets, with the share met (None with nothing decided)."""
    met = sum(row["met"] for row in overall)
    missed = sum(row["missed"] for row in overall)
    return {
        "met": met,
        "missed": missed,
        "compliance": round(100 * met / (met + missed), 1) if met + missed else None,
    }


def build_dashboard(*, user: AbstractBaseUser, period: Period, now: datetime | None = None) -> dict[str, Any]:
    """The dashboard's figures, links and charts for `period` over the tickets `user` may see."""
    now = now or timezone.now()
    visible = selectors.tickets_visible_to(user)
    # Group over plain primary keys: a visibility filter may join memberships.
    tickets = Ticket.objects.filter(pk__in=visible.order_by().values("pk"))
    start, end = period.start, period.end
    period_range = {"created_at__gte": _instant(start), "created_at__lt": _instant(end)}

    volumes = reports.volume_report(tickets=tickets, start=start, end=end)
    previous = period.previous()
    received_before = reports.opened_in(tickets, previous.start, previous.end).count()
    sections = extensions.stats(start, end, tickets)
    today = timezone.localdate(now)
    today_start = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    today_counts = {
        row["channel"]: row["count"]
        for row in reports.counts_by_channel(
            reports.opened_in(tickets, today_start, today_start + timedelta(days=1))
        )
    }

    by_channel = [
        {
            **row,
            "today": today_counts.get(row["channel"], 0),
            "href": ticket_list_url(channel__exact=row["channel"], **period_range),
        }
        for row in volumes["by_channel"]
    ]
    by_day = volumes["by_period"]
    if volumes["bucket"] != "day":
        by_day = reports.counts_by_period(reports.opened_in(tickets, start, end), "day")
    per_day = {row["period"]: row["count"] for row in by_day}
    day_series = [
        (date_format(day, "SHORT_DATE_FORMAT"), per_day.get(day.isoformat(), 0)) for day in period.dates()
    ]

    backlog = reports.backlog(tickets, now)
    labels = age_labels()
    by_status = [
        {**row, "href": open_tickets_url(status__exact=row["status"])} for row in backlog["by_status"]
    ]
    by_age = []
    for row in backlog["by_age"]:
        after, before = reports.age_bucket_bounds(row["age"], now)
        bounds = {}
        if after is not None:
            bounds["created_at__gte"] = _instant(after)
        if before is not None:
            bounds["created_at__lt"] = _instant(before)
        by_age.append({**row, "label": labels[row["age"]], "href": open_tickets_url(**bounds)})

    sla = sections.get("sla", {})
    open_by_state = sla.get("open_by_state", {})
    satisfaction = sections.get("satisfaction", {})
    repeats = volumes["repeats"]

    teams = [
        {
            **row,
            "name": row["name"] or _("Unrouted"),
            "href": open_tickets_url(team__id__exact=row["team_id"])
            if row["team_id"]
            else open_tickets_url(team__isnull="True"),
            "breached_href": open_tickets_url(
                team__id__exact=row["team_id"], sla_state__exact=Ticket.SlaState.BREACHED
            )
            if row["team_id"]
            else "",
        }
        for row in reports.workload_by_team(tickets)
    ]
    agents = [
        {
            **row,
            "href": open_tickets_url(assignee__id__exact=row["assignee_id"]),
            "breached_href": open_tickets_url(
                assignee__id__exact=row["assignee_id"], sla_state__exact=Ticket.SlaState.BREACHED
            ),
        }
        for row in reports.workload_by_agent(tickets)
    ]

    return {
        "period": period,
        "intake": {
            "total": volumes["total"],
            "change": Change(volumes["total"], received_before, better=DOWN_IS_GOOD),
            "previous_label": previous.label,
            "today_total": sum(today_counts.values()),
            "by_channel": with_bars(by_channel),
            "href": ticket_list_url(**period_range),
            "per_day": line_chart(
                chart_id="intake-per-day",
                title=_("Tickets received per day"),
                description=_("Tickets opened on each day of the period."),
                series=day_series,
            ),
            "per_day_rows": day_series,
        },
        "backlog": {
            "total": backlog["total"],
            "href": open_tickets_url(),
            "by_status": with_bars(by_status),
            "by_age": with_bars(by_age),
        },
        "sla": {
            "at_risk": open_by_state.get(Ticket.SlaState.AT_RISK, 0),
            "breached": open_by_state.get(Ticket.SlaState.BREACHED, 0),
            "at_risk_href": open_tickets_url(sla_state__exact=Ticket.SlaState.AT_RISK),
            "breached_href": open_tickets_url(sla_state__exact=Ticket.SlaState.BREACHED),
            "available": "sla" in sections,
            **sla_compliance(sla.get("overall", [])),
        },
        "satisfaction": {
            "available": "satisfaction" in sections,
            "sent": satisfaction.get("sent", 0),
            "answered": satisfaction.get("answered", 0),
            "csat": satisfaction.get("csat"),
            "average_rating": satisfaction.get("average_rating"),
            "response_rate": satisfaction.get("response_rate"),
        },
        "top_categories": with_bars(
            [{**row, "name": row["name"] or _("Uncategorised")} for row in volumes["by_category"][:TOP]]
        ),
        "top_root_causes": with_bars(volumes["remedies"]["by_root_cause"][:TOP]),
        "repeats": {**repeats, "percent": _percent(repeats["rate"])},
        "workload": {"teams": teams, "agents": agents},
        "panels": extensions.dashboard_panels(user, now),
    }
