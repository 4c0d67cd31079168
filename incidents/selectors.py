"""Every shared read of the incidents app: the lists and the detail page, the ticket's incident for
the API and the workspace, queue badges, the dashboard panel, progress of updates and resolve-all,
the hourly chart and the counts by region, and the known issues the public pages show."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncHour
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from complaints import extensions, policy
from complaints.models import Ticket
from complaints.models.bilingual import pick
from complaints.states import OPEN_STATUSES

from .models import Incident, IncidentDelivery, IncidentEvent, IncidentLink, IncidentStep, IncidentUpdate

PANEL_TEMPLATE = "desk/incidents/_ticket_panel.html"
DASHBOARD_TEMPLATE = "desk/incidents/_dashboard_panel.html"
CHART_HOURS = 24


def incidents() -> QuerySet[Incident]:
    return Incident.objects.select_related("category", "owner_team", "root_cause").annotate(
        ticket_count=Count("links", distinct=True),
        open_ticket_count=Count("links", filter=Q(links__ticket__status__in=OPEN_STATUSES), distinct=True),
    )


def open_incidents() -> QuerySet[Incident]:
    return incidents().exclude(status=Incident.Status.RESOLVED)


def incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "title": incident.title,
        "title_zh": incident.title_zh,
        "title_en": incident.title_en,
        "notice_zh": incident.notice_zh,
        "notice_en": incident.notice_en,
        "status": incident.status,
        "severity": incident.severity,
        "category": incident.category.slug if incident.category_id else None,
        "affected_area": incident.affected_area,
        "region_tags": incident.region_tags,
        "owner_team": incident.owner_team.slug if incident.owner_team_id else None,
        "started_at": incident.started_at.isoformat(),
        "confirmed_at": incident.confirmed_at.isoformat() if incident.confirmed_at else None,
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "root_cause": incident.root_cause.slug if incident.root_cause_id else None,
        "tickets": getattr(incident, "ticket_count", None),
        "open_tickets": getattr(incident, "open_ticket_count", None),
    }


def incident_prefetch() -> Prefetch:
    """The prefetch the ticket JSON's `incident` needs: the link with its incident, one query a page."""
    return Prefetch("incident_link", queryset=IncidentLink.objects.select_related("incident"))


def ticket_incident(ticket: Ticket) -> dict[str, Any] | None:
    """The ticket JSON's `incident` (reads incident_prefetch on lists)."""
    try:
        link = ticket.incident_link
    except IncidentLink.DoesNotExist:
        return None
    incident = link.incident
    return {"id": incident.pk, "title": incident.title, "status": incident.status, "how": link.how}


def linked_tickets(incident: Incident) -> QuerySet[IncidentLink]:
    return (
        IncidentLink.objects.filter(incident=incident)
        .select_related("ticket__team", "ticket__assignee", "ticket__category")
        .order_by("-ticket__created_at", "-pk")
    )


def timeline(incident: Incident) -> QuerySet[IncidentEvent]:
    return incident.events.select_related("actor", "ticket").order_by("-created_at", "-pk")


def updates_with_progress(incident: Incident) -> list[IncidentUpdate]:
    """The incident's updates, newest first, each with `sent` (deliveries so far) and `percent`."""
    updates = list(incident.updates.select_related("author").annotate(sent=Count("deliveries")))
    for update in updates:
        update.percent = 100 if not update.total else min(100, round(100 * update.sent / update.total))
    return updates


def resolve_progress(incident: Incident) -> dict[str, int] | None:
    """Of the tickets open when resolve-all began, how many are no longer open."""
    if incident.status != Incident.Status.RESOLVED or not incident.resolve_total:
        return None
    still_open = IncidentLink.objects.filter(incident=incident, ticket__status__in=OPEN_STATUSES).count()
    done = max(0, incident.resolve_total - still_open)
    return {
        "total": incident.resolve_total,
        "done": done,
        "percent": round(100 * done / incident.resolve_total),
    }


def hourly_counts(
    incident: Incident, *, now: datetime | None = None, hours: int = CHART_HOURS
) -> list[dict[str, Any]]:
    """New tickets per hour in the incident's category over the last `hours` (linked or not), and
    how many of them are linked, for the server-rendered chart."""
    now = now or timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    if incident.category_id:
        tickets = tickets.filter(category_id=incident.category_id)
    else:
        tickets = tickets.filter(incident_link__incident=incident)
    rows = (
        tickets.annotate(hour=TruncHour("created_at"))
        .values("hour")
        .annotate(total=Count("pk"), linked=Count("pk", filter=Q(incident_link__incident=incident)))
        .order_by("hour")
    )
    found = {timezone.localtime(row["hour"]).replace(minute=0, second=0, microsecond=0): row for row in rows}
    bars = []
    for i in range(hours):
        hour = timezone.localtime(start + timedelta(hours=i))
        row = found.get(hour, {})
        bars.append({"hour": hour, "total": row.get("total", 0), "linked": row.get("linked", 0)})
    return bars


def hourly_chart(incident: Incident, *, now: datetime | None = None) -> dict[str, Any]:
    """Bar geometry of the hourly chart (SVG drawn by the template, no script: CSP-safe)."""
    bars = hourly_counts(incident, now=now)
    peak = max([bar["total"] for bar in bars] + [1])
    width, height, gap = 24, 120, 4
    for i, bar in enumerate(bars):
        bar["x"] = i * (width + gap)
        bar["h"] = round(height * bar["total"] / peak)
        bar["y"] = height - bar["h"]
        bar["lh"] = round(height * bar["linked"] / peak)
        bar["ly"] = height - bar["lh"]
        bar["label"] = bar["hour"].strftime("%H")
    return {
        "bars": bars,
        "peak": peak,
        "width": len(bars) * (width + gap),
        "height": height,
        "bar_width": width,
    }


