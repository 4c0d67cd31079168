"""The console shows a team lead given console access only their teams' tickets, as the desk does."""

import pytest
from django.contrib.auth.models import Permission

from complaints import services
from tests.factories import AgentFactory, SupervisorFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db

LISTS = ["ticket", "ticketevent", "message", "resolution", "attachment"]


@pytest.fixture
def lead_with_console_access(team):
    lead = AgentFactory(team=team, team__role="lead", is_staff=True)
    lead.user_permissions.add(*Permission.objects.filter(codename__in=[f"view_{name}" for name in LISTS]))
    return lead


def test_a_lead_in_the_console_sees_only_their_teams_tickets(client, team, lead_with_console_access):
    own = TicketFactory(team=team, subject="Our own router complaint")
    other = TicketFactory(team=TeamFactory(), subject="Another team's billing complaint")
    for ticket in (own, other):
        services.add_message(ticket_id=ticket.pk, actor=None, kind="note", body=f"note on {ticket.reference}")
    client.force_login(lead_with_console_access)

    listed = client.get("/admin/complaints/ticket/").content.decode()
    assert own.reference in listed and other.reference not in listed
    messages = client.get("/admin/complaints/message/").content.decode()
    assert own.reference in messages and other.reference not in messages
    events = client.get("/admin/complaints/ticketevent/").content.decode()
    assert own.reference in events and other.reference not in events

    assert client.get(f"/admin/complaints/ticket/{own.pk}/change/").status_code == 200
    response = client.get(f"/admin/complaints/ticket/{other.pk}/change/", follow=True)
    assert other.subject not in response.content.decode()
    assert response.redirect_chain and response.redirect_chain[-1][0] == "/admin/"


def test_a_supervisor_sees_every_team(client, team):
    tickets = [TicketFactory(team=team), TicketFactory(team=TeamFactory())]
    client.force_login(SupervisorFactory())
    listed = client.get("/admin/complaints/ticket/").content.decode()
    assert all(ticket.reference in listed for ticket in tickets)
