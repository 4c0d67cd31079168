"""complaints.services.opening: open_ticket refuses what it cannot open, routes by rule and records why."""

import pytest

from complaints import services
from complaints.errors import ComplaintError
from complaints.events import EventKind
from complaints.models import RoutingRule, Ticket
from complaints.services import CustomerDetails
from complaints.states import Status
from tests.factories import AgentFactory, TeamFactory

from .conftest import kinds, open_

pytestmark = pytest.mark.django_db


def test_open_ticket_without_contact_or_text_is_refused(category):
    with pytest.raises(ComplaintError):
        services.open_ticket(
            actor=None, channel="web", customer=CustomerDetails(), subject="s", description="d"
        )
    with pytest.raises(ComplaintError):
        open_(category, subject="   ")
    assert Ticket.objects.count() == 0


def test_open_ticket_routes_by_rule_and_records_the_rule(team, agent):
    other = TeamFactory(slug="billing")
    billing_agent = AgentFactory(team=other)
    rule = RoutingRule.objects.create(name="Billing words", match_keywords="invoice, 发票", set_team=other)
    ticket = open_(description="My invoice is wrong")
    assert ticket.team == other and ticket.routing_rule == rule
    assert ticket.status == Status.NEW
    assert kinds(ticket) == [EventKind.OPENED, EventKind.ROUTED, EventKind.ASSIGNED]
    routed = ticket.events.get(kind=EventKind.ROUTED)
    assert routed.detail["rule"] == "Billing words" and routed.detail["keyword"] == "invoice"
    assert routed.to_value == "billing"
    assert ticket.assignee == billing_agent
    assert ticket.version == 2  # created at 1, auto-assignment bumped it


def test_open_ticket_without_team_stays_unassigned():
    ticket = open_()
    assert ticket.team is None and ticket.assignee is None
    assert kinds(ticket) == [EventKind.OPENED]
    assert ticket.version == 1
