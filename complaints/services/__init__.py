"""Every change to a ticket goes through these functions.

Each one opens a transaction, locks the ticket row, checks the version the caller
saw and the status graph, writes, records one TicketEvent and sends `ticket_event`.
Outside effects (mail to staff) are queued with `transaction.on_commit`.
"""

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import nh3
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import config_cache, placeholders, policy, repeats, routing
from ..attachments import CheckedFile
from ..errors import ComplaintError, IllegalTransition, NotFound, StaleVersion
from ..events import EventKind, SystemReason, ticket_event
from ..models import (
    Attachment,
    Category,
    Customer,
    Message,
    Resolution,
    RootCause,
    Team,
    TeamMembership,
    Ticket,
    TicketEvent,
)
from ..models.tickets import MAX_ESCALATION_LEVEL
from ..states import OPEN_STATUSES, Status, allowed_from, is_allowed

User = get_user_model()
Actor = AbstractBaseUser | None


# --- helpers shared by the services --------------------------------------------------


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


def _save(ticket: Ticket, *fields: str) -> None:
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


def _write_message(*, body: str, **fields: object) -> Message:
    """The one place a Message row is written: its body is sanitised here, whatever path built it."""
    return Message.objects.create(body=sanitise(body), **fields)


# --- customers -----------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerDetails:
    name: str = ""
    email: str = ""
    phone: str = ""
    customer_number: str = ""
    language: str = ""


def find_or_create_customer(details: CustomerDetails) -> Customer:
    """The known customer with this e-mail or phone (blind index), completed with new details; else a new one."""
    return _find_or_create_customer(details)[0]


def _find_or_create_customer(details: CustomerDetails) -> tuple[Customer, bool]:
    """find_or_create_customer, and whether the customer is new."""
    from .. import pii

    email_index = pii.blind_index("email", details.email)
    phone_index = pii.blind_index("phone", details.phone)
    if not (email_index or phone_index):
        raise ComplaintError(_("Give an e-mail address or a phone number so we can answer you."))
    lookup = Q()
    if email_index:
        lookup |= Q(email_index=email_index)
    if phone_index:
        lookup |= Q(phone_index=phone_index)
    customer = Customer.objects.filter(lookup).order_by("pk").first()
    if customer is None:
        created = Customer.objects.create(
            name=details.name.strip(),
            email=details.email.strip(),
            phone=details.phone.strip(),
            customer_number=details.customer_number.strip(),
            preferred_language=details.language or "zh-hans",
        )
        return created, True
    changed = []
    for field in ("name", "email", "phone", "customer_number"):
        value = getattr(details, field).strip()
        if value and not getattr(customer, field):
            setattr(customer, field, value)
            changed.append(field)
    if details.language and details.language != customer.preferred_language:
        customer.preferred_language = details.language
        changed.append("preferred_language")
    if changed:
        customer.save(update_fields=changed)
    return customer, False


# --- opening ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """What opening produced: a new ticket, or a message on the open ticket it repeats."""

    ticket: Ticket
    message: Message | None
    is_repeat: bool = False
    repeat_score: float = 0.0


