"""Issue 15, item 4: every place that takes a reference checks the caller may act on that ticket, and
answers "not yours" exactly as "does not exist"."""

import pytest

from complaints.models import Message, Ticket
from tests.complaints.api_helpers import client_for, make_integration
from tests.factories import AgentFactory, CustomerFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db

UNKNOWN = "CMP-ZZZZZZZZ"


@pytest.fixture
def setting():
    mine, theirs = TeamFactory(slug="service"), TeamFactory(slug="legal")
    agent = AgentFactory(team=mine)
    hidden = TicketFactory(team=theirs, customer=CustomerFactory(phone="13700001111"))
    return agent, hidden


def _call(reference: str) -> dict:
    import uuid

    return {
        "caller_name": "Caller",
        "phone": "13700001111",
        "called_at": "2026-11-02T10:00",
        "direction": "inbound",
        "ticket_reference": reference,
        "subject": "Call",
        "summary": "Customer called about it.",
        "call_id": str(uuid.uuid4()),
    }


def _error_for(client, reference: str) -> str:
    response = client.post("/desk/calls/new/", _call(reference))
    assert response.status_code == 400
    return response.context["form"].errors["ticket_reference"][0]


def test_the_phone_log_cannot_write_into_another_teams_ticket(client, setting):
    agent, hidden = setting
    client.force_login(agent)

    hidden_error = _error_for(client, hidden.reference)
    unknown_error = _error_for(client, UNKNOWN)

    assert not Message.objects.filter(ticket=hidden).exists()
    assert hidden_error.replace(hidden.reference, "REF") == unknown_error.replace(UNKNOWN, "REF")


def test_the_phone_log_processing_checks_the_agent_too(setting):
    """Defence in depth: a stored call item naming a hidden ticket is refused when processed."""
    from channels_intake import services

    agent, hidden = setting
    item = services.log_phone_call(
        actor=agent,
        call_id="c-1",
        fields={
            "phone": "13700001111",
            "subject": "s",
            "description": "d",
            "ticket_reference": hidden.reference,
        },
        files=[],
    )
    assert item.state == "failed" and "that you can see" in item.error
    assert not Message.objects.filter(ticket=hidden).exists()


def test_the_desk_merge_answers_the_same_for_hidden_and_unknown_targets(client, setting):
    agent, hidden = setting
    own = TicketFactory(team=agent.memberships.get().team)
    client.force_login(agent)
    url = f"/desk/tickets/{own.reference}/actions/merge/"

    answers = []
    for reference in (hidden.reference, UNKNOWN):
        response = client.post(url, {"merge-version": own.version, "merge-target": reference})
        answers.append(
            (
                response.status_code,
                f"There is no ticket {reference} that you can see." in response.content.decode(),
            )
        )

    assert answers[0] == answers[1] == (400, True)
    hidden.refresh_from_db()
    assert hidden.is_open and not hidden.messages.exists()


def test_the_api_answers_the_same_for_hidden_and_unknown(setting):
    agent, hidden = setting
    api = client_for(agent)
    for path in ("", "messages/", "events/"):
        hidden_answer = api.get(f"/api/v1/tickets/{hidden.reference}/{path}")
        unknown_answer = api.get(f"/api/v1/tickets/{UNKNOWN}/{path}")
        assert hidden_answer.status_code == unknown_answer.status_code == 404
        assert hidden_answer.json() == unknown_answer.json()
    posted = api.post(
        f"/api/v1/tickets/{hidden.reference}/messages/", {"body": "hi", "visibility": "public"}, format="json"
    )
    assert posted.status_code == 404
    assert not Message.objects.filter(ticket=hidden).exists()


def test_an_integration_cannot_reach_a_ticket_by_reference(setting):
    _agent, hidden = setting
    api = client_for(make_integration())
    assert api.get(f"/api/v1/tickets/{hidden.reference}/").status_code == 404
    assert Ticket.objects.filter(pk=hidden.pk, messages__isnull=False).count() == 0
