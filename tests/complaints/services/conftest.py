"""Helpers shared by the complaint services' tests: tickets made or opened fresh, and their core events."""

import itertools

import pytest
from django.db.models import QuerySet

from complaints import services
from complaints.models import Category, Ticket, TicketEvent
from complaints.services import CustomerDetails
from complaints.states import Status
from tests.factories import CategoryFactory, RootCauseFactory, TicketFactory

_unique = itertools.count()


def core_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's events without the SLA app's own (its receivers react to ours); these tests judge the core."""
    return ticket.events.exclude(kind__startswith="sla_")


def kinds(ticket: Ticket) -> list[str]:
    return list(core_events(ticket).order_by("pk").values_list("kind", flat=True))


def open_(
    category: Category | None = None, *, email: str | None = None, subject: str | None = None, **kwargs
) -> Ticket:
    """Open a ticket for a fresh customer with text unlike any other, so no repeat detection interferes."""
    n = next(_unique)
    return services.open_ticket(
        actor=None,
        channel=kwargs.pop("channel", Ticket.Channel.WEB),
        customer=CustomerDetails(name="张三", email=email or f"open{n}@example.com"),
        subject=subject or f"Subject {n} {'xyzw'[n % 4] * (n % 7 + 1)}",
        description=kwargs.pop("description", f"Description number {n} about order {n * 7919}"),
        category=category,
        **kwargs,
    ).ticket


@pytest.fixture
def category(team):
    return CategoryFactory(default_team=team)


@pytest.fixture
def cause(db):
    return RootCauseFactory()


def make(status: str = Status.NEW, **kwargs) -> Ticket:
    return TicketFactory(status=status, **kwargs)
