"""Reactions of the intake channels to ticket events: answering the customer on their channel."""

from collections.abc import Sequence

from complaints.events import EventKind
from complaints.models import Ticket, TicketEvent

from . import outbound, privacy

# Status changes a customer on WeChat or an app's callback is told of (a resolution has its own notice).
STATUS_UPDATE_KINDS = (
    EventKind.ACKNOWLEDGED,
    EventKind.STATUS_CHANGED,
    EventKind.REOPENED,
    EventKind.AUTO_CLOSED,
)


def on_ticket_event(sender: type, *, ticket: Ticket, event: TicketEvent, **kwargs: object) -> None:
    """Acknowledge new tickets and folded repeats, and send status updates to customers on WeChat or an
    app's callback (public replies and resolutions go per batch: on_events_recorded)."""
    if event.kind in (EventKind.OPENED, EventKind.REPEAT_FOLDED):
        outbound.queue_acknowledgement(ticket=ticket, event=event)
    elif event.kind in STATUS_UPDATE_KINDS:
        outbound.queue_status_update(ticket=ticket, event=event)


def on_events_recorded(sender: type, *, events: Sequence[TicketEvent], **kwargs: object) -> None:
    """Public replies and resolution notices, for the whole batch at once (an incident's update to
    every linked ticket, its resolve-all): one query and one INSERT, not one each per ticket."""
    if any(event.kind in (EventKind.REPLIED, EventKind.RESOLVED) for event in events):
        outbound.queue_replies_and_resolutions(events=events)


def on_customer_erased(
    sender: type,
    *,
    customer_id: int,
    ticket_ids: list[int],
    email_index: str,
    phone_index: str,
    **kwargs: object,
) -> None:
    privacy.forget_customer(
        customer_id=customer_id, ticket_ids=ticket_ids, email_index=email_index, phone_index=phone_index
    )


def on_tickets_anonymised(sender: type, *, ticket_ids: list[int], **kwargs: object) -> None:
    privacy.forget_tickets(ticket_ids=ticket_ids)
