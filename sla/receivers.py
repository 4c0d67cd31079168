"""The sla app's reactions to the complaint core's signals: one line each, calling a service."""

from collections.abc import Iterable
from typing import Any

from complaints.models import Ticket, TicketEvent

from . import services


def move_clocks(sender: type, *, ticket: Ticket, event: TicketEvent, **kwargs: Any) -> None:
    """Sent inside the service's transaction: the clocks change with the ticket or not at all."""
    services.handle_ticket_event(ticket=ticket, event=event)


def build_clocks_for_loaded(sender: type, *, ticket_ids: Iterable[int], **kwargs: Any) -> None:
    services.create_clocks_for_loaded(ticket_ids=ticket_ids)
