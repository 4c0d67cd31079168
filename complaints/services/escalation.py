"""Escalation, re-routing to another team and reclassification."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import policy
from ..errors import ComplaintError, IllegalTransition
from ..events import EventKind
from ..models import (
    Category,
    Team,
    Ticket,
    TicketEvent,
)
from ..models.tickets import MAX_ESCALATION_LEVEL
from .assignment import claim_agent
from .timeline import (
    Actor,
    build_event,
    ensure_current,
    lock_ticket,
    locked_or_lock,
    record,
    record_many,
    sanitise,
    save_ticket,
)


@dataclass(frozen=True)
class Escalation:
    """One step of escalate_many: up to `level`, or one level up when None; `version` as escalate's."""

    ticket_id: int
    reason: str
    level: int | None = None
    version: int | None = None


def escalate(
    *, ticket_id: int, actor: Actor, version: int | None, reason: str, level: int | None = None
) -> Ticket:
    """Raise the escalation level (1 → 2 → 3); supervisors and team leads are told.

    escalate_many with one escalation, refusing what it cannot do."""
    escalation = Escalation(ticket_id=ticket_id, reason=reason, level=level, version=version)
    return escalate_many(escalations=[escalation], actor=actor, refuse=True)[0].ticket


def escalate_for_sla(
    *, escalations: Iterable[tuple[int, str]], locked: dict[int, Ticket] | None = None
) -> list[TicketEvent]:
    """escalate(actor=None) for a batch of SLA breaches (the sweep's): one step per (ticket_id, reason).

    escalate_many, leaving alone what it cannot escalate: a ticket that is no longer open or already
    at the highest level stays as it is (the breach alert stands); so does one that does not exist.
    """
    return escalate_many(
        escalations=[Escalation(ticket_id=ticket_id, reason=reason) for ticket_id, reason in escalations],
        actor=None,
        refuse=False,
        locked=locked,
    )


def escalate_many(
    *,
    escalations: Iterable[Escalation],
    actor: Actor,
    refuse: bool,
    locked: dict[int, Ticket] | None = None,
) -> list[TicketEvent]:
    """Escalate in order; a ticket listed twice goes up twice. With `refuse` the first escalation the
    rules refuse raises (and nothing is written); without, it is skipped. `locked` holds tickets the
    caller has locked in its transaction (the SLA sweep's batch): they are not locked again.

    The tickets are locked in one query (primary-key order), written with one UPDATE per distinct
    change (at most MAX_ESCALATION_LEVEL of them for one-step escalations), and their ESCALATED events
    recorded together: `ticket_event` for each, in order, and the staff mail queued on commit. Returns
    the events; each event's ticket is the updated row.
    """
    escalations = list(escalations)
    for escalation in escalations:
        if not escalation.reason.strip():
            raise ComplaintError(_("Say why the ticket is escalated."))
    if not escalations:
        return []
    with transaction.atomic():
        ids = {escalation.ticket_id for escalation in escalations}
        tickets = locked_or_lock(locked, ids, skip_missing=not refuse)
        raised: dict[int, list[int]] = {}  # ticket id -> [levels up, versions up]
        events = []
        for escalation in escalations:
            ticket = tickets.get(escalation.ticket_id)
            if ticket is None:
                continue
            try:
                target = _escalation_target(ticket, escalation)
            except ComplaintError:
                if refuse:
                    raise
                continue
            before, ticket.escalation_level = ticket.escalation_level, target
            ticket.version += 1
            counts = raised.setdefault(ticket.pk, [0, 0])
            counts[0] += target - before
            counts[1] += 1
            events.append(
                build_event(
                    ticket, actor, EventKind.ESCALATED, before=before, after=target, reason=escalation.reason
                )
            )
        if not events:
            return []
        now = timezone.now()
        by_change: dict[tuple[int, int], list[int]] = {}
        for ticket_id, (levels, versions) in raised.items():
            by_change.setdefault((levels, versions), []).append(ticket_id)
            tickets[ticket_id].updated_at = now
        for (levels, versions), ticket_ids in sorted(by_change.items()):
            # The rows are locked above: adding the counts gives exactly the values worked out here.
            Ticket.objects.filter(pk__in=ticket_ids).update(
                escalation_level=F("escalation_level") + levels,
                version=F("version") + versions,
                updated_at=now,
            )
        record_many(events)
    return events


def _escalation_target(ticket: Ticket, escalation: Escalation) -> int:
    """The level `escalation` takes the ticket to, or the reason it cannot."""
    ensure_current(ticket, escalation.version)
    if not ticket.is_open:
        raise IllegalTransition(_("Only open tickets can be escalated."))
    target = ticket.escalation_level + 1 if escalation.level is None else int(escalation.level)
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
    return target


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
