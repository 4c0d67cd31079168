"""Fixtures of the hand-off tests: partners, tickets opened the real way, the hand-off mails on demand."""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from complaints import services
from complaints.models import RoutingRule, Ticket
from handoffs import mailing, tasks
from handoffs.models import Partner
from sla.models import BusinessCalendar
from tests.factories import AgentFactory, CategoryFactory, SupervisorFactory, TeamFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
CUSTOMER_EMAIL = "zhang.san@example.com"
CUSTOMER_PHONE = "13900001111"


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _no_routing_rules(db):
    """Tickets keep the team their category gives them."""
    RoutingRule.objects.update(is_active=False)


@pytest.fixture(autouse=True)
def handoff_mails(monkeypatch):
    """send_handoff_mail jobs queued on commit are recorded here; `run()` sends them as the worker would."""
    queued: list[int] = []
    monkeypatch.setattr(tasks.send_handoff_mail, "delay", lambda mail_id: queued.append(mail_id))

    def run() -> None:
        while queued:
            mailing.send_handoff_mail(mail_id=queued.pop(0))

    return SimpleNamespace(queued=queued, run=run)


@pytest.fixture
def category(team):
    return CategoryFactory(slug="recharge-test", default_team=team)


@pytest.fixture
def office_hours(db) -> BusinessCalendar:
    return BusinessCalendar.objects.get(slug="china-office-hours")


@pytest.fixture
def supplier(office_hours) -> Partner:
    return Partner.objects.create(
        name="Upstream recharge supplier",
        kind=Partner.Kind.EXTERNAL,
        email="ops@supplier.example.net",
        escalation_email="manager@supplier.example.net",
        response_hours=8,
        calendar=office_hours,
        language="en",
    )


@pytest.fixture
def network_department(db) -> Partner:
    return Partner.objects.create(
        name="网络部", kind=Partner.Kind.DEPARTMENT, email="noc@network.example.org", response_hours=4
    )


@pytest.fixture
def boss(db):
    return SupervisorFactory()


@pytest.fixture
def other_agent(db):
    return AgentFactory(team=TeamFactory(slug="billing", name_zh="计费组", name_en="Billing"))


@pytest.fixture
def open_ticket(category, agent):
    """Open a ticket through the complaint services (routed to `team`)."""

    def opener(**extra) -> Ticket:
        opened = services.open_ticket(
            actor=None,
            channel=extra.pop("channel", Ticket.Channel.WEB),
            customer=services.CustomerDetails(
                name="张三",
                email=extra.pop("email", CUSTOMER_EMAIL),
                phone=extra.pop("phone", CUSTOMER_PHONE),
            ),
            subject=extra.pop("subject", "话费充值未到账"),
            description=extra.pop("description", "充值 100 元三天未到账。"),
            category=extra.pop("category", category),
            **extra,
        )
        return Ticket.objects.get(pk=opened.ticket.pk)

    return opener
