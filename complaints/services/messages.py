"""Messages on a ticket: the customer's, public replies and internal notes, one or many at once."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from .. import placeholders
from ..attachments import CheckedFile
from ..errors import ComplaintError, IllegalTransition
from ..events import EventKind, SystemReason
from ..models import (
    Message,
    Ticket,
    TicketEvent,
)
from ..states import Status
from .lifecycle import status_move
from .opening import store_files
from .timeline import (
    Actor,
    acting_user,
    build_event,
    ensure_current,
    locked_or_lock,
    record_many,
    sanitise,
    save_tickets,
    with_customers,
    write_messages,
)


@dataclass(frozen=True)
class NewMessage:
    """One message for add_messages: what add_message takes, per message."""

    ticket_id: int
    kind: str
    body: str
    channel: str | None = None
    version: int | None = None
    files: Sequence[CheckedFile] = ()
    external_id: str = ""


def add_message(
    *,
    ticket_id: int,
    actor: Actor,
    kind: str,
    body: str,
    channel: str | None = None,
    version: int | None = None,
    files: Iterable[CheckedFile] = (),
    external_id: str = "",
) -> Message:
    """Add a customer message, a public reply or an internal note: add_messages with one message.

    A customer writing while we await them puts the ticket back in progress; the first
    public reply sets first_response_at and acknowledges a new ticket.
    """
    new = NewMessage(
        ticket_id=ticket_id,
        kind=kind,
        body=body,
        channel=channel,
        version=version,
        files=tuple(files),
        external_id=external_id,
    )
    return add_messages(actor=actor, messages=[new])[0]


def add_messages(
    *, actor: Actor, messages: Sequence[NewMessage], locked: dict[int, Ticket] | None = None
) -> list[Message]:
    """Add many messages by one actor (an incident's update to every linked ticket, a live chat's
    batch) in one transaction, all or none: the tickets locked once in primary-key order, the
    messages and their events inserted in one statement each, the tickets saved in one UPDATE
    (a ticket with several messages in the batch is saved, and its version moved, once). Each
    message does what add_message does for it, in the order given; `ticket_event` is sent for each
    event as before. `locked`: tickets the caller already locked in its transaction.

    Refuses (ComplaintError) the whole batch if any message is empty, stale or refused.
    """
    bodies = [sanitise(new.body) for new in messages]
    if not all(bodies):
        raise ComplaintError(_("The message is empty."))
    if not messages:
        return []
    author = acting_user(actor)
    with transaction.atomic():
        tickets = with_customers(locked_or_lock(locked, {new.ticket_id for new in messages}))
        rows: list[Message] = []
        for new, body in zip(messages, bodies, strict=True):
            ticket = tickets[new.ticket_id]
            ensure_current(ticket, new.version)
            if new.kind == Message.Kind.REPLY:
                if ticket.status == Status.CLOSED:
                    raise IllegalTransition(
                        _("This ticket is closed; reopen it before replying to the customer.")
                    )
                body = placeholders.fill_for_sending(body, ticket=ticket, agent=actor)
            rows.append(
                Message(
                    ticket=ticket,
                    kind=new.kind,
                    author=author,
                    channel=new.channel or ticket.channel,
                    body=body,
                    external_id=new.external_id,
                )
            )
        write_messages(rows)
        events: list[TicketEvent] = []
        changed: dict[int, list[str]] = {}
        for new, message in zip(messages, rows, strict=True):
            ticket = message.ticket
            store_files(ticket, message, new.files)
            fields = changed.setdefault(ticket.pk, [])
            events += _events_of(ticket, actor, message, fields)
        record_many(events)
        save_tickets([(tickets[pk], fields) for pk, fields in changed.items()])
    return rows


def _events_of(ticket: Ticket, actor: Actor, message: Message, fields: list[str]) -> list[TicketEvent]:
    """The events one message puts on its ticket's timeline, its changes made in memory (and their
    fields added to `fields`), in add_message's order."""
    if message.kind == Message.Kind.CUSTOMER:
        events = [build_event(ticket, actor, EventKind.CUSTOMER_MESSAGE, message_id=message.pk)]
        if ticket.status == Status.AWAITING_CUSTOMER:
            moved, event = status_move(
                ticket, actor, Status.IN_PROGRESS, because=SystemReason.CUSTOMER_ANSWERED
            )
            fields += moved
            events.append(event)
        return events
    if message.kind == Message.Kind.REPLY:
        events = []
        if ticket.first_response_at is None:
            ticket.first_response_at = message.created_at
            fields.append("first_response_at")
        if ticket.status == Status.NEW:
            moved, event = status_move(ticket, actor, Status.ACKNOWLEDGED, because=SystemReason.FIRST_REPLY)
            fields += moved
            events.append(event)
        return [*events, build_event(ticket, actor, EventKind.REPLIED, message_id=message.pk)]
    return [build_event(ticket, actor, EventKind.NOTE_ADDED, message_id=message.pk)]
