"""Which tickets belong together: bursts of similar or same-region new tickets (surges), and the
open incident a new ticket matches. Reads only; services.py writes what these find.

Similarity is the repeat detector's (complaints.repeats.similarity), here across customers.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Q

from complaints.models import Category, Ticket
from complaints.repeats import similarity

from .models import (
    DEFAULT_MIN_TICKETS,
    DEFAULT_SIMILARITY,
    DEFAULT_WINDOW_MINUTES,
    Incident,
    IncidentLink,
    SurgeThreshold,
)

if TYPE_CHECKING:
    from .services import Surge

# How many of an incident's latest linked tickets a new ticket is compared with.
LINKED_SAMPLE = 5


def _text(ticket: Ticket) -> str:
    return f"{ticket.subject}\n{ticket.description}"


def threshold_for(category_id: int | None, thresholds: dict[int, SurgeThreshold]) -> tuple[int, int, float]:
    """(min_tickets, window_minutes, similarity) for the category: its own row, else the defaults."""
    row = thresholds.get(category_id) if category_id is not None else None
    if row is None:
        return DEFAULT_MIN_TICKETS, DEFAULT_WINDOW_MINUTES, DEFAULT_SIMILARITY
    return row.min_tickets, row.window_minutes, row.similarity


def _thresholds() -> dict[int, SurgeThreshold]:
    return {row.category_id: row for row in SurgeThreshold.objects.all()}


def _clusters(tickets: list[Ticket], cutoff: float) -> list[list[Ticket]]:
    """Greedy clusters in arrival order: a ticket joins the first cluster whose seed it resembles."""
    clusters: list[list[Ticket]] = []
    for ticket in tickets:
        text = _text(ticket)
        for cluster in clusters:
            if similarity(text, _text(cluster[0])) >= cutoff:
                cluster.append(ticket)
                break
        else:
            clusters.append([ticket])
    return clusters


def find_surges(*, now: datetime) -> list["Surge"]:
    """Every group of more than N unlinked new tickets within M minutes in one category that share a
    region (the place they give) or resemble each other. The key names the group by its first ticket,
    so two sweeps looking at the same burst name it the same."""
    from .services import Surge

    thresholds = _thresholds()
    inactive = {pk for pk, row in thresholds.items() if not row.is_active}
    longest = max([DEFAULT_WINDOW_MINUTES, *(row.window_minutes for row in thresholds.values())])
    recent = (
        Ticket.objects.filter(
            created_at__gte=now - timedelta(minutes=longest),
            created_at__lte=now,
            category__isnull=False,
            is_spam=False,
            duplicate_of__isnull=True,
            incident_link__isnull=True,
        )
        .exclude(category_id__in=inactive)
        .only("pk", "reference", "category_id", "subject", "description", "location", "created_at")
        .order_by("created_at", "pk")
    )
    by_category: dict[int, list[Ticket]] = {}
    for ticket in recent:
        by_category.setdefault(ticket.category_id, []).append(ticket)
    categories = Category.objects.in_bulk(list(by_category)) if by_category else {}
    surges: list[Surge] = []
    for category_id, tickets in by_category.items():
        minimum, window, cutoff = threshold_for(category_id, thresholds)
        tickets = [t for t in tickets if t.created_at >= now - timedelta(minutes=window)]
        if len(tickets) <= minimum:
            continue
        category = categories[category_id]
        taken: set[int] = set()
        by_region: dict[str, list[Ticket]] = {}
        for ticket in tickets:
            if ticket.location.strip():
                by_region.setdefault(ticket.location.strip(), []).append(ticket)
        for region, group in by_region.items():
            if len(group) > minimum:
                surges.append(Surge(category, group, f"surge:{category_id}:{group[0].pk}", region=region))
                taken.update(t.pk for t in group)
        rest = [t for t in tickets if t.pk not in taken]
        for cluster in _clusters(rest, cutoff):
            if len(cluster) > minimum:
                surges.append(Surge(category, cluster, f"surge:{category_id}:{cluster[0].pk}"))
    return surges


def incident_for_new_ticket(ticket: Ticket) -> Incident | None:
    """The open incident of the ticket's category that the ticket matches: it names one of the incident's
    regions, or it resembles the incident's text or one of its latest linked tickets."""
    if ticket.category_id is None:
        return None
    # One query for a ticket opened while nothing is going on: the incident's category is the
    # ticket's or its parent (an incident filed under the parent covers its children).
    incidents = list(
        Incident.objects.filter(
            Q(category_id=ticket.category_id) | Q(category__children__id=ticket.category_id)
        )
        .exclude(status=Incident.Status.RESOLVED)
        .distinct()
        .order_by("-started_at")
    )
    if not incidents:
        return None
    _minimum, _window, cutoff = threshold_for(ticket.category_id, _thresholds())
    text = _text(ticket)
    place = f"{ticket.location}\n{text}"
    best: tuple[float, Incident] | None = None
    for incident in incidents:
        if any(tag and tag in place for tag in incident.region_tags):
            return incident
        candidates = [
            f"{incident.title_zh}\n{incident.title_en}\n{incident.notice_zh}\n{incident.notice_en}\n{incident.affected_area}"
        ]
        candidates += [
            f"{subject}\n{description}"
            for subject, description in IncidentLink.objects.filter(incident=incident)
            .order_by("-linked_at")
            .values_list("ticket__subject", "ticket__description")[:LINKED_SAMPLE]
        ]
        score = max(similarity(text, candidate) for candidate in candidates)
        if score >= cutoff and (best is None or score > best[0]):
            best = (score, incident)
    return best[1] if best else None
