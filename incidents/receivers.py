"""The incidents app's reactions to the complaint core's signal: one line each, calling a service."""

from typing import Any

from complaints.events import EventKind
from complaints.models import Ticket, TicketEvent

from . import services


def link_new_ticket(sender: type, *, ticket: Ticket, event: TicketEvent, **kwargs: Any) -> None:
    """Inside the opening transaction: the link is written with the ticket or not at all."""
    if event.kind == EventKind.OPENED:
        services.link_on_open(ticket=ticket)


def unlink_still_broken(sender: type, *, ticket: Ticket, event: TicketEvent, **kwargs: Any) -> None:
    if event.kind in (EventKind.DISPUTED, EventKind.REOPENED):
        services.unlink_if_still_broken(ticket=ticket)
