"""Escalation, re-routing to another team and reclassification."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import policy
from ..errors import ComplaintError, IllegalTransition
from ..events import EventKind, ticket_event
from ..models import (
    Category,
    Team,
    Ticket,
    TicketEvent,
)
from ..models.tickets import MAX_ESCALATION_LEVEL
from .assignment import claim_agent
from .timeline import Actor, ensure_current, lock_ticket, record, sanitise, save_ticket


def escalate(
    *, ticket_id: int, actor: Actor, version: int | None, reason: str, level: int | None = None
) -> Ticket:
    """Raise the escalation level (1 → 2 → 3); supervisors and team leads are told."""
    if not reason.strip():
        raise ComplaintError(_("Say why the ticket is escalated."))
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        ensure_current(ticket, version)
        if not ticket.is_open:
            raise IllegalTransition(_("Only open tickets can be escalated."))
        target = ticket.escalation_level + 1 if level is None else int(level)
        if target > MAX_ESCALATION_LEVEL:
            raise ComplaintError(
                _("The ticket is already at the highest escalation level (%(max)s).")
                % {"max": MAX_ESCALATION_LEVEL}
            )
        if target <= ticket.escalation_level:
            raise ComplaintError(
                _("The ticket is already at level %(level)s; escalation only goes up.")
                % {"level": ticket.escalation_level}
            )
        before, ticket.escalation_level = ticket.escalation_level, target
        save_ticket(ticket, "escalation_level")
        record(ticket, actor, EventKind.ESCALATED, before=before, after=target, reason=reason)
    return ticket


# Staff-notification events per notify_staff task when a service queues them in bulk: one task per
# event was one broker publish (~0.9 ms) each; a whole batch (up to ~1,000 mails) would not fit the
# task's 50 s time limit.
STAFF_MAIL_CHUNK = 20


def escalate_for_sla(*, escalations: Iterable[tuple[int, str]]) -> list[TicketEvent]:
    """escalate(actor=None) for a batch of SLA breaches (the sweep's): one step per (ticket_id, reason).

    In order; a ticket listed twice goes up two steps. A ticket that is no longer open or already at
    the highest level is left as it is (the breach alert stands); so is one that does not exist. The
    tickets are locked in one query (primary-key order), written with one UPDATE per distinct number
    of steps (at most MAX_ESCALATION_LEVEL), and their ESCALATED events bulk-inserted with the fields
    escalate writes. `ticket_event` is still sent for each event, in order; the staff e-mails are
    queued on commit, one notify_staff task per STAFF_MAIL_CHUNK events. Returns the events; each
    event's ticket is the updated row.
    """
    escalations = list(escalations)
    for _ticket_id, reason in escalations:
        if not reason.strip():
            raise ComplaintError(_("Say why the ticket is escalated."))
    if not escalations:
        return []
    with transaction.atomic():
        ids = sorted({ticket_id for ticket_id, _reason in escalations})
        tickets = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        steps: dict[int, int] = {}
        events = []
        for ticket_id, reason in escalations:
            ticket = tickets.get(ticket_id)
            if ticket is None or not ticket.is_open or ticket.escalation_level >= MAX_ESCALATION_LEVEL:
                continue
            before = ticket.escalation_level
            ticket.escalation_level += 1
            ticket.version += 1
            steps[ticket_id] = steps.get(ticket_id, 0) + 1
            events.append(
                TicketEvent(
                    ticket=ticket,
                    actor=None,
                    kind=EventKind.ESCALATED,
                    from_value=str(before),
                    to_value=str(ticket.escalation_level),
                    reason=reason,
                    detail={},
                )
            )
        if not events:
            return []
        now = timezone.now()
        by_steps: dict[int, list[int]] = {}
        for ticket_id, count in steps.items():
            by_steps.setdefault(count, []).append(ticket_id)
            tickets[ticket_id].updated_at = now
        for count, ticket_ids in sorted(by_steps.items()):
            # The rows are locked above: adding `count` gives exactly the levels worked out here.
            Ticket.objects.filter(pk__in=ticket_ids).update(
                escalation_level=F("escalation_level") + count, version=F("version") + count, updated_at=now
            )
        TicketEvent.objects.bulk_create(events)
        for event in events:
            ticket_event.send(sender=Ticket, ticket=event.ticket, event=event)
        _notify_staff_on_commit([event.pk for event in events])
    return events


def _notify_staff_on_commit(event_ids: list[int]) -> None:
    from ..tasks import notify_staff

    for start in range(0, len(event_ids), STAFF_MAIL_CHUNK):
        notify_staff.delay_on_commit(event_ids[start : start + STAFF_MAIL_CHUNK])


def reroute(
    *,
    ticket_id: int,
    actor: Actor,
    team: Team,
    version: int | None,
    reason: str,
    requested_by_customer: bool = False,
) -> Ticket:
    """Send the ticket to another team, assigned within it by the team's strategy (unassigned in its
    queue when nobody there is available)."""
    if not reason.strip():
        raise ComplaintError(_("Say why the ticket goes to another team."))
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        policy.ensure_can_reroute(actor, ticket, team)
        ensure_current(ticket, version)
        if not ticket.is_open:
            raise IllegalTransition(_("Only open tickets can be re-routed."))
        if ticket.team_id == team.pk:
            raise ComplaintError(_("The ticket is already with %(team)s.") % {"team": team})
        before = ticket.team.slug if ticket.team_id else ""
        claimed = claim_agent(team)
        ticket.team, ticket.assignee = team, claimed[0].user if claimed else None
        save_ticket(ticket, "team", "assignee")
        record(
            ticket,
            actor,
            EventKind.REROUTED,
            before=before,
            after=team.slug,
            reason=reason,
            requested_by_customer=requested_by_customer,
        )
        if claimed is not None:
            record(
                ticket, actor, EventKind.ASSIGNED, after=claimed[0].user.get_username(), strategy=claimed[1]
            )
    return ticket


def request_reroute(*, ticket_id: int, actor: Actor = None, reason: str) -> Ticket:
    """The customer asks for another team: recorded on the timeline and the team lead is told.

    Nothing moves yet; the lead decides and re-routes with `reroute`.
    """
    reason = sanitise(reason)
    if not reason:
        raise ComplaintError(_("Tell us why another team should handle your complaint."))
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        if not ticket.is_open:
            raise IllegalTransition(_("Only open complaints can be sent to another team."))
        save_ticket(ticket)
        record(
            ticket,
            actor,
            EventKind.REROUTE_REQUESTED,
            before=ticket.team.slug if ticket.team_id else "",
            reason=reason,
        )
    return ticket


def reclassify(
    *,
    ticket_id: int,
    actor: Actor,
    version: int | None,
    kind: str | None = None,
    category: Category | None = None,
    priority: int | None = None,
    complexity: str | None = None,
    reason: str = "",
) -> Ticket:
    """Correct what the rules decided: kind, category, priority, complexity."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        ensure_current(ticket, version)
        changes: dict[str, list[object]] = {}
        for field, value in (
            ("kind", kind),
            ("category", category),
            ("priority", priority),
            ("complexity", complexity),
        ):
            if value is None:
                continue
            current = getattr(ticket, field)
            if current != value:
                # A category by its slug: the timeline names it in the reader's language.
                changes[field] = [
                    "" if current is None else getattr(current, "slug", str(current)),
                    getattr(value, "slug", str(value)),
                ]
                setattr(ticket, field, value)
        if not changes:
            return ticket
        save_ticket(ticket, *changes)
        record(ticket, actor, EventKind.RECLASSIFIED, reason=reason, changes=changes)
    return ticket
