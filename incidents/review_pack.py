"""The incidents section of quality's monthly management review pack (registered in apps.ready)."""

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from complaints.models.bilingual import pick

from .models import Incident

TEMPLATE = "quality/pack/_incidents.html"


def pack_section(month: Any) -> dict[str, Any]:
    """Confirmed incidents open at any time in `month` ([month.start, month.end)): how severe, how many
    complaints they drew, and how long they took to resolve."""
    incidents = (
        Incident.objects.filter(confirmed_at__isnull=False, started_at__lt=month.end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=month.start))
        .annotate(tickets=Count("links"))
        .order_by("started_at", "pk")
    )
    rows = []
    for incident in incidents:
        hours = None
        if incident.resolved_at is not None:
            hours = round((incident.resolved_at - incident.started_at).total_seconds() / 3600, 1)
        rows.append(
            {
                "pk": incident.pk,
                "title": pick(incident.title_zh, incident.title_en),
                "severity": incident.get_severity_display(),
                "status": incident.get_status_display(),
                "started_at": incident.started_at,
                "resolved_at": incident.resolved_at,
                "hours_to_resolve": hours,
                "tickets": incident.tickets,
            }
        )
    return {
        "title": _("Major incidents"),
        "template": TEMPLATE,
        "rows": rows,
        "tickets": sum(row["tickets"] for row in rows),
    }