def region_counts(incident: Incident) -> list[dict[str, Any]]:
    """Linked tickets counted by the incident's region tags (a ticket names a tag in its place or text),
    and by the place tickets give when the incident has no tags."""
    links = IncidentLink.objects.filter(incident=incident)
    if incident.region_tags:
        rows = []
        for tag in incident.region_tags:
            match = (
                Q(ticket__location__icontains=tag)
                | Q(ticket__subject__icontains=tag)
                | Q(ticket__description__icontains=tag)
            )
            rows.append({"region": tag, "count": links.filter(match).count()})
        return rows
    return [
        {"region": row["ticket__location"] or _("(no place given)"), "count": row["count"]}
        for row in links.values("ticket__location").annotate(count=Count("pk")).order_by("-count")[:20]
    ]


# The workspace's shared EXISTS (complaints.extensions.load_presence): a ticket without an incident link
# skips the reads of the link for its panel and badge.
PRESENCE = "incidents"


def presence() -> Exists:
    return Exists(IncidentLink.objects.filter(ticket_id=OuterRef("pk")))


def ticket_badges(tickets: list[Ticket]) -> dict[int, list[dict[str, str]]]:
    """A badge on each queue row linked to an open incident, in one query."""
    ids = [ticket.pk for ticket in tickets if extensions.present(ticket, PRESENCE)]
    if not ids:
        return {}
    rows = IncidentLink.objects.filter(ticket_id__in=ids).exclude(incident__status=Incident.Status.RESOLVED)
    return {
        ticket_id: [
            {
                "css": "incident",
                "label": _("Incident #%(id)s") % {"id": incident_id},
                "title": pick(title_zh, title_en),
            }
        ]
        for ticket_id, incident_id, title_zh, title_en in rows.values_list(
            "ticket_id", "incident_id", "incident__title_zh", "incident__title_en"
        )
    }


def ticket_panel(request: Any, ticket: Ticket) -> dict[str, Any] | None:
    """The workspace's incident panel: the ticket's incident, or open incidents to link it to."""
    link = (
        IncidentLink.objects.select_related("incident", "linked_by").filter(ticket=ticket).first()
        if extensions.present(ticket, PRESENCE)
        else None
    )
    may_link = policy.is_staff_agent(request.user) and may_manage(request.user)
    if link is None and not may_link:
        return None
    candidates = []
    if link is None:
        candidates = (
            list(open_incidents().filter(category_id=ticket.category_id)[:5]) if ticket.category_id else []
        )
        if not candidates:
            return None
    return {"template": PANEL_TEMPLATE, "link": link, "candidates": candidates, "may_link": may_link}


def may_manage(user: Any) -> bool:
    from .services import ensure_may_manage

    try:
        ensure_may_manage(user)
    except policy.NotPermitted:
        return False
    return True


# How far back the dashboard lists the surges the sweep detected.
SURGE_DAYS = 7


def latest_surges(*, now: datetime, limit: int = 5) -> list[Incident]:
    """The incidents the surge sweep opened in the last SURGE_DAYS, newest first, whatever became of them."""
    return list(
        incidents()
        .filter(surge_key__isnull=False, created_at__gte=now - timedelta(days=SURGE_DAYS))
        .order_by("-created_at", "-pk")[:limit]
    )


def dashboard_panel(user: Any, now: datetime) -> dict[str, Any] | None:
    """Open incidents and the latest surges (suspected incidents the sweep opened) on the dashboard."""
    shown = list(open_incidents().order_by("severity", "-started_at")[:10])
    surges = latest_surges(now=now)
    if not shown and not surges:
        return None
    return {
        "template": DASHBOARD_TEMPLATE,
        "incidents": shown,
        "surges": surges,
        "list_url": reverse("incidents:list"),
    }


def known_issues() -> list[Incident]:
    """Confirmed or mitigated incidents with a public notice, for the banner on the public pages."""
    return list(
        Incident.objects.filter(status__in=[Incident.Status.CONFIRMED, Incident.Status.MITIGATED])
        .exclude(notice_zh="", notice_en="")
        .select_related("category")
        .order_by("severity", "-started_at")[:5]
    )


def acknowledgement_extras(ticket: Ticket) -> dict[str, Any]:
    """For the customer's acknowledgement (complaints.extensions): the announced incident the new ticket
    joined on opening, its title and public notice in the language the acknowledgement is written in."""
    link = (
        IncidentLink.objects.filter(
            ticket_id=ticket.pk, incident__status__in=[Incident.Status.CONFIRMED, Incident.Status.MITIGATED]
        )
        .select_related("incident")
        .first()
    )
    if link is None:
        return {}
    incident, language = link.incident, get_language() or ticket.language or "zh-hans"
    notice = incident.notice_in(language)
    if not notice:
        return {}
    zh = language.startswith("zh")
    title = (incident.title_zh or incident.title_en) if zh else (incident.title_en or incident.title_zh)
    return {"known_issue": {"title": title, "notice": notice}}


def delivered_to(update: IncidentUpdate) -> QuerySet[IncidentDelivery]:
    return update.deliveries.all()


def plan_steps(incident: Incident) -> QuerySet[IncidentStep]:
    """The incident's emergency-plan checklist in order, each with `is_overdue` for the page."""
    return (
        IncidentStep.objects.filter(incident=incident)
        .select_related("owner_team", "done_by")
        .annotate(is_overdue=Q(done_at__isnull=True, due_at__lt=timezone.now()))
        .order_by("position", "pk")
    )
