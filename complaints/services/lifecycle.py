"""Status changes: transition, acknowledge, await the customer, reopen, resolve, the customer's
confirmation or dispute, auto-close and spam."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import extensions, policy
from ..errors import ComplaintError, IllegalTransition
from ..events import EventKind, SystemReason
from ..models import (
    Message,
    Resolution,
    RootCause,
    Ticket,
    TicketEvent,
)
from ..states import OPEN_STATUSES, Status, is_allowed
from .timeline import (
    Actor,
    acting_user,
    build_event,
    ensure_allowed,
    ensure_current,
    lock_ticket,
    locked_or_lock,
    record,
    record_many,
    sanitise,
    save_ticket,
    save_tickets,
    with_customers,
    write_message,
)


def move_status(
    ticket: Ticket,
    actor: Actor,
    to: str,
    *,
    reason: str = "",
    kind: EventKind = EventKind.STATUS_CHANGED,
    because: SystemReason | None = None,
    because_params: dict[str, object] | None = None,
) -> list[str]:
    """Change the status in memory, stamping the times it implies, and record the event; returns the
    fields to save."""
    fields, event = status_move(
        ticket, actor, to, reason=reason, kind=kind, because=because, because_params=because_params
    )
    record_many([event])
    return fields


def status_move(
    ticket: Ticket,
    actor: Actor,
    to: str,
    *,
    reason: str = "",
    kind: EventKind = EventKind.STATUS_CHANGED,
    because: SystemReason | None = None,
    because_params: dict[str, object] | None = None,
) -> tuple[list[str], TicketEvent]:
    """move_status without recording: the fields to save and the built event, for a batch to record."""
    ensure_allowed(ticket, to)
    # Another app may hold a ticket open (an external case awaiting its report-back); the
    # customer's own confirmation still closes it.
    if to == Status.CLOSED and kind != EventKind.CONFIRMED and (refusal := extensions.close_refusal(ticket)):
        raise IllegalTransition(refusal)
    before, ticket.status = ticket.status, to
    fields = ["status"]
    now = timezone.now()
    if to == Status.ACKNOWLEDGED and ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
        fields.append("acknowledged_at")
    if to == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    if to == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    if before in (Status.RESOLVED, Status.CLOSED) and to == Status.IN_PROGRESS:
        ticket.closed_at = None
        fields.append("closed_at")
        kind = EventKind.REOPENED
    event = build_event(
        ticket,
        actor,
        kind,
        before=before,
        after=to,
        reason=reason,
        because=because,
        because_params=because_params,
    )
    return fields, event


def transition(*, ticket_id: int, actor: Actor, to: str, version: int | None, reason: str = "") -> Ticket:
    """Move a ticket to `to`, refusing stale or illegal changes."""
    if to == Status.RESOLVED:
        raise ComplaintError(
            _("Resolve a ticket with its root cause and the steps taken (the resolve action).")
        )
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        policy.ensure_can_transition(actor, ticket, to)
        ensure_current(ticket, version)
        if to == Status.CLOSED and ticket.status in OPEN_STATUSES and not reason.strip():
            raise ComplaintError(_("Say why an unresolved ticket is closed (duplicate, spam, withdrawn)."))
        save_ticket(ticket, *move_status(ticket, actor, to, reason=reason))
    return ticket


def acknowledge(*, ticket_id: int, actor: Actor, version: int | None, reason: str = "") -> Ticket:
    """Confirm to the customer that the complaint is being handled."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        ensure_current(ticket, version)
        save_ticket(
            ticket,
            *move_status(ticket, actor, Status.ACKNOWLEDGED, reason=reason, kind=EventKind.ACKNOWLEDGED),
        )
    return ticket


def await_customer(*, ticket_id: int, actor: Actor, version: int | None, reason: str = "") -> Ticket:
    """Wait for the customer's answer; the SLA clock pauses meanwhile."""
    return transition(
        ticket_id=ticket_id, actor=actor, to=Status.AWAITING_CUSTOMER, version=version, reason=reason
    )


