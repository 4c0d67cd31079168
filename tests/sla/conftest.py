from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints import services
from complaints.models import RoutingRule, Ticket
from tests.factories import AgentFactory, CategoryFactory, RootCauseFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _no_routing_rules(db):
    """Tickets keep the kind and category the test gives them."""
    RoutingRule.objects.update(is_active=False)


@pytest.fixture
def category(team):
    return CategoryFactory(slug="billing-test", default_team=team)


@pytest.fixture
def lead(team):
    return AgentFactory(team=team, team__role="lead", email="lead@staff.example.com")


@pytest.fixture
def root_cause(db):
    return RootCauseFactory()


@pytest.fixture
def open_ticket(category, agent):
    """Open a ticket through the complaint services (routed to `team`, assigned to `agent`)."""

    def opener(
        kind: str = Ticket.Kind.COMPLAINT, complexity: str = Ticket.Complexity.SIMPLE, **extra
    ) -> Ticket:
        opened = services.open_ticket(
            actor=None,
            channel=extra.pop("channel", Ticket.Channel.WEB),
            customer=services.CustomerDetails(name="张三", email=extra.pop("email", "zhang@example.com")),
            subject=extra.pop("subject", "宽带断了三天"),
            description="Home broadband has been down since Monday.",
            kind=kind,
            complexity=complexity,
            category=extra.pop("category", category),
            **extra,
        )
        return Ticket.objects.get(pk=opened.ticket.pk)

    return opener


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)
