"""Shared reads: querysets shaped for the pages, the admin and the API that show them."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet

from . import pii
from .models import Attachment, Customer, Message, Ticket, TicketEvent

SUPERVISORS_GROUP = "Supervisors"
AGENTS_GROUP = "Agents"


def is_supervisor(user: AbstractBaseUser) -> bool:
    return user.is_superuser or user.groups.filter(name=SUPERVISORS_GROUP).exists()


def tickets_visible_to(user: AbstractBaseUser) -> QuerySet[Ticket]:
    """Supervisors see everything; agents their teams' tickets and their own; integrations what they opened."""
    tickets = Ticket.objects.all()
    if not user.is_authenticated:
        return tickets.none()
    if is_supervisor(user):
        return tickets
    return tickets.filter(Q(team__memberships__user=user) | Q(assignee=user) | Q(created_by=user)).distinct()


def ticket_list(queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """A ticket list with everything a row shows, in a constant number of queries."""
    queryset = Ticket.objects.all() if queryset is None else queryset
    return queryset.select_related("customer", "category", "category__parent", "team", "assignee")


def ticket_queue_for(user: AbstractBaseUser) -> QuerySet[Ticket]:
    return ticket_list(tickets_visible_to(user))


def ticket_detail(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """One ticket with its messages, attachments, events and resolutions."""
    return (
        ticket_list(queryset)
        .select_related("duplicate_of", "related_to")
        .prefetch_related(
            Prefetch(
                "messages", queryset=Message.objects.select_related("author").prefetch_related("attachments")
            ),
            Prefetch("events", queryset=TicketEvent.objects.select_related("actor")),
            Prefetch("attachments", queryset=Attachment.objects.filter(message__isnull=True)),
            "resolutions__root_cause",
            "resolutions__resolved_by",
        )
    )


def ticket_timeline(ticket: Ticket, *, public_only: bool = False) -> list[Message | TicketEvent]:
    """Messages and events in time order; for the customer, internal notes and events are left out."""
    messages = [m for m in ticket.messages.all() if m.is_public or not public_only]
    events = [e for e in ticket.events.all() if e.is_public or not public_only]
    return sorted([*messages, *events], key=lambda item: (item.created_at, isinstance(item, TicketEvent)))


def customers_by_contact(contact: str) -> QuerySet[Customer]:
    """Customers whose e-mail or phone is exactly `contact` (through the blind index)."""
    kind = "email" if "@" in contact else "phone"
    index = pii.blind_index(kind, contact)
    if not index:
        return Customer.objects.none()
    return Customer.objects.filter(**{f"{kind}_index": index})


def search_tickets(queryset: QuerySet[Ticket], term: str) -> QuerySet[Ticket]:
    """Reference, order number, exact customer e-mail/phone, or words in subject/description."""
    term = term.strip()
    if not term:
        return queryset
    condition = Q(reference__iexact=term) | Q(order_number=term)
    if "@" in term or sum(c.isdigit() for c in term) >= 7:
        condition |= Q(customer__in=customers_by_contact(term))
    condition |= Q(subject__icontains=term) | Q(description__icontains=term)
    return queryset.filter(condition)
