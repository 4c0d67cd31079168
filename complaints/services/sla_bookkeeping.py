"""What the sla app writes on tickets: the SLA summary and the SLA events on the timeline."""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from ..bulk_update import update_by_pk
from ..events import EventKind
from ..models import (
    Ticket,
    TicketEvent,
)
from .timeline import build_event, lock_ticket, locked_or_lock, record, record_many


def set_summary_of_new_ticket(*, ticket: Ticket, state: str, due_at: datetime | None) -> None:
    """The SLA summary of a ticket open_ticket is opening, set on the instance it is opening (the
    receivers of OPENED run before the ticket's one UPDATE, which writes it)."""
    ticket.sla_state, ticket.sla_due_at = state, due_at


def update_sla_summary(*, ticket_id: int, state: str, due_at: datetime | None) -> None:
    """Keep the ticket's SLA summary in step with its clocks: update_sla_summaries with one ticket.

    Bookkeeping, not an agent's change: it neither bumps the version (an agent's open
    form stays valid) nor writes an event (alerts are recorded by record_sla_alerts).
    """
    update_sla_summaries(summaries=[(ticket_id, state, due_at)])


def update_sla_summaries(
    *, summaries: Iterable[tuple[int, str, datetime | None]], batch_size: int = 500
) -> None:
    """Store (ticket id, SLA state, due time) for many tickets at once (the SLA sweep, tickets
    bulk-loaded by seed_demo or an import): one UPDATE per batch (bulk_update.update_by_pk)."""
    update_by_pk(Ticket, ("sla_state", "sla_due_at"), list(summaries), batch_size=batch_size)


SLA_ALERT_KINDS = (EventKind.SLA_WARNING, EventKind.SLA_BREACHED)


SLA_ALERT_ARGUMENTS = frozenset({"ticket_id", "kind", "target", "due_at", "reason"})


def record_sla_alerts(*, alerts: list[dict], locked: dict[int, Ticket] | None = None) -> list[TicketEvent]:
    """Put SLA warnings and breaches on the tickets' timelines (the SLA sweep's batch): each item holds
    ticket_id, kind, target, due_at and reason; the others go to the event's detail.

    One lock query and one insert for the batch; `ticket_event` is sent for every event, in order.
    `locked` holds tickets the caller has locked in its transaction (the sweep's batch): they are
    not locked again. Returns the events in the order of `alerts`.
    """
    for alert in alerts:
        if alert["kind"] not in SLA_ALERT_KINDS:
            raise ValueError(f"not an SLA alert: {alert['kind']}")
    if not alerts:
        return []
    with transaction.atomic():
        tickets = locked_or_lock(locked, {alert["ticket_id"] for alert in alerts})
        events = [
            build_event(
                tickets[alert["ticket_id"]],
                None,
                alert["kind"],
                after=alert["target"],
                reason=alert.get("reason", ""),
                due_at=alert["due_at"].isoformat(),
                **{key: value for key, value in alert.items() if key not in SLA_ALERT_ARGUMENTS},
            )
            for alert in alerts
        ]
        # SLA kinds are not mailed to staff as ticket events: the sweep mails its own alerts.
        return record_many(events)


def record_sla_retargeted(
    *, ticket_id: int, changes: dict[str, tuple[datetime | None, datetime | None]], reason: str = ""
) -> TicketEvent:
    """Put re-applied SLA targets on the ticket's timeline: per target, its due time before and after.

    None as the old due means the target started; None as the new one means it no longer applies.
    """

    def label(moment: datetime | None) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"

    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        return record(
            ticket,
            None,
            EventKind.SLA_RETARGETED,
            reason=reason,
            changes={target: [label(old), label(new)] for target, (old, new) in changes.items()},
            due={
                target: {
                    "old": old.astimezone(UTC).isoformat() if old else None,
                    "new": new.astimezone(UTC).isoformat() if new else None,
                }
                for target, (old, new) in changes.items()
            },
        )
