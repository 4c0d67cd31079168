from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints import services
from complaints.models import RoutingRule, Ticket
from external_cases.models import ExternalSource
from tests.factories import AgentFactory, CategoryFactory, SupervisorFactory, TeamFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _no_routing_rules(db):
    """Tickets keep the team their category gives them."""
    RoutingRule.objects.update(is_active=False)


@pytest.fixture
def category(team):
    return CategoryFactory(slug="billing-test", default_team=team)


@pytest.fixture
def escalation_team(db):
    return TeamFactory(slug="escalations", name_zh="投诉升级组", name_en="Escalations")


@pytest.fixture
def escalation_agent(escalation_team):
    return AgentFactory(team=escalation_team, team__role="lead", email="lead@staff.example.com")


@pytest.fixture
def odr(db, escalation_team) -> ExternalSource:
    source = ExternalSource.objects.get(slug="12315-odr")
    source.team = escalation_team
    source.save(update_fields=["team"])
    return source


@pytest.fixture
def heimao(db) -> ExternalSource:
    return ExternalSource.objects.get(slug="heimao")


@pytest.fixture
def boss(db):
    return SupervisorFactory()


@pytest.fixture
def open_ticket(category, agent):
    """Open a ticket through the complaint services (routed to `team`, assigned to `agent`)."""

    def opener(**extra) -> Ticket:
        opened = services.open_ticket(
            actor=None,
            channel=extra.pop("channel", Ticket.Channel.WEB),
            customer=services.CustomerDetails(
                name="张三", email=extra.pop("email", "zhang@example.com"), phone=extra.pop("phone", "")
            ),
            subject=extra.pop("subject", "宽带断了三天"),
            description=extra.pop("description", "Home broadband has been down since Monday."),
            category=extra.pop("category", category),
            **extra,
        )
        return Ticket.objects.get(pk=opened.ticket.pk)

    return opener


ODR_VALUES = {
    "handled_at": "2026-09-28T10:00",
    "process": "电话联系消费者，说明退款流程。",
    "method": "phone",
    "result": "agreed",
}
