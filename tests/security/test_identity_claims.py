"""Issue 15, item 1: a claimed contact detail is not proof of identity, on every channel."""

import pytest
from django.core import mail

from channels_intake.models import CustomerIdentity, OutboundMessage, WebhookChannel
from channels_intake.tokens import customer_ticket_url
from complaints import services
from complaints.models import Message, Ticket
from complaints.services import CustomerDetails
from tests.complaints.api_helpers import client_for, make_integration, ticket_payload

from .helpers import (
    DESCRIPTION,
    SUBJECT,
    VICTIM_EMAIL,
    VICTIM_PHONE,
    WEBHOOK_SECRET,
    form_data,
    push,
    victim_ticket,
)

pytestmark = pytest.mark.django_db


def _done_page(client, data: dict) -> str:
    response = client.post("/submit/", data, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/submit/done/"
    return response.content.decode()


def test_a_web_form_repeat_with_the_victims_email_shows_nothing_of_her_ticket(client):
    alice = victim_ticket()

    page = _done_page(client, form_data(description=DESCRIPTION + " Please call me back."))

    assert alice.reference not in page
    assert customer_ticket_url(alice).split("/t/")[1] not in page
    assert "/t/" not in page
    assert "on file" in page
    # Nothing is lost: the text is on Alice's ticket, whose acknowledgement goes to her own contact.
    assert Ticket.objects.count() == 1
    assert alice.messages.get(kind=Message.Kind.CUSTOMER).body.endswith("Please call me back.")


def test_a_new_complaint_in_a_known_customers_name_names_no_ticket_either(client):
    victim_ticket()

    page = _done_page(client, form_data(subject="Refund for my order", description="Refund order 77 please."))

    newest = Ticket.objects.order_by("-pk").first()
    assert newest.reference not in page and "/t/" not in page


def test_a_first_time_customer_still_sees_the_reference_and_link(client):
    page = _done_page(client, form_data(email="new.person@example.com"))

    ticket = Ticket.objects.get()
    assert ticket.reference in page and "/t/" in page


def test_an_integration_repeating_another_accounts_ticket_learns_nothing_of_it():
    shop = client_for(make_integration("shop-app"))
    first = shop.post("/api/v1/tickets/", ticket_payload(), format="json").json()
    attacker = client_for(make_integration("attacker-app"))

    response = attacker.post(
        "/api/v1/tickets/", ticket_payload(customer={"phone": "+86 138-0013-8000"}), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    text = response.content.decode()
    assert first["reference"] not in text
    assert body["is_repeat"] is False and body["repeat_of"] is None and body["customer"] is None
    assert "138****" not in text and "李" not in text
    for path in ("", "messages/", "events/"):
        assert attacker.get(f"/api/v1/tickets/{first['reference']}/{path}").status_code == 404
    listed = attacker.get("/api/v1/tickets/").json()["results"]
    assert [t["reference"] for t in listed] == [body["reference"]]


def test_an_integration_never_follows_a_ticket_its_complaint_was_folded_into():
    # A ticket opened elsewhere (the web form), repeated by an integration with the same contact.
    alice = victim_ticket()
    partner = client_for(make_integration())

    response = partner.post(
        "/api/v1/tickets/",
        ticket_payload(
            customer={"email": VICTIM_EMAIL}, category=None, subject=SUBJECT, description=DESCRIPTION
        ),
        format="json",
    )

    assert alice.reference not in response.content.decode()
    assert partner.get(f"/api/v1/tickets/{alice.reference}/messages/").status_code == 404


@pytest.fixture
def app_channel(db):
    return WebhookChannel.objects.create(slug="app", name="Mobile app", channel="app", secret=WEBHOOK_SECRET)


def test_a_push_folded_by_a_claimed_email_answers_without_the_ticket(client, app_channel):
    alice = victim_ticket()

    response = push(client, {"email": VICTIM_EMAIL, "subject": SUBJECT, "description": DESCRIPTION})

    assert response.status_code == 202
    assert alice.reference not in response.content.decode()
    assert response.json()["result"] == "received"


def test_a_new_app_user_claiming_the_victims_contact_is_not_tied_to_her(client, app_channel):
    alice = victim_ticket()

    response = push(
        client, {"user_id": "mallory", "phone": VICTIM_PHONE, "subject": SUBJECT, "description": DESCRIPTION}
    )

    assert response.status_code == 202
    assert alice.reference not in response.content.decode()
    identity = CustomerIdentity.objects.get(external_id__endswith=":mallory")
    assert identity.customer_id != alice.customer_id
    assert not alice.messages.exists()


def test_claiming_a_phone_only_customers_number_adds_nothing_to_her_record(
    client, deliveries, django_capture_on_commit_callbacks, settings
):
    settings.DEBUG = True  # the console SMS backend delivers only in development
    grace = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.PHONE,
        customer=CustomerDetails(name="Grace Wilson", phone=VICTIM_PHONE, language="en"),
        subject="No signal at home",
        description="For a week my phone has had no signal at home.",
    ).ticket
    deliveries.run()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _done_page(
            client,
            form_data(
                name="Mallory",
                phone=VICTIM_PHONE,
                email="attacker@evil.test",
                subject="hello",
                description="x y",
            ),
        )
        api = client_for(make_integration())
        api.post(
            "/api/v1/tickets/",
            ticket_payload(customer={"name": "Z", "phone": VICTIM_PHONE, "email": "api@evil.test"}),
            format="json",
        )
    deliveries.run()

    grace.customer.refresh_from_db()
    assert (grace.customer.email, grace.customer.name) == ("", "Grace Wilson")
    assert grace.customer.preferred_language == "en"
    # Every mail about her tickets goes where it went before: nowhere by e-mail, her phone by SMS.
    assert not [m for m in mail.outbox if {"attacker@evil.test", "api@evil.test"} & set(m.to)]
    assert (
        OutboundMessage.objects.filter(ticket__customer=grace.customer)
        .exclude(transport=OutboundMessage.Transport.SMS)
        .count()
        == 0
    )
