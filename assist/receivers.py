"""The assistant's reaction to the complaint core's signal: one line, queueing its task."""

from typing import Any

from complaints.events import EventKind
from complaints.models import Ticket, TicketEvent

from . import tasks


def suggest_on_open(sender: type, *, ticket: Ticket, event: TicketEvent, **kwargs: Any) -> None:
    """After the opening commits, so the suggestion never delays or breaks the customer's submission."""
    if event.kind == EventKind.OPENED:
        tasks.suggest_for_ticket.delay_on_commit(ticket.pk)