def open_ticket(
    *,
    actor: Actor,
    channel: str,
    customer: CustomerDetails | Customer,
    subject: str,
    description: str,
    kind: str | None = None,
    category: Category | None = None,
    default_team: Team | None = None,
    priority: int | None = None,
    complexity: str | None = None,
    order_number: str = "",
    occurred_at: datetime | None = None,
    location: str = "",
    desired_outcome: str = "",
    language: str = "",
    files: Iterable[CheckedFile] = (),
    external_id: str = "",
) -> Opened:
    """Open a complaint: identify the customer, classify and route it, fold a repeat into its open ticket.

    `customer` is the details to find or create the customer by, or an already identified
    Customer (a channel identity such as a WeChat OpenID, which has no e-mail or phone).
    """
    subject, description = subject.strip(), sanitise(description)
    if not subject or not description:
        raise ComplaintError(_("Say in a few words what happened: a subject and a description are required."))
    now = timezone.now()
    # Routing here and the SLA receivers read the configuration: one version for all of them.
    with config_cache.one_version(), transaction.atomic():
        if isinstance(customer, Customer):
            person, is_new_customer = customer, False
        else:
            person, is_new_customer = _find_or_create_customer(customer)
        decision = routing.classify(channel=channel, category=category, text=f"{subject}\n{description}")
        chosen_category = decision.category
        # A customer created just now has no earlier ticket to repeat.
        match = (
            None
            if is_new_customer
            else repeats.find_repeat(
                customer=person, category=chosen_category, subject=subject, description=description, now=now
            )
        )
        if match is not None and repeats.is_foldable(match) and policy.may_fold_into(actor, match.ticket):
            return _fold_repeat(
                match,
                actor=actor,
                channel=channel,
                subject=subject,
                description=description,
                files=files,
                external_id=external_id,
            )
        ticket = Ticket.objects.create(
            customer=person,
            channel=channel,
            kind=kind or decision.kind or Ticket.Kind.COMPLAINT,
            category=chosen_category,
            priority=priority or decision.priority or Ticket.Priority.P3,
            complexity=complexity or decision.complexity or Ticket.Complexity.SIMPLE,
            team=decision.team or default_team,
            subject=subject[:200],
            description=description,
            order_number=order_number.strip(),
            occurred_at=occurred_at,
            location=location.strip(),
            desired_outcome=desired_outcome.strip(),
            language=language or person.preferred_language,
            routing_rule=decision.rule,
            related_to=match.ticket if match else None,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        _store_files(ticket, None, files)
        events: list[tuple[EventKind, dict[str, object]]] = [
            (EventKind.OPENED, {"after": Status.NEW, "channel": channel, "external_id": external_id})
        ]
        if decision.rule is not None:
            events.append(
                (
                    EventKind.ROUTED,
                    {
                        "after": decision.team.slug if decision.team else "",
                        "rule": decision.rule.name,
                        "rule_id": decision.rule.pk,
                        "keyword": decision.matched_keyword,
                    },
                )
            )
        if match is not None:
            events.append((EventKind.LINKED, {"after": match.ticket.reference, "score": match.score}))
        # The agent is picked before the events are written, so opened, routed, linked and assigned
        # are one INSERT, and the ticket one UPDATE (assignee and SLA summary) after the receivers.
        claimed = _claim_agent(ticket.team) if ticket.team_id else None
        if claimed is not None:
            membership, strategy = claimed
            ticket.assignee = membership.user
            events.append(
                (EventKind.ASSIGNED, {"after": membership.user.get_username(), "strategy": strategy})
            )
        opening = _being_opened.set(ticket)
        try:
            _record_together(ticket, actor, events)
        finally:
            _being_opened.reset(opening)
        if claimed is not None:
            _save(ticket, "assignee")  # with the SLA summary the OPENED receivers left in memory
        elif _SLA_SUMMARY_UNSAVED in ticket.__dict__:
            _write_sla_summary(ticket)
    return Opened(ticket=ticket, message=None)


def _fold_repeat(
    match: repeats.RepeatMatch,
    *,
    actor: Actor,
    channel: str,
    subject: str,
    description: str,
    files: Iterable[CheckedFile],
    external_id: str,
) -> Opened:
    ticket = lock_ticket(match.ticket.pk)
    message = _write_message(
        ticket=ticket,
        kind=Message.Kind.CUSTOMER,
        channel=channel,
        body=f"{subject}\n\n{description}",
        external_id=external_id,
    )
    _store_files(ticket, message, files)
    _save(ticket)
    record(ticket, actor, EventKind.REPEAT_FOLDED, score=match.score, message_id=message.pk, channel=channel)
    return Opened(ticket=ticket, message=message, is_repeat=True, repeat_score=match.score)


def _store_files(ticket: Ticket, message: Message | None, files: Iterable[CheckedFile]) -> None:
    for checked in files:
        attachment = Attachment(
            ticket=ticket,
            message=message,
            original_name=(checked.upload.name or "file")[:255],
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
        )
        attachment.file.save(checked.upload.name or "file", checked.upload, save=False)
        attachment.save()


# --- messages --------------------------------------------------------------------------


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
        message = _write_message(
            ticket=ticket,
            kind=kind,
            author=actor if actor is not None and actor.is_authenticated else None,
            channel=channel or ticket.channel,
            body=body,
            external_id=external_id,
        )
        _store_files(ticket, message, files)
        fields: list[str] = []
        if kind == Message.Kind.CUSTOMER:
            record(ticket, actor, EventKind.CUSTOMER_MESSAGE, message_id=message.pk)
            if ticket.status == Status.AWAITING_CUSTOMER:
                fields += _move(ticket, actor, Status.IN_PROGRESS, because=SystemReason.CUSTOMER_ANSWERED)
        elif kind == Message.Kind.REPLY:
            if ticket.first_response_at is None:
                ticket.first_response_at = message.created_at
                fields.append("first_response_at")
            if ticket.status == Status.NEW:
                fields += _move(ticket, actor, Status.ACKNOWLEDGED, because=SystemReason.FIRST_REPLY)
            record(ticket, actor, EventKind.REPLIED, message_id=message.pk)
        else:
            record(ticket, actor, EventKind.NOTE_ADDED, message_id=message.pk)
        _save(ticket, *fields)
    return message


# --- status changes --------------------------------------------------------------------


def _move(
    ticket: Ticket,
    actor: Actor,
    to: str,
    *,
    reason: str = "",
    kind: EventKind = EventKind.STATUS_CHANGED,
    because: SystemReason | None = None,
    because_params: dict[str, object] | None = None,
) -> list[str]:
    """Change the status in memory, stamping the times it implies; returns the fields to save."""
    ensure_allowed(ticket, to)
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
    record(
        ticket,
        actor,
        kind,
        before=before,
        after=to,
        reason=reason,
        because=because,
        because_params=because_params,
    )
    return fields


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
        _save(ticket, *_move(ticket, actor, to, reason=reason))
    return ticket


def acknowledge(*, ticket_id: int, actor: Actor, version: int | None, reason: str = "") -> Ticket:
    """Confirm to the customer that the complaint is being handled."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        ensure_current(ticket, version)
        _save(ticket, *_move(ticket, actor, Status.ACKNOWLEDGED, reason=reason, kind=EventKind.ACKNOWLEDGED))
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
        _save(ticket, *_move(ticket, actor, Status.IN_PROGRESS, reason=reason))
    return ticket


# --- people and teams ------------------------------------------------------------------


def _is_member(user: AbstractBaseUser, team_id: int | None) -> bool:
    return team_id is not None and TeamMembership.objects.filter(team_id=team_id, user=user).exists()


def assign(*, ticket_id: int, actor: Actor, assignee: AbstractBaseUser | None, version: int | None) -> Ticket:
    """Give the ticket to an agent of its team (or take it back to the team's queue with None)."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        in_team = assignee is None or _is_member(assignee, ticket.team_id)
        policy.ensure_can_assign(actor, ticket, assignee, assignee_in_team=in_team)
        ensure_current(ticket, version)
        if not ticket.is_open:
            raise IllegalTransition(_("Only open tickets can be assigned."))
        if assignee is not None and not assignee.is_active:
            raise ComplaintError(_("%(user)s is not an active user.") % {"user": assignee})
        fields = ["assignee"]
        if not in_team:
            membership = TeamMembership.objects.filter(user=assignee).select_related("team").first()
            if membership is None:
                raise ComplaintError(
                    _("%(user)s is in no team and cannot take tickets.") % {"user": assignee}
                )
            # Assigning across teams moves the ticket to the assignee's team.
            ticket.team = membership.team
            fields.append("team")
        before = ticket.assignee.get_username() if ticket.assignee_id else ""
        ticket.assignee = assignee
        _save(ticket, *fields)
        record(
            ticket,
            actor,
            EventKind.ASSIGNED,
            before=before,
            after=assignee.get_username() if assignee else "",
        )
    return ticket


AssignmentStrategy = Team.AssignmentStrategy


def _pick_agent(team_id: int, strategy: str) -> TeamMembership | None:
    members = (
        TeamMembership.objects.select_for_update()
        .filter(team_id=team_id, is_away=False, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    candidates = list(members)
    if not candidates:
        return None
    if strategy == AssignmentStrategy.LEAST_LOADED:
        loads = dict(
            Ticket.objects.filter(team_id=team_id, status__in=OPEN_STATUSES, assignee__isnull=False)
            .values_list("assignee")
            .annotate(n=Count("pk"))
        )
        return min(
            candidates,
            key=lambda m: (
                loads.get(m.user_id, 0),
                m.last_assigned_at or datetime.min.replace(tzinfo=UTC),
                m.pk,
            ),
        )
    # Round robin: whoever was handed a ticket longest ago (never first).
    return min(
        candidates, key=lambda m: (m.last_assigned_at is not None, m.last_assigned_at or timezone.now(), m.pk)
    )


def _claim_agent(team: Team, strategy: str | None = None) -> tuple[TeamMembership, str] | None:
    """The team's next agent under the strategy (the team's own unless one is given), stamped as just
    handed a ticket; None if nobody is available."""
    strategy = strategy or team.assignment_strategy
    membership = _pick_agent(team.pk, strategy)
    if membership is None:
        return None
    membership.last_assigned_at = timezone.now()
    membership.save(update_fields=["last_assigned_at"])
    return membership, strategy


def _assign_automatically(ticket: Ticket, *, actor: Actor = None, strategy: str | None = None) -> bool:
    claimed = _claim_agent(ticket.team, strategy)
    if claimed is None:
        return False
    membership, strategy = claimed
    ticket.assignee = membership.user
    _save(ticket, "assignee")
    record(ticket, actor, EventKind.ASSIGNED, after=membership.user.get_username(), strategy=strategy)
    return True


def auto_assign(
    *, ticket_id: int, actor: Actor, version: int | None = None, strategy: str | None = None
) -> Ticket:
    """Assign to an available agent of the ticket's team, round robin or least loaded; agents marked away are skipped."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        ensure_current(ticket, version)
        if ticket.team_id is None:
            raise ComplaintError(_("Route the ticket to a team before assigning it automatically."))
        if not _assign_automatically(ticket, actor=actor, strategy=strategy):
            raise ComplaintError(_("Nobody in %(team)s is available right now.") % {"team": ticket.team})
    return ticket


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
        _save(ticket, "escalation_level")
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
        claimed = _claim_agent(team)
        ticket.team, ticket.assignee = team, claimed[0].user if claimed else None
        _save(ticket, "team", "assignee")
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
        _save(ticket)
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
        _save(ticket, *changes)
        record(ticket, actor, EventKind.RECLASSIFIED, reason=reason, changes=changes)
    return ticket


# --- resolution ------------------------------------------------------------------------


def resolve(
    *,
    ticket_id: int,
    actor: Actor,
    version: int | None,
    root_cause: RootCause,
    steps_taken: str,
    remedy: str = Resolution.Remedy.NONE,
    amount: Decimal | int | str = 0,
) -> Resolution:
    """Record the root cause, the steps and any remedy, and mark the ticket resolved."""
    amount = Decimal(str(amount or 0))
    if amount < 0:
        raise ComplaintError(_("The remedy amount cannot be negative."))
    if remedy in (Resolution.Remedy.REFUND, Resolution.Remedy.COMPENSATION) and amount <= 0:
        raise ComplaintError(_("A refund or compensation needs its amount."))
    if not steps_taken.strip():
        raise ComplaintError(_("Describe the steps taken to resolve the complaint."))
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        ensure_current(ticket, version)
        ensure_allowed(ticket, Status.RESOLVED)
        resolution = Resolution.objects.create(
            ticket=ticket,
            root_cause=root_cause,
            steps_taken=sanitise(steps_taken),
            remedy=remedy,
            amount=amount,
            resolved_by=actor if actor is not None and actor.is_authenticated else None,
        )
        before, ticket.status, ticket.resolved_at = ticket.status, Status.RESOLVED, timezone.now()
        _save(ticket, "status", "resolved_at")
        record(
            ticket,
            actor,
            EventKind.RESOLVED,
            before=before,
            after=Status.RESOLVED,
            resolution_id=resolution.pk,
            root_cause=root_cause.slug,
            remedy=remedy,
            amount=str(amount),
        )
    return resolution


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
        fields = _move(ticket, actor, Status.CLOSED, kind=EventKind.CONFIRMED)
        _save(ticket, *fields)
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
        _write_message(
            ticket=ticket, kind=Message.Kind.CUSTOMER, channel=ticket.channel, body=resolution.dispute_reason
        )
        record(
            ticket, actor, EventKind.DISPUTED, reason=resolution.dispute_reason, resolution_id=resolution.pk
        )
        _save(ticket, *_move(ticket, actor, Status.IN_PROGRESS, reason=resolution.dispute_reason))
    return ticket


def merge(
    *, source_id: int, target_id: int, actor: Actor, reason: str = "", keep_internal: bool = False
) -> Ticket:
    """Fold a duplicate into the ticket that will be worked; the duplicate closes, pointing at it.

    Tickets of different customers merge only when a supervisor keeps the source's content
    internal (`keep_internal`): it reaches the target as an internal note with its files, never
    on the other customer's page. The choice is on both timelines.
    """
    if source_id == target_id:
        raise ComplaintError(_("A ticket cannot be merged into itself."))
    with transaction.atomic():
        source, target = lock_tickets(source_id, target_id)
        policy.ensure_can_merge(actor, source, target, keep_internal=keep_internal)
        internal = keep_internal or source.customer_id != target.customer_id
        if not source.is_open:
            raise IllegalTransition(_("Only an open ticket can be merged into another."))
        if target.status == Status.CLOSED or target.duplicate_of_id:
            raise IllegalTransition(
                _("%(ref)s is closed; merge into an open ticket.") % {"ref": target.reference}
            )
        fields = _move(
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
        _save(source, "duplicate_of", *fields)
        record(source, actor, EventKind.MERGED, after=target.reference, reason=reason, internal=internal)
        copied = _write_message(
            ticket=target,
            kind=Message.Kind.NOTE if internal else Message.Kind.CUSTOMER,
            author=actor if internal and actor is not None and actor.is_authenticated else None,
            channel=source.channel,
            body=f"[{source.reference}] {source.subject}\n\n{source.description}",
        )
        moved = Attachment.objects.filter(ticket=source)
        if internal:
            # The files go with the internal note: the other customer can neither see nor download them.
            moved.update(ticket=target, message=copied)
        else:
            moved.update(ticket=target)
        _save(target)
        record(
            target, actor, EventKind.MERGE_RECEIVED, after=source.reference, reason=reason, internal=internal
        )
    return target


# --- SLA bookkeeping (called by the sla app) ---------------------------------------------


# The ticket open_ticket is opening (its receivers run meanwhile), and the mark that its SLA summary
# waits to be written with its next save: the clocks start on OPENED and auto-assignment saves the
# ticket right after, so one UPDATE carries both.
_being_opened: ContextVar[Ticket | None] = ContextVar("complaints_ticket_being_opened", default=None)
_SLA_SUMMARY_UNSAVED = "_sla_summary_unsaved"


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


def close_stale_resolved(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Close resolved tickets the customer has not disputed within the configured days; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.COMPLAINTS["AUTO_CLOSE_RESOLVED_AFTER_DAYS"])
    closed = 0
    with transaction.atomic():
        due = (
            Ticket.objects.select_for_update(skip_locked=True)
            .filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
            .order_by("pk")[:batch_size]
        )
        for ticket in due:
            days = settings.COMPLAINTS["AUTO_CLOSE_RESOLVED_AFTER_DAYS"]
            _save(
                ticket,
                *_move(
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


# --- supervisors' console ----------------------------------------------------------------


def assign_within_team(
    *, ticket_id: int, actor: Actor, assignee: AbstractBaseUser, version: int | None
) -> Ticket:
    """`assign`, but only to a member of the ticket's own team: a bulk assignment never moves tickets between teams."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        if not _is_member(assignee, ticket.team_id):
            raise ComplaintError(
                _("%(user)s is not a member of the ticket's team (%(team)s).")
                % {"user": assignee, "team": ticket.team or _("no team")}
            )
        return assign(ticket_id=ticket_id, actor=actor, assignee=assignee, version=version)


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
            fields += _move(ticket, actor, Status.CLOSED, reason=reason)
        _save(ticket, *fields)
    return ticket
