"""Canned replies' placeholders: filled for the ticket in the desk, filled or refused when a reply is sent."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints import placeholders, services
from complaints.models import CannedReply, Message
from tests.complaints.api_helpers import client_for
from tests.complaints.portal_helpers import post_action
from tests.factories import AgentFactory, CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def agent(team):
    return AgentFactory(team=team, username="fang", first_name="芳", last_name="王")


@pytest.fixture
def ticket(team, agent):
    return TicketFactory(
        team=team,
        assignee=agent,
        language="en",
        customer=CustomerFactory(name="李雷"),
        sla_due_at=datetime(2026, 3, 2, 18, 0, tzinfo=SHANGHAI),
    )


TEMPLATE = "Dear {customer_name}, your reference is {reference}; {agent_name} answers by {due_time}."


def expected(ticket) -> str:
    return f"Dear 李雷, your reference is {ticket.reference}; 王芳 answers by 2026-03-02 18:00 (UTC+08:00)."


def test_a_reply_is_sent_with_its_placeholders_filled(ticket, agent):
    message = services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body=TEMPLATE)
    assert message.body == expected(ticket)


@pytest.mark.parametrize("body", ["Your ticket {referense} is open.", "Hello {name}"])
def test_a_reply_with_an_unknown_placeholder_is_refused_naming_it(ticket, agent, body):
    with pytest.raises(placeholders.UnfilledPlaceholder) as refusal:
        services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body=body)
    name = body.split("{")[1].split("}")[0]
    assert f"{{{name}}}" in refusal.value.message and "{reference}" in refusal.value.message
    assert not Message.objects.filter(ticket=ticket).exists()


def test_a_known_placeholder_without_a_value_is_refused(team, agent):
    ticket = TicketFactory(team=team, assignee=agent, sla_due_at=None)
    with pytest.raises(placeholders.UnfilledPlaceholder) as refusal:
        services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="By {due_time}")
    assert "no value for {due_time}" in refusal.value.message


def test_notes_and_customer_messages_keep_their_braces(ticket, agent):
    note = services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.NOTE, body="see {foo}")
    said = services.add_message(ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="{x} 不对")
    assert note.body == "see {foo}" and said.body == "{x} 不对"


def test_the_desk_offers_canned_replies_filled_for_the_ticket(client, ticket, agent):
    canned = CannedReply.objects.create(title="Received", language="en", body=TEMPLATE)
    client.force_login(agent)
    html = client.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    assert f'data-text="{expected(ticket)}"' in html
    assert "{reference}" not in html
    prefilled = client.get(f"/desk/tickets/{ticket.reference}/", {"insert": f"canned-{canned.pk}"})
    assert f"{expected(ticket)}</textarea>" in prefilled.content.decode()


def test_the_desk_refuses_an_unknown_placeholder_and_keeps_the_draft(client, ticket, agent):
    client.force_login(agent)
    response = post_action(client, ticket, "reply", htmx=True, body="Hello {nmae}, sorry.")
    assert response.status_code == 400
    html = response.content.decode()
    assert "{nmae}" in html and "cannot be filled in" in html
    assert "Hello {nmae}, sorry.</textarea>" in html
    assert not Message.objects.filter(ticket=ticket).exists()


def test_the_api_fills_placeholders_and_refuses_unknown_ones(ticket, agent):
    api = client_for(agent)
    url = f"/api/v1/tickets/{ticket.reference}/messages/"
    sent = api.post(url, {"body": TEMPLATE}, format="json")
    assert sent.status_code == 201, sent.content
    assert sent.json()["body"] == expected(ticket)
    refused = api.post(url, {"body": "Ticket {ticket_no}"}, format="json")
    assert refused.status_code == 400
    assert "{ticket_no}" in str(refused.json())
