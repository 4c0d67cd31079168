"""Agents log phone calls at /intake/phone/."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints.models import Attachment, Message, Ticket, TicketEvent
from tests.factories import CustomerFactory, UserFactory

MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x0f" + b"\x00" * 64


def call(**overrides) -> dict:
    data = {
        "caller_name": "赵六",
        "phone": "+86 139 1234 5678",
        "email": "",
        "called_at": "2025-06-01T09:15",
        "direction": "inbound",
        "ticket_reference": "",
        "subject": "Charged for a cancelled plan",
        "summary": "Caller says the old plan is still billed.",
        "outcome": "Promised a call back tomorrow.",
        "call_id": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_login_and_permission_are_required(client):
    response = client.get("/intake/phone/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(UserFactory())
    assert client.get("/intake/phone/").status_code == 403


@pytest.mark.django_db
def test_an_agent_logs_a_call_and_a_phone_ticket_opens(client, agent):
    client.force_login(agent)
    assert client.get("/intake/phone/").status_code == 200
    response = client.post("/intake/phone/", call(files=[SimpleUploadedFile("call.mp3", MP3)]))
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == f"/desk/tickets/{ticket.reference}/"
    assert ticket.channel == "phone" and ticket.created_by == agent
    assert ticket.customer.phone == "+8613912345678"
    assert "Promised a call back" in ticket.description
    assert TicketEvent.objects.get(ticket=ticket, kind="opened").actor == agent
    assert Attachment.objects.get(ticket=ticket).content_type == "audio/mpeg"


@pytest.mark.django_db
def test_a_second_call_joins_the_callers_open_ticket(client, agent):
    client.force_login(agent)
    client.post("/intake/phone/", call())
    client.post("/intake/phone/", call(subject="Follow-up", summary="Called again, still billed."))
    ticket = Ticket.objects.get()
    assert ticket.messages.get().kind == Message.Kind.CUSTOMER


@pytest.mark.django_db
def test_a_call_we_made_on_a_named_ticket_is_an_internal_note(client, agent):
    customer = CustomerFactory(phone="13700001111")
    ticket = Ticket.objects.create(
        customer=customer, channel="web", subject="s", description="d", team=agent.memberships.get().team
    )
    client.force_login(agent)
    response = client.post(
        "/intake/phone/", call(ticket_reference=ticket.reference, direction="outbound", phone="13700001111")
    )
    assert response.status_code == 302
    assert ticket.messages.get().kind == Message.Kind.NOTE


@pytest.mark.django_db
def test_invalid_call_keeps_the_form(client, agent):
    client.force_login(agent)
    response = client.post("/intake/phone/", call(phone="12", ticket_reference="CMP-ZZZZZZZZ"))
    assert response.status_code == 400
    assert {"phone", "ticket_reference"} <= set(response.context["form"].errors)
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_the_same_call_posted_twice_is_logged_once(client, agent):
    client.force_login(agent)
    data = call()
    client.post("/intake/phone/", data)
    client.post("/intake/phone/", data)
    assert Ticket.objects.count() == 1 and Message.objects.count() == 0


@pytest.mark.django_db
def test_the_desk_address_logs_a_call_too(client, agent):
    assert client.get("/desk/calls/new/").status_code == 302  # login first
    client.force_login(agent)
    assert client.get("/desk/calls/new/").status_code == 200
    response = client.post("/desk/calls/new/", call())
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and ticket.channel == "phone"


@pytest.mark.django_db
def test_a_call_added_to_another_teams_ticket_goes_back_to_the_queue_without_its_reference(client, agent):
    from tests.factories import TeamFactory, TicketFactory

    customer = CustomerFactory(phone="13912345678")
    elsewhere = TicketFactory(
        customer=customer,
        team=TeamFactory(slug="billing-desk"),
        subject="Charged for a cancelled plan",
        description="Caller says the old plan is still billed.",
    )
    client.force_login(agent)
    response = client.post("/intake/phone/", call(), follow=True)
    assert elsewhere.messages.get().kind == Message.Kind.CUSTOMER
    assert response.redirect_chain[-1][0] == "/desk/"
    # The reference of a ticket the agent cannot work on is not theirs to know (issue 15, item 4).
    page = response.content.decode()
    assert "The call was added to the caller&#x27;s ticket with another team." in page
    assert elsewhere.reference not in page
