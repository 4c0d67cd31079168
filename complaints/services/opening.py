"""Opening a complaint: the customer, classification and routing, a repeat folded into its open
ticket, the files that come with it."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import config_cache, policy, repeats, routing
from ..attachments import CheckedFile
from ..errors import ComplaintError
from ..events import EventKind
from ..models import (
    Attachment,
    Category,
    Customer,
    Message,
    Team,
    Ticket,
)
from ..states import Status
from .assignment import claim_agent
from .customers import CustomerDetails, _find_or_create_customer
from .timeline import (
    Actor,
    acting_user,
    build_event,
    lock_ticket,
    record,
    record_many,
    sanitise,
    save_ticket,
    write_message,
)


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
            created_by=acting_user(actor),
        )
        store_files(ticket, None, files)
        events = [
            build_event(
                ticket, actor, EventKind.OPENED, after=Status.NEW, channel=channel, external_id=external_id
            )
        ]
        if decision.rule is not None:
            events.append(
                build_event(
                    ticket,
                    actor,
                    EventKind.ROUTED,
                    after=decision.team.slug if decision.team else "",
                    rule=decision.rule.name,
                    rule_id=decision.rule.pk,
                    keyword=decision.matched_keyword,
                )
            )
        if match is not None:
            events.append(
                build_event(ticket, actor, EventKind.LINKED, after=match.ticket.reference, score=match.score)
            )
        # The agent is picked before the events are written, so opened, routed, linked and assigned
        # are one INSERT, and the ticket one UPDATE (assignee and SLA summary) after the receivers.
        claimed = claim_agent(ticket.team) if ticket.team_id else None
        if claimed is not None:
            membership, strategy = claimed
            ticket.assignee = membership.user
            events.append(
                build_event(
                    ticket, actor, EventKind.ASSIGNED, after=membership.user.get_username(), strategy=strategy
                )
            )
        summary = ticket.sla_state, ticket.sla_due_at
        record_many(events)  # the SLA receivers set the new ticket's summary on it (sla_bookkeeping)
        summary_fields = (
            ["sla_state", "sla_due_at"] if (ticket.sla_state, ticket.sla_due_at) != summary else []
        )
        if claimed is not None:
            save_ticket(ticket, "assignee", *summary_fields)
        elif summary_fields:
            Ticket.objects.filter(pk=ticket.pk).update(
                sla_state=ticket.sla_state, sla_due_at=ticket.sla_due_at
            )
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
    message = write_message(
        ticket=ticket,
        kind=Message.Kind.CUSTOMER,
        channel=channel,
        body=f"{subject}\n\n{description}",
        external_id=external_id,
    )
    store_files(ticket, message, files)
    save_ticket(ticket)
    record(ticket, actor, EventKind.REPEAT_FOLDED, score=match.score, message_id=message.pk, channel=channel)
    return Opened(ticket=ticket, message=message, is_repeat=True, repeat_score=match.score)


def store_files(ticket: Ticket, message: Message | None, files: Iterable[CheckedFile]) -> None:
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