def reopen(*, ticket_id: int, actor: Actor, version: int | None, reason: str) -> Ticket:
    """Put a resolved or closed ticket back in progress."""
    if not reason.strip():
        raise ComplaintError(_("Say why the ticket is reopened."))
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        ensure_current(ticket, version)
        if ticket.status not in (Status.RESOLVED, Status.CLOSED):
            raise IllegalTransition(
                _("Only resolved or closed tickets can be reopened; this one is %(status)s.")
                % {"status": Status(ticket.status).label}
            )
        if ticket.duplicate_of_id:
            raise IllegalTransition(_("This ticket was merged into another; work on that one instead."))
        save_ticket(ticket, *move_status(ticket, actor, Status.IN_PROGRESS, reason=reason))
    return ticket


@dataclass(frozen=True)
class NewResolution:
    """One ticket's resolution for resolve_many: what resolve takes, per ticket."""

    ticket_id: int
    root_cause: RootCause
    steps_taken: str
    remedy: str = Resolution.Remedy.NONE
    amount: Decimal | int | str = 0
    version: int | None = None


def resolve(
    *,
    ticket_id: int,
    actor: Actor,
    version: int | None,
    root_cause: RootCause,
    steps_taken: str,
    remedy: str = Resolution.Remedy.NONE,
    amount: Decimal | int | str = 0,
    consult_holds: bool = True,
) -> Resolution | None:
    """Record the root cause, the steps and any remedy, and mark the ticket resolved: resolve_many with
    one ticket. Returns None when a registered resolve hold keeps the resolution back (a remedy
    awaiting approval: the hold stores it, the ticket stays as it is and the customer is not told);
    the hold applies it later with consult_holds=False."""
    new = NewResolution(
        ticket_id=ticket_id,
        root_cause=root_cause,
        steps_taken=steps_taken,
        remedy=remedy,
        amount=amount,
        version=version,
    )
    return resolve_many(actor=actor, resolutions=[new], consult_holds=consult_holds)[0]


def _checked_amount(new: NewResolution) -> Decimal:
    amount = Decimal(str(new.amount or 0))
    if amount < 0:
        raise ComplaintError(_("The remedy amount cannot be negative."))
    if new.remedy in (Resolution.Remedy.REFUND, Resolution.Remedy.COMPENSATION) and amount <= 0:
        raise ComplaintError(_("A refund or compensation needs its amount."))
    if not new.steps_taken.strip():
        raise ComplaintError(_("Describe the steps taken to resolve the complaint."))
    return amount


def resolve_many(
    *,
    actor: Actor,
    resolutions: Sequence[NewResolution],
    consult_holds: bool = True,
    locked: dict[int, Ticket] | None = None,
) -> list[Resolution | None]:
    """Resolve many tickets at once (an incident's resolve-all), all or none, each with its own root
    cause, steps and remedy: the tickets locked once in primary-key order, the resolutions, the ticket
    saves and the events one statement each; `ticket_event` is sent for each RESOLVED event as before
    (the SLA clocks stop, the survey is scheduled, the customer is told). Returns, in the order given,
    each ticket's Resolution, or None where a resolve hold kept it back. `locked`: tickets the caller
    already locked in its transaction."""
    amounts = [_checked_amount(new) for new in resolutions]
    if not resolutions:
        return []
    resolved_by = acting_user(actor)
    with transaction.atomic():
        tickets = with_customers(locked_or_lock(locked, {new.ticket_id for new in resolutions}))
        results: list[Resolution | None] = []
        before: dict[int, str] = {}
        for new, amount in zip(resolutions, amounts, strict=True):
            ticket = tickets[new.ticket_id]
            ensure_current(ticket, new.version)
            ensure_allowed(ticket, Status.RESOLVED)
            proposal = {
                "root_cause": new.root_cause,
                "steps_taken": new.steps_taken,
                "remedy": new.remedy,
                "amount": amount,
            }
            if consult_holds and extensions.resolve_held(ticket=ticket, actor=actor, **proposal):
                results.append(None)
                continue
            results.append(
                Resolution(
                    ticket=ticket,
                    root_cause=new.root_cause,
                    steps_taken=sanitise(new.steps_taken),
                    remedy=new.remedy,
                    amount=amount,
                    resolved_by=resolved_by,
                )
            )
            # In memory at once, so the same ticket twice in a batch is refused as already resolved.
            before[ticket.pk], ticket.status = ticket.status, Status.RESOLVED
        done = [resolution for resolution in results if resolution is not None]
        if not done:
            return results
        if len(done) == 1:
            done[0].save(force_insert=True)
        else:
            Resolution.objects.bulk_create(done)
        now = timezone.now()
        events = []
        for resolution in done:
            ticket = resolution.ticket
            ticket.resolved_at = now
            events.append(
                build_event(
                    ticket,
                    actor,
                    EventKind.RESOLVED,
                    before=before[ticket.pk],
                    after=Status.RESOLVED,
                    resolution_id=resolution.pk,
                    root_cause=resolution.root_cause.slug,
                    remedy=resolution.remedy,
                    amount=str(resolution.amount),
                )
            )
        save_tickets([(resolution.ticket, ["status", "resolved_at"]) for resolution in done])
        record_many(events)
    return results


