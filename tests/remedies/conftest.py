from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client

from complaints import services
from complaints.models import RoutingRule, Team, Ticket
from remedies import tasks
from remedies.models import ApprovalRule
from tests.factories import AgentFactory, RootCauseFactory, SupervisorFactory, TeamFactory


@pytest.fixture(autouse=True)
def _no_routing_rules(db):
    """Tickets stay in the team the test puts them in."""
    RoutingRule.objects.update(is_active=False)


@pytest.fixture(autouse=True)
def worker(monkeypatch):
    """The remedies tasks queued on commit are recorded here; `run()` performs them as a worker would."""
    queued: list[tuple] = []
    for name in ("send_overdue_warnings", "ask_for_approval"):
        monkeypatch.setattr(
            getattr(tasks, name), "delay", lambda *args, _name=name: queued.append((_name, args))
        )

    def run() -> None:
        while queued:
            name, args = queued.pop(0)
            getattr(tasks, name).run(*args)

    return SimpleNamespace(queued=queued, run=run)


@pytest.fixture
def team(db):
    return TeamFactory(slug="billing", name_zh="账务组", name_en="Billing")


@pytest.fixture
def other_team(db):
    return TeamFactory(slug="network", name_zh="网络组", name_en="Network")


@pytest.fixture
def agent(team):
    return AgentFactory(
        username="wfang", first_name="芳", last_name="王", email="wfang@staff.example.com", team=team
    )


@pytest.fixture
def lead(team):
    return AgentFactory(username="lead", first_name="强", last_name="李", team=team, team__role="lead")


@pytest.fixture
def other_lead(other_team):
    return AgentFactory(username="otherlead", team=other_team, team__role="lead")


@pytest.fixture
def colleague(team):
    return AgentFactory(username="colleague", team=team)


@pytest.fixture
def supervisor(db):
    return SupervisorFactory(username="boss")


@pytest.fixture
def cause(db):
    return RootCauseFactory(
        slug="double-charge", name_en="A billing error on our side", name_zh="我方计费错误"
    )


@pytest.fixture
def rule(db):
    return ApprovalRule.objects.create(
        name="Money",
        agent_limit=Decimal("50"),
        lead_limit=Decimal("500"),
        ceiling=Decimal("5000"),
        abuse_count=2,
        abuse_days=30,
    )


def open_complaint(
    team: Team, agent, *, email: str = "li.lei@example.com", language: str = "en", subject: str = ""
) -> Ticket:
    ticket = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=services.CustomerDetails(name="李雷", email=email, language=language),
        subject=subject or "Charged twice for order 42",
        description=f"{subject} happened to me." if subject else "I was charged twice.",
    ).ticket
    services.reroute(ticket_id=ticket.pk, actor=None, team=team, version=None, reason="billing")
    services.assign(ticket_id=ticket.pk, actor=None, assignee=agent, version=None)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def ticket(team, agent):
    return open_complaint(team, agent)


def propose(ticket: Ticket, actor, cause, *, remedy: str = "refund", amount: str = "300.00"):
    return services.resolve(
        ticket_id=ticket.pk,
        actor=actor,
        version=None,
        root_cause=cause,
        steps_taken="Refunded the second charge.",
        remedy=remedy,
        amount=amount,
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
