"""The per-incident report: what the incident cost and how fast the desk was, on its page and as CSV.

Reads only. Figures count every linked ticket; the CSV's rows are the tickets the reader may see.
"""

from datetime import timedelta
from statistics import median
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import exports, extensions
from complaints import selectors as core_selectors
from complaints.models import Ticket
from complaints.states import OPEN_STATUSES

from . import selectors
from .models import Incident, IncidentDelivery, IncidentLink


def _minutes(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0) / 60


def _summary(values: list[float]) -> dict[str, float | None]:
    """Median and the slowest, rounded for the page (None without any value)."""
    if not values:
        return {"median": None, "max": None}
    return {"median": round(median(values), 1), "max": round(max(values), 1)}


def incident_report(incident: Incident) -> dict[str, Any]:
    """Affected tickets (by channel and region), time from a ticket's opening to its link (minutes) and
    to its resolution (hours), how many customers the public updates reached, and the satisfaction
    surveys of the linked tickets (the feedback app's figures, when it is installed)."""
    links = IncidentLink.objects.filter(incident=incident)
    channels = dict(Ticket.Channel.choices)
    by_channel = [
        {
            "channel": row["ticket__channel"],
            "label": channels.get(row["ticket__channel"], row["ticket__channel"]),
        }
        | {"count": row["count"]}
        for row in links.values("ticket__channel")
        .annotate(count=Count("pk"))
        .order_by("-count", "ticket__channel")
    ]
    to_link, to_resolve = [], []
    for created, linked, resolved in links.values_list(
        "ticket__created_at", "linked_at", "ticket__resolved_at"
    ):
        to_link.append(_minutes(linked - created))
        if resolved is not None:
            to_resolve.append(_minutes(resolved - created) / 60)
    told = (
        IncidentDelivery.objects.filter(update__incident=incident)
        .values("ticket__customer_id")
        .distinct()
        .count()
    )
    satisfaction = None
    section = extensions.STATS_SECTIONS.get("satisfaction")  # feedback's, when installed
    if section is not None:
        figures = section(
            incident.started_at, timezone.now(), Ticket.objects.filter(incident_link__incident=incident)
        )
        satisfaction = {
            "sent": figures.get("sent", 0),
            "answered": figures.get("answered", 0),
            "percent": figures.get("csat"),  # already a percentage, None before any answer
        }
    return {
        "satisfaction": satisfaction,
        "affected": len(to_link),
        "open": links.filter(ticket__status__in=OPEN_STATUSES).count(),
        "resolved": len(to_resolve),
        "by_channel": by_channel,
        "by_region": selectors.region_counts(incident),
        "minutes_to_link": _summary(to_link),
        "hours_to_resolve": _summary(to_resolve),
        "customers_told": told,
        "updates": incident.updates.count(),
    }


def report_headers() -> list[str]:
    return [
        _("Reference"),
        _("Channel"),
        _("Place"),
        _("Opened"),
        _("Linked"),
        _("How linked"),
        _("Minutes to link"),
        _("Status"),
        _("Resolved"),
        _("Hours to resolve"),
        _("Updates received"),
        _("Remedy"),
        _("Amount"),
    ]


def report_rows(incident: Incident, tickets: Any):
    """One row per linked ticket among `tickets` (those the reader may see), oldest first."""
    told = dict(
        IncidentDelivery.objects.filter(update__incident=incident)
        .values("ticket_id")
        .annotate(count=Count("pk"))
        .values_list("ticket_id", "count")
    )
    links = (
        IncidentLink.objects.filter(incident=incident, ticket__in=tickets)
        .select_related("ticket")
        .order_by("ticket__created_at", "ticket_id")
    )
    for link in links.iterator(chunk_size=2000):
        ticket = link.ticket
        resolved = ticket.resolved_at
        yield [
            ticket.reference,
            ticket.get_channel_display(),
            ticket.location,
            ticket.created_at,
            link.linked_at,
            link.get_how_display(),
            round(_minutes(link.linked_at - ticket.created_at), 1),
            ticket.get_status_display(),
            resolved or "",
            round(_minutes(resolved - ticket.created_at) / 60, 2) if resolved else "",
            told.get(ticket.pk, 0),
            link.get_remedy_display(),
            link.amount,
        ]


def export_response(*, user: AbstractBaseUser, incident: Incident) -> HttpResponse:
    """The report's rows as CSV (UTF-8 with BOM), recorded as an export (complaints.exports)."""
    return exports.export_response(
        user=user,
        subject=f"incident:{incident.pk}",
        filters={"incident": incident.pk},
        headers=report_headers(),
        rows=report_rows(incident, core_selectors.tickets_visible_to(user)),
        file_format="csv",
        filename=f"incident-{incident.pk}-report",
    )
