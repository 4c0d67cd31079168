"""Resolve all: the incident resolved, then every open linked ticket in chunks, each with the incident's
root cause and steps and its own remedy."""

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from complaints import services as complaint_services
from complaints.errors import ComplaintError
from complaints.models import RootCause
from complaints.states import OPEN_STATUSES
from config.celery import queue_after_commit

from ..models import Incident, IncidentLink
from .lifecycle import move
from .rules import CHUNK_SIZE, IncidentError, acting, ensure_may_manage, lock_incident, open_linked_ticket_ids

logger = logging.getLogger(__name__)


def resolve_incident(
    *, incident_id: int, actor: Any, root_cause: RootCause, steps_taken: str, note: str = ""
) -> Incident:
    """Resolve the incident and then, in chunks after commit, every open linked ticket with the incident's
    root cause and steps and the ticket's own remedy. Resolving twice is refused (409)."""
    ensure_may_manage(actor)
    steps_taken = complaint_services.sanitise(steps_taken)
    if root_cause is None:
        raise IncidentError(_("Choose the root cause."))
    if not steps_taken:
        raise IncidentError(_("Describe the steps taken to resolve the incident."))
    with transaction.atomic():
        incident = lock_incident(incident_id)
        ids = open_linked_ticket_ids(incident)
        incident.root_cause, incident.steps_taken, incident.resolve_total = root_cause, steps_taken, len(ids)
        move(
            incident,
            actor,
            Incident.Status.RESOLVED,
            note=note,
            root_cause=root_cause.slug,
            tickets=len(ids),
            extra_fields=["root_cause", "steps_taken", "resolve_total"],
        )
        actor_id = acting(actor).pk if acting(actor) else None
        for start in range(0, len(ids), CHUNK_SIZE):
            queue_after_commit(
                "incidents.tasks.resolve_linked", incident.pk, ids[start : start + CHUNK_SIZE], actor_id
            )
    return incident


def resolve_linked(*, incident_id: int, ticket_ids: list[int], actor: Any) -> int:
    """Resolve each still-open linked ticket through the core's resolve_many (its clock, its survey,
    its own remedy); returns how many were resolved. A ticket already resolved, or unlinked meanwhile,
    is skipped, so a second run does nothing. A chunk the core refuses as a whole (one ticket's remedy
    refused) is resolved ticket by ticket instead, so the others are not held back."""
    incident = Incident.objects.select_related("root_cause").get(pk=incident_id)
    try:
        return _resolve(incident, ticket_ids, actor)
    except ComplaintError as refused:
        if len(ticket_ids) == 1:
            logger.info(
                "incident %s: ticket %s not resolved: %s", incident_id, ticket_ids[0], refused.message
            )
            return 0
    return sum(resolve_linked(incident_id=incident_id, ticket_ids=[pk], actor=actor) for pk in ticket_ids)


def _resolve(incident: Incident, ticket_ids: list[int], actor: Any) -> int:
    with transaction.atomic():
        tickets = complaint_services.lock_tickets(*sorted(set(ticket_ids)), skip_missing=True)
        links = {
            link.ticket_id: link
            for link in IncidentLink.objects.filter(
                incident=incident, ticket_id__in=[t.pk for t in tickets]
            ).only("ticket_id", "remedy", "amount")
        }
        due = [t for t in tickets if t.pk in links and t.status in OPEN_STATUSES]
        results = complaint_services.resolve_many(
            actor=actor,
            resolutions=[
                complaint_services.NewResolution(
                    ticket_id=t.pk,
                    root_cause=incident.root_cause,
                    steps_taken=incident.steps_taken,
                    remedy=links[t.pk].remedy,
                    amount=links[t.pk].amount,
                )
                for t in due
            ],
            locked={t.pk: t for t in due},
        )
    for ticket, resolution in zip(due, results, strict=True):
        if resolution is None:  # its remedy awaits approval (remedies): resolved once approved
            logger.info("incident %s: ticket %s held for the remedy's approval", incident.pk, ticket.pk)
    return sum(1 for resolution in results if resolution is not None)
