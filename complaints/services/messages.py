"""Messages on a ticket: the customer's, public replies and internal notes."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from .. import placeholders
from ..attachments import CheckedFile
from ..errors import ComplaintError, IllegalTransition
from ..events import EventKind, SystemReason
from ..models import (
    Message,
)
from ..states import Status
from .lifecycle import move_status
from .opening import store_files
from .timeline import (
    Actor,
    acting_user,
    ensure_current,
    lock_ticket,
    record,
    sanitise,
    save_ticket,
    write_message,
)


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
    """Add a customer message, a public reply or an internal note.

    A customer writing while we await them puts the ticket back in progress; the first
    public reply sets first_response_at and acknowledges a new ticket.
    """
    body = sanitise(body)
    if not body:
        raise ComplaintError(_("The message is empty."))
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        ensure_current(ticket, version)
        if kind != Message.Kind.NOTE and ticket.status == Status.CLOSED and kind == Message.Kind.REPLY:
            raise IllegalTransition(_("This ticket is closed; reopen it before replying to the customer."))
        if kind == Message.Kind.REPLY:
            body = placeholders.fill_for_sending(body, ticket=ticket, agent=actor)
        message = write_message(
            ticket=ticket,
            kind=kind,
            author=acting_user(actor),
            channel=channel or ticket.channel,
            body=body,
            external_id=external_id,
        )
        store_files(ticket, message, files)
        fields: list[str] = []
        if kind == Message.Kind.CUSTOMER:
            record(ticket, actor, EventKind.CUSTOMER_MESSAGE, message_id=message.pk)
            if ticket.status == Status.AWAITING_CUSTOMER:
                fields += move_status(
                    ticket, actor, Status.IN_PROGRESS, because=SystemReason.CUSTOMER_ANSWERED
                )
        elif kind == Message.Kind.REPLY:
            if ticket.first_response_at is None:
                ticket.first_response_at = message.created_at
                fields.append("first_response_at")
            if ticket.status == Status.NEW:
                fields += move_status(ticket, actor, Status.ACKNOWLEDGED, because=SystemReason.FIRST_REPLY)
            record(ticket, actor, EventKind.REPLIED, message_id=message.pk)
        else:
            record(ticket, actor, EventKind.NOTE_ADDED, message_id=message.pk)
        save_ticket(ticket, *fields)
    return message
