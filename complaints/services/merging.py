"""Folding a duplicate into the ticket that will be worked."""

from django.db import transaction
from django.utils.translation import gettext as _

from .. import policy
from ..errors import ComplaintError, IllegalTransition
from ..events import EventKind, SystemReason
from ..models import (
    Attachment,
    Message,
    Ticket,
)
from ..states import Status
from .lifecycle import move_status
from .timeline import Actor, acting_user, ensure_current, lock_tickets, record, save_ticket, write_message


def merge(
    *,
    source_id: int,
    target_id: int,
    actor: Actor,
    reason: str = "",
    keep_internal: bool = False,
    version: int | None = None,
) -> Ticket:
    """Fold a duplicate into the ticket that will be worked; the duplicate closes, pointing at it.

    `version` is the source's as the caller saw it. Both tickets are locked in one query in
    primary-key order, so two opposite merges at once cannot deadlock: the second waits, then finds
    its source or target closed and is refused.

    Tickets of different customers merge only when a supervisor keeps the source's content
    internal (`keep_internal`): it reaches the target as an internal note with its files, never
    on the other customer's page. The choice is on both timelines.
    """
    if source_id == target_id:
        raise ComplaintError(_("A ticket cannot be merged into itself."))
    with transaction.atomic():
        source, target = lock_tickets(source_id, target_id)
        # Stale first: an agent who saw an older page is shown what changed before any refusal.
        ensure_current(source, version)
        policy.ensure_can_merge(actor, source, target, keep_internal=keep_internal)
        internal = keep_internal or source.customer_id != target.customer_id
        if not source.is_open:
            raise IllegalTransition(_("Only an open ticket can be merged into another."))
        if target.status == Status.CLOSED or target.duplicate_of_id:
            raise IllegalTransition(
                _("%(ref)s is closed; merge into an open ticket.") % {"ref": target.reference}
            )
        fields = move_status(
            source,
            actor,
            Status.CLOSED,
            # A status change is on the customer's timeline: another customer's reference stays off it.
            reason=reason,
            because=None
            if reason
            else (SystemReason.MERGED_ELSEWHERE if internal else SystemReason.MERGED_INTO),
            because_params={} if reason or internal else {"ref": target.reference},
        )
        source.duplicate_of = target
        save_ticket(source, "duplicate_of", *fields)
        record(source, actor, EventKind.MERGED, after=target.reference, reason=reason, internal=internal)
        copied = write_message(
            ticket=target,
            kind=Message.Kind.NOTE if internal else Message.Kind.CUSTOMER,
            author=acting_user(actor) if internal else None,
            channel=source.channel,
            body=f"[{source.reference}] {source.subject}\n\n{source.description}",
        )
        moved = Attachment.objects.filter(ticket=source)
        if internal:
            # The files go with the internal note: the other customer can neither see nor download them.
            moved.update(ticket=target, message=copied)
        else:
            moved.update(ticket=target)
        save_ticket(target)
        record(
            target, actor, EventKind.MERGE_RECEIVED, after=source.reference, reason=reason, internal=internal
        )
    return target
