"""What the sla app writes on tickets: the SLA summary and the SLA events on the timeline."""

from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from ..events import EventKind, ticket_event
from ..models import (
    Ticket,
    TicketEvent,
)
from .timeline import _SLA_SUMMARY_UNSAVED, lock_ticket, lock_tickets, record

# The ticket open_ticket is opening (its receivers run meanwhile), and the mark that its SLA summary
# waits to be written with its next save: the clocks start on OPENED and auto-assignment saves the
# ticket right after, so one UPDATE carries both.
_being_opened: ContextVar[Ticket | None] = ContextVar("complaints_ticket_being_opened", default=None)


def _write_sla_summary(ticket: Ticket) -> None:
    ticket.__dict__.pop(_SLA_SUMMARY_UNSAVED, None)
    Ticket.objects.filter(pk=ticket.pk).update(sla_state=ticket.sla_state, sla_due_at=ticket.sla_due_at)


def update_sla_summary(*, ticket_id: int, state: str, due_at: datetime | None) -> None:
    """Keep the ticket's SLA summary in step with its clocks.

    Bookkeeping, not an agent's change: it neither bumps the version (an agent's open
    form stays valid) nor writes an event (alerts are recorded by record_sla_alert).
    """
    opening = _being_opened.get()
    if opening is not None and opening.pk == ticket_id:
        opening.sla_state, opening.sla_due_at = state, due_at
        opening.__dict__[_SLA_SUMMARY_UNSAVED] = True  # written by open_ticket, in the same transaction
        return
    Ticket.objects.filter(pk=ticket_id).update(sla_state=state, sla_due_at=due_at)


def update_sla_summaries(
    *, summaries: Iterable[tuple[int, str, datetime | None]], batch_size: int = 500
) -> None:
    """update_sla_summary for many tickets at once (the SLA sweep, tickets bulk-loaded by seed_demo or an import).

    One UPDATE of CASE id WHEN ... per batch: bulk_update writes the same SQL but builds an expression
    per value in Python, ~0.3 ms per ticket (measured at 500), as much as the rest of an SLA warning.
    """
    rows = list(summaries)
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    table, pk = quote(Ticket._meta.db_table), quote(Ticket._meta.pk.column)
    state, due = (quote(Ticket._meta.get_field(name).column) for name in ("sla_state", "sla_due_at"))
    due_field = Ticket._meta.get_field("sla_due_at")
    limit = connection.features.max_query_params
    size = min(batch_size, limit // 5) if limit else batch_size  # five parameters per ticket
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            whens = " ".join(["WHEN %s THEN %s"] * len(chunk))
            ids = ", ".join(["%s"] * len(chunk))
            # Quoted names and placeholders only; ELSE keeps each CASE typed as its column, so a
            # chunk whose due times are all NULL still casts on PostgreSQL.
            sql = f"UPDATE {table} SET {state} = CASE {pk} {whens} ELSE {state} END, "  # noqa: S608
            sql += f"{due} = CASE {pk} {whens} ELSE {due} END WHERE {pk} IN ({ids})"
            params = [value for ticket_id, sla_state, _ in chunk for value in (ticket_id, sla_state)]
            params += [
                value
                for ticket_id, _, due_at in chunk
                for value in (ticket_id, due_field.get_db_prep_save(due_at, connection))
            ]
            params += [ticket_id for ticket_id, _, _ in chunk]
            cursor.execute(sql, params)


def record_sla_alert(
    *, ticket_id: int, kind: EventKind, target: str, due_at: datetime, reason: str = "", **detail: object
) -> TicketEvent:
    """Put an SLA warning or breach on the ticket's timeline (and tell the receivers)."""
    if kind not in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED):
        raise ValueError(f"not an SLA alert: {kind}")
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        return record(ticket, None, kind, after=target, reason=reason, due_at=due_at.isoformat(), **detail)


SLA_ALERT_ARGUMENTS = frozenset({"ticket_id", "kind", "target", "due_at", "reason"})


def record_sla_alerts(*, alerts: list[dict]) -> list[TicketEvent]:
    """record_sla_alert for a batch (the SLA sweep's): each item holds its keyword arguments.

    One lock query and one insert for the batch; `ticket_event` is still sent for every event, in
    order, so receivers see exactly what record_sla_alert would have shown them. Returns the events
    in the order of `alerts`.
    """
    for alert in alerts:
        if alert["kind"] not in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED):
            raise ValueError(f"not an SLA alert: {alert['kind']}")
    if not alerts:
        return []
    with transaction.atomic():
        tickets = {t.pk: t for t in lock_tickets(*sorted({alert["ticket_id"] for alert in alerts}))}
        events = []
        for alert in alerts:
            detail = {key: value for key, value in alert.items() if key not in SLA_ALERT_ARGUMENTS}
            events.append(
                TicketEvent(
                    ticket=tickets[alert["ticket_id"]],
                    actor=None,
                    kind=alert["kind"],
                    to_value=str(alert["target"]),
                    reason=alert.get("reason", ""),
                    detail={"due_at": alert["due_at"].isoformat(), **detail},
                )
            )
        TicketEvent.objects.bulk_create(events)
        for event in events:
            # SLA kinds are not in STAFF_NOTIFIED: the sweep mails its own alerts.
            ticket_event.send(sender=Ticket, ticket=event.ticket, event=event)
    return events


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
