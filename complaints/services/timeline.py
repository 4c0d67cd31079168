"""The ticket's timeline and the helpers every service shares: locking, version and status checks,
the one save, recording events, writing messages."""

from collections.abc import Sequence

import nh3
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from ..bulk_update import update_by_pk
from ..errors import IllegalTransition, NotFound, StaleVersion
from ..events import CodedReason, EventKind, SystemReason, events_recorded, ticket_event
from ..models import (
    Message,
    Ticket,
    TicketEvent,
)
from ..states import Status, allowed_from, is_allowed

Actor = AbstractBaseUser | None


def lock_ticket(ticket_id: int) -> Ticket:
    try:
        return Ticket.objects.select_for_update().get(pk=ticket_id)
    except Ticket.DoesNotExist:
        raise NotFound(_("No such ticket.")) from None


def lock_tickets(*ticket_ids: int, skip_missing: bool = False, skip_locked: bool = False) -> list[Ticket]:
    """Lock several tickets in one query, always in primary-key order, so two services locking the same
    tickets (two opposite merges) cannot deadlock. Returned in the order asked.

    A missing ticket raises NotFound unless `skip_missing`; `skip_locked` (for sweeps) leaves out the
    tickets another transaction holds instead of waiting for them, and implies `skip_missing`.
    """
    query = Ticket.objects.select_for_update(skip_locked=skip_locked).filter(pk__in=ticket_ids).order_by("pk")
    tickets = {ticket.pk: ticket for ticket in query}
    if not (skip_missing or skip_locked) and set(ticket_ids) - tickets.keys():
        raise NotFound(_("No such ticket."))
    return [tickets[pk] for pk in ticket_ids if pk in tickets]


def locked_or_lock(
    locked: dict[int, Ticket] | None, ticket_ids: set[int], *, skip_missing: bool = False
) -> dict[int, Ticket]:
    """The tickets by id: those the caller already locked in its transaction as they are (a sweep
    locks its batch once), the rest locked now (lock_tickets)."""
    locked = locked or {}
    if locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("tickets passed as locked outside a transaction")
    tickets = {pk: locked[pk] for pk in ticket_ids if pk in locked}
    missing = sorted(ticket_ids - tickets.keys())
    if missing:
        tickets.update((ticket.pk, ticket) for ticket in lock_tickets(*missing, skip_missing=skip_missing))
    return tickets


def with_customers(tickets: dict[int, Ticket]) -> dict[int, Ticket]:
    """Load the customers of a batch of tickets in one query (the reactions to a batch's events reach
    every ticket's customer: the reply's route, the survey); one ticket loads its own when needed."""
    if len(tickets) > 1:
        prefetch_related_objects(
            [t for t in tickets.values() if not Ticket.customer.is_cached(t)], "customer"
        )
    return tickets


def ensure_current(ticket: Ticket, version: int | None) -> None:
    """Refuse a change based on an older version; None is for system actors that do not read first."""
    if version is not None and int(version) != ticket.version:
        raise StaleVersion(current=ticket.version, given=int(version))


def ensure_allowed(ticket: Ticket, to: str) -> None:
    if not is_allowed(ticket.status, to):
        allowed = ", ".join(str(Status(s).label) for s in allowed_from(ticket.status))
        raise IllegalTransition(
            _("A ticket that is %(current)s cannot become %(target)s. From here it can become: %(allowed)s.")
            % {"current": Status(ticket.status).label, "target": Status(to).label, "allowed": allowed},
            current=ticket.status,
            allowed=allowed_from(ticket.status),
        )


def save_ticket(ticket: Ticket, *fields: str) -> None:
    """Save the changed fields with the next version: every agent's open form of the ticket goes stale."""
    ticket.version += 1
    ticket.save(update_fields=[*fields, "version", "updated_at"])


def save_tickets(changes: Sequence[tuple[Ticket, Sequence[str]]]) -> None:
    """save_ticket for many locked tickets at once: each with the next version, in one UPDATE per
    chunk (update_by_pk) writing the union of the changed fields (the others hold what each locked
    row already has). One ticket is saved as save_ticket saves it."""
    if len(changes) == 1:
        save_ticket(changes[0][0], *changes[0][1])
        return
    if not changes:
        return
    now = timezone.now()
    fields = list(dict.fromkeys(field for _ticket, changed in changes for field in changed))
    fields += ["version", "updated_at"]
    for ticket, _changed in changes:
        ticket.version += 1
        ticket.updated_at = now
    update_by_pk(
        Ticket,
        fields,
        [(ticket.pk, *(getattr(ticket, field) for field in fields)) for ticket, _changed in changes],
    )


def acting_user(actor: Actor) -> AbstractBaseUser | None:
    """The user to store as having acted: None for the system and for anonymous customers."""
    return actor if actor is not None and actor.is_authenticated else None


def build_event(
    ticket: Ticket,
    actor: Actor,
    kind: EventKind,
    *,
    before: object = "",
    after: object = "",
    reason: str = "",
    because: SystemReason | None = None,
    because_params: dict[str, object] | None = None,
    **detail: object,
) -> TicketEvent:
    """One unsaved event row: the only code that builds TicketEvent rows. `reason` is what a person
    wrote; `because` (with its parameters) a reason the system gives, put into words when it is read
    (also given as a CodedReason in `reason`)."""
    if isinstance(reason, CodedReason):
        reason, because, because_params = "", reason.code, reason.params
    return TicketEvent(
        ticket=ticket,
        actor=acting_user(actor),
        kind=kind,
        from_value="" if before is None else str(before),
        to_value="" if after is None else str(after),
        reason=reason,
        reason_code=because or "",
        reason_params=because_params or {},
        detail=detail,
    )


def record_many(events: list[TicketEvent]) -> list[TicketEvent]:
    """Append built events (build_event) to their tickets' timelines in one INSERT, then announce each
    in order with `ticket_event`, and the batch with `events_recorded` (staff mail is queued there)."""
    if not events:
        return []
    TicketEvent.objects.bulk_create(events)
    for event in events:
        ticket_event.send(sender=Ticket, ticket=event.ticket, event=event)
    events_recorded.send(sender=Ticket, events=events)
    return events


def record(ticket: Ticket, actor: Actor, kind: EventKind, **fields: object) -> TicketEvent:
    """Append one event to the ticket's timeline and announce it: record_many with one event.
    Takes build_event's keyword arguments."""
    return record_many([build_event(ticket, actor, kind, **fields)])[0]


def sanitise(text: str) -> str:
    """Strip every HTML tag but harmless formatting; messages are shown to people who did not write them."""
    return nh3.clean(text, tags={"p", "br", "b", "strong", "i", "em", "ul", "ol", "li", "blockquote"}).strip()


def write_message(*, body: str, **fields: object) -> Message:
    """Write one Message row: write_messages with one message."""
    return write_messages([Message(body=body, **fields)])[0]


def write_messages(messages: list[Message]) -> list[Message]:
    """The one place Message rows are written (one INSERT): their bodies are sanitised here, whatever
    path built them."""
    for message in messages:
        message.body = sanitise(message.body)
    if len(messages) == 1:
        messages[0].save(force_insert=True)
    else:
        Message.objects.bulk_create(messages)
    return messages
