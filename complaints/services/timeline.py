"""The ticket's timeline and the helpers every service shares: locking, version and status checks,
the one save, recording events, writing messages."""

import nh3
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from ..errors import IllegalTransition, NotFound, StaleVersion
from ..events import EventKind, SystemReason, ticket_event
from ..models import (
    Message,
    Ticket,
    TicketEvent,
)
from ..states import Status, allowed_from, is_allowed

Actor = AbstractBaseUser | None

# The mark that a ticket's SLA summary, set in memory while it is being opened, waits to be
# written with its next save (sla_bookkeeping).
_SLA_SUMMARY_UNSAVED = "_sla_summary_unsaved"


def lock_ticket(ticket_id: int) -> Ticket:
    try:
        return Ticket.objects.select_for_update().get(pk=ticket_id)
    except Ticket.DoesNotExist:
        raise NotFound(_("No such ticket.")) from None


def lock_tickets(*ticket_ids: int) -> list[Ticket]:
    """Lock several tickets, always in primary-key order so two merges cannot deadlock."""
    tickets = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=ticket_ids).order_by("pk")}
    missing = set(ticket_ids) - tickets.keys()
    if missing:
        raise NotFound(_("No such ticket."))
    return [tickets[pk] for pk in ticket_ids]


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
    ticket.version += 1
    if ticket.__dict__.pop(_SLA_SUMMARY_UNSAVED, False):
        fields = (*fields, "sla_state", "sla_due_at")
    ticket.save(update_fields=[*fields, "version", "updated_at"])


def record(
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
    """Append one event to the ticket's timeline and announce it. `reason` is what a person wrote;
    `because` (with its parameters) a reason the system gives, put into words when it is read."""
    event = TicketEvent.objects.create(
        ticket=ticket,
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        from_value="" if before is None else str(before),
        to_value="" if after is None else str(after),
        reason=reason,
        reason_code=because or "",
        reason_params=because_params or {},
        detail=detail,
    )
    ticket_event.send(sender=Ticket, ticket=ticket, event=event)
    if kind in STAFF_NOTIFIED:
        from ..tasks import notify_staff

        notify_staff.delay_on_commit(event.pk)
    return event


def _record_together(ticket: Ticket, actor: Actor, events: list[tuple[EventKind, dict[str, object]]]) -> None:
    """record() for several events that are always written together: one INSERT, then each announced
    in order, as record would. Each entry is (kind, record's keyword arguments)."""
    made = []
    for kind, fields in events:
        detail = dict(fields)
        before, after, reason = detail.pop("before", ""), detail.pop("after", ""), detail.pop("reason", "")
        because, because_params = detail.pop("because", None), detail.pop("because_params", None)
        made.append(
            TicketEvent(
                ticket=ticket,
                actor=actor if actor is not None and actor.is_authenticated else None,
                kind=kind,
                from_value="" if before is None else str(before),
                to_value="" if after is None else str(after),
                reason=reason,
                reason_code=because or "",
                reason_params=because_params or {},
                detail=detail,
            )
        )
    TicketEvent.objects.bulk_create(made)
    for event in made:
        ticket_event.send(sender=Ticket, ticket=ticket, event=event)
        if event.kind in STAFF_NOTIFIED:
            from ..tasks import notify_staff

            notify_staff.delay_on_commit(event.pk)


STAFF_NOTIFIED = frozenset(
    {
        EventKind.ASSIGNED,
        EventKind.ESCALATED,
        EventKind.CUSTOMER_MESSAGE,
        EventKind.DISPUTED,
        EventKind.REROUTE_REQUESTED,
    }
)


def sanitise(text: str) -> str:
    """Strip every HTML tag but harmless formatting; messages are shown to people who did not write them."""
    return nh3.clean(text, tags={"p", "br", "b", "strong", "i", "em", "ul", "ol", "li", "blockquote"}).strip()


def write_message(*, body: str, **fields: object) -> Message:
    """The one place a Message row is written: its body is sanitised here, whatever path built it."""
    return Message.objects.create(body=sanitise(body), **fields)
