"""Reactions to the complaint core's `ticket_event`: schedule on resolution, cancel when it no longer stands."""

from typing import Any

from django.utils.translation import gettext as _

from complaints.events import EventKind
from complaints.models import Ticket, TicketEvent

from . import privacy, services


def on_ticket_event(sender: Any, *, ticket: Ticket, event: TicketEvent, **kwargs: Any) -> None:
    """Runs inside the service's transaction, so a rolled-back resolution schedules nothing."""
    if event.kind == EventKind.RESOLVED:
        services.schedule_survey(ticket_id=ticket.pk, resolution_id=event.detail["resolution_id"])
    elif event.kind in (EventKind.REOPENED, EventKind.MERGED):
        services.cancel_pending_surveys(
            ticket_id=ticket.pk, reason=_("The ticket was reopened or merged before the survey went out.")
        )


def on_tickets_anonymised(sender: Any, *, ticket_ids: list[int], **kwargs: Any) -> None:
    """Also sent for every ticket of an erased customer, so it covers erasure too."""
    privacy.forget_tickets(ticket_ids=ticket_ids)
