"""Issue 15, item 5: one policy (complaints.policy) decides for the desk, the API and the admin."""

import pytest

from complaints import services
from complaints.errors import ComplaintError
from complaints.models import Ticket
from tests.complaints.api_helpers import client_for, make_integration
from tests.factories import AgentFactory, SupervisorFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(slug="service")


@pytest.fixture
def people(team):
    return {
        "agent": AgentFactory(team=team),
        "colleague": AgentFactory(team=team),
        "lead": AgentFactory(team=team, team__role="lead"),
        "engineer": AgentFactory(team=TeamFactory(slug="technical")),
    }


def _assign(client, ticket: Ticket, assignee: str | None):
    return client.post(
        f"/api/v1/tickets/{ticket.reference}/assign/",
        {"assignee": assignee, "version": ticket.version},
        format="json",
    )


def test_a_non_lead_cannot_reassign_a_colleagues_ticket_through_the_api(team, people):
    ticket = TicketFactory(team=team, assignee=people["colleague"])

    response = _assign(client_for(people["agent"]), ticket, people["agent"].username)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_permitted"
    ticket.refresh_from_db()
    assert ticket.assignee == people["colleague"] and ticket.version == 1


def test_a_non_lead_takes_an_unassigned_ticket_as_in_the_desk(team, people):
    ticket = TicketFactory(team=team)
    response = _assign(client_for(people["agent"]), ticket, people["agent"].username)
    assert response.status_code == 200 and response.json()["assignee"] == people["agent"].username


def test_the_lead_reassigns_within_the_team(team, people):
    ticket = TicketFactory(team=team, assignee=people["colleague"])
    response = _assign(client_for(people["lead"]), ticket, people["agent"].username)
    assert response.status_code == 200


def test_assigning_to_another_teams_agent_is_refused_before_anything_commits(team, people):
    ticket = TicketFactory(team=team)

    response = _assign(client_for(people["lead"]), ticket, people["engineer"].username)

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.team == team and ticket.assignee is None and ticket.version == 1
    assert not ticket.events.exists()


def test_a_supervisor_moves_a_ticket_to_another_teams_agent_and_gets_an_answer(team, people):
    ticket = TicketFactory(team=team)
    response = _assign(client_for(SupervisorFactory()), ticket, people["engineer"].username)
    assert response.status_code == 200 and response.json()["team"]["slug"] == "technical"


def test_an_agent_cannot_close_through_the_api_transition(team, people):
    ticket = TicketFactory(team=team)

    response = client_for(people["agent"]).post(
        f"/api/v1/tickets/{ticket.reference}/transition/",
        {"to": "closed", "version": 1, "reason": "withdrawn"},
        format="json",
    )

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_the_services_refuse_what_the_desk_does_not_offer(team, people):
    """Any edge (desk, API, admin, a script) reaches the same rule."""
    ticket = TicketFactory(team=team, assignee=people["colleague"])
    with pytest.raises(ComplaintError):
        services.assign(ticket_id=ticket.pk, actor=people["agent"], assignee=people["agent"], version=None)
    with pytest.raises(ComplaintError):
        services.transition(ticket_id=ticket.pk, actor=people["agent"], to="closed", version=None, reason="x")
    hidden = TicketFactory(team=TeamFactory(slug="legal"))
    with pytest.raises(ComplaintError) as refused:
        services.reroute(ticket_id=hidden.pk, actor=people["agent"], team=team, version=None, reason="mine")
    assert refused.value.http_status == 404


def test_the_desk_and_the_policy_agree(team, people):
    from complaints import policy
    from complaints.portal import permissions

    ticket = TicketFactory(team=team, assignee=people["colleague"])
    for user in (people["agent"], people["lead"], SupervisorFactory()):
        assert permissions.can_reassign(user, ticket) == policy.can_reassign(user, ticket)
        assert permissions.can_take(user, ticket) == policy.can_take(user, ticket)


def test_an_integration_account_cannot_sign_in_to_the_desk(client, team):
    partner = make_integration()
    ticket = services.open_ticket(
        actor=partner,
        channel=Ticket.Channel.API,
        customer=services.CustomerDetails(email="wang@example.com"),
        subject="Charged twice",
        description="My bill shows the fee twice.",
    ).ticket
    client.force_login(partner)
    desk_pages = (
        "/desk/",
        f"/desk/tickets/{ticket.reference}/",
        f"/desk/tickets/{ticket.reference}/version/",
    )
    for path in (*desk_pages, "/desk/quality/"):
        assert client.get(path).status_code == 403, path
    assert client.post("/desk/search/", {"q": "wang@example.com"}).status_code == 403
    # Its own ticket stays readable where it belongs: the API.
    assert client_for(partner).get(f"/api/v1/tickets/{ticket.reference}/").status_code == 200
