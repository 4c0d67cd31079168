"""Reactions to the complaint core's events: schedule on resolution, cancel when it no longer stands."""

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from complaints.events import EventKind
from complaints.models import Ticket, TicketEvent

from . import privacy, scheduling, services


def on_events_recorded(sender: Any, *, events: Sequence[TicketEvent], **kwargs: Any) -> None:
    """The batch's resolutions (one, or an incident's resolve-all) scheduled together, inside the
    service's transaction, so a rolled-back resolution schedules nothing."""
    resolved = [(e.ticket_id, e.detail["resolution_id"]) for e in events if e.kind == EventKind.RESOLVED]
    if resolved:
        scheduling.schedule_surveys(resolutions=resolved)


def on_ticket_event(sender: Any, *, ticket: Ticket, event: TicketEvent, **kwargs: Any) -> None:
    if event.kind in (EventKind.REOPENED, EventKind.MERGED):
        services.cancel_pending_surveys(
            ticket_id=ticket.pk, reason=_("The ticket was reopened or merged before the survey went out.")
        )


def on_tickets_anonymised(sender: Any, *, ticket_ids: list[int], **kwargs: Any) -> None:
    """Also sent for every ticket of an erased customer, so it covers erasure too."""
    privacy.forget_tickets(ticket_ids=ticket_ids)
