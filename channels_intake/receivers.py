"""Reactions of the intake channels to ticket events: answering the customer on their channel."""

from complaints.events import EventKind
from complaints.models import Ticket, TicketEvent

from . import outbound


def on_ticket_event(sender: type, *, ticket: Ticket, event: TicketEvent, **kwargs: object) -> None:
    """Acknowledge new tickets and folded repeats; send public replies. Internal notes are never sent."""
    if event.kind in (EventKind.OPENED, EventKind.REPEAT_FOLDED):
        outbound.queue_acknowledgement(ticket=ticket, event=event)
    elif event.kind == EventKind.REPLIED:
        outbound.queue_reply(ticket=ticket, event=event)