def _current_resolution(ticket: Ticket) -> Resolution:
    resolution = ticket.resolutions.select_for_update().order_by("-created_at", "-pk").first()
    if ticket.status != Status.RESOLVED or resolution is None:
        raise IllegalTransition(_("There is no resolution waiting for the customer's answer."))
    return resolution


def confirm_resolution(*, ticket_id: int, actor: Actor = None) -> Ticket:
    """The customer accepts the resolution: the ticket closes."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        resolution = _current_resolution(ticket)
        resolution.customer_response = Resolution.CustomerResponse.CONFIRMED
        resolution.responded_at = timezone.now()
        resolution.save(update_fields=["customer_response", "responded_at"])
        fields = move_status(ticket, actor, Status.CLOSED, kind=EventKind.CONFIRMED)
        save_ticket(ticket, *fields)
    return ticket


def dispute(*, ticket_id: int, actor: Actor = None, reason: str) -> Ticket:
    """The customer rejects the resolution: it is reopened with their reason."""
    if not reason.strip():
        raise ComplaintError(_("Tell us what is still wrong so we can put it right."))
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        resolution = _current_resolution(ticket)
        resolution.customer_response = Resolution.CustomerResponse.DISPUTED
        resolution.responded_at = timezone.now()
        resolution.dispute_reason = sanitise(reason)
        resolution.save(update_fields=["customer_response", "responded_at", "dispute_reason"])
        write_message(
            ticket=ticket, kind=Message.Kind.CUSTOMER, channel=ticket.channel, body=resolution.dispute_reason
        )
        record(
            ticket, actor, EventKind.DISPUTED, reason=resolution.dispute_reason, resolution_id=resolution.pk
        )
        save_ticket(ticket, *move_status(ticket, actor, Status.IN_PROGRESS, reason=resolution.dispute_reason))
    return ticket


def close_stale_resolved(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Close resolved tickets the customer has not disputed within the configured days; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.COMPLAINTS["AUTO_CLOSE_RESOLVED_AFTER_DAYS"])
    closed = 0
    with transaction.atomic():
        # Held tickets (an open external case) are left out in the query: picked and skipped, more
        # than a batch of them would starve every closable ticket behind them.
        resolved = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
        due = (
            extensions.without_close_holds(resolved)
            .select_for_update(skip_locked=True)
            .order_by("pk")[:batch_size]
        )
        for ticket in due:
            if extensions.close_refusal(ticket):
                continue
            days = settings.COMPLAINTS["AUTO_CLOSE_RESOLVED_AFTER_DAYS"]
            save_ticket(
                ticket,
                *move_status(
                    ticket,
                    None,
                    Status.CLOSED,
                    kind=EventKind.AUTO_CLOSED,
                    because=SystemReason.NO_DISPUTE,
                    because_params={"days": days},
                ),
            )
            closed += 1
    return closed


def mark_spam(*, ticket_id: int, actor: Actor, version: int | None, reason: str = "") -> Ticket:
    """Flag the ticket as spam and close it when the status graph allows (a closed one stays closed)."""
    reason = reason.strip() or _("Spam")
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        policy.ensure_can_transition(actor, ticket, Status.CLOSED)  # spam closes the ticket
        ensure_current(ticket, version)
        if ticket.is_spam:
            raise ComplaintError(_("The ticket is already marked as spam."))
        ticket.is_spam = True
        # Spam is a classification: it goes on the timeline as one, before the ticket closes.
        record(ticket, actor, EventKind.RECLASSIFIED, reason=reason, changes={"is_spam": ["False", "True"]})
        fields = ["is_spam"]
        if ticket.status != Status.CLOSED and is_allowed(ticket.status, Status.CLOSED):
            fields += move_status(ticket, actor, Status.CLOSED, reason=reason)
        save_ticket(ticket, *fields)
    return ticket
