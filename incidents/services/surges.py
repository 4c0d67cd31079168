"""Surges: bursts of similar (or same-region) new tickets become a suspected incident, once."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from complaints.models import Category, Ticket
from config.celery import queue_after_commit

from .. import matching
from ..models import Incident, IncidentEvent, IncidentLink
from .rules import CHUNK_SIZE, record_event

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Surge:
    category: Category
    tickets: list[Ticket]
    key: str
    region: str = ""


def detect_surges(*, now: datetime | None = None) -> list[Incident]:
    """Turn every burst of similar (or same-region) new tickets into a suspected incident with the
    tickets linked, and notify the supervisors once. Two sweeps that see the same burst compute the
    same surge key; the unique constraint lets one of them create the incident."""
    now = now or timezone.now()
    created: list[Incident] = []
    for surge in matching.find_surges(now=now):
        try:
            with transaction.atomic():
                incident = _incident_for_surge(surge)
        except IntegrityError:
            logger.info("surge %s already has its incident", surge.key)
            continue
        created.append(incident)
        ids = [t.pk for t in surge.tickets]
        for start in range(0, len(ids), CHUNK_SIZE):
            queue_after_commit("incidents.tasks.tell_linked", incident.pk, ids[start : start + CHUNK_SIZE])
    return created


def _incident_for_surge(surge: Surge) -> Incident:
    category = surge.category
    sample = surge.tickets[0]
    with override("zh-hans"):
        title_zh = _("Surge: %(count)s complaints about %(category)s") % {
            "count": len(surge.tickets),
            "category": category.name_zh,
        }
    with override("en"):
        title_en = _("Surge: %(count)s complaints about %(category)s") % {
            "count": len(surge.tickets),
            "category": category.name_en,
        }
    if surge.region:
        title_zh, title_en = f"{title_zh}（{surge.region}）", f"{title_en} ({surge.region})"
    incident = Incident.objects.create(
        title_zh=title_zh,
        title_en=title_en,
        category=category,
        affected_area=surge.region or sample.subject[:200],
        region_tags=[surge.region] if surge.region else [],
        started_at=min(t.created_at for t in surge.tickets),
        owner_team=category.default_team,
        surge_key=surge.key,
    )
    record_event(incident, None, IncidentEvent.Kind.SURGE_DETECTED, count=len(surge.tickets), key=surge.key)
    IncidentLink.objects.bulk_create(
        [IncidentLink(incident=incident, ticket=t, how=IncidentLink.How.SURGE) for t in surge.tickets]
    )
    IncidentEvent.objects.bulk_create(
        [
            IncidentEvent(
                incident=incident,
                kind=IncidentEvent.Kind.LINKED,
                ticket=t,
                detail={"how": "surge", "reference": t.reference},
            )
            for t in surge.tickets
        ]
    )
    queue_after_commit("incidents.tasks.notify_surge", incident.pk)
    return incident
