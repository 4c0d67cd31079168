"""Issue 15, item 16: a reference (40 random bits) is never enough on its own to do anything."""

import pytest

from channels_intake.models import WebhookChannel
from complaints.models import Message
from tests.complaints.api_helpers import client_for, make_integration

from .helpers import WEBHOOK_SECRET, push, victim_ticket

pytestmark = pytest.mark.django_db


def test_the_track_page_needs_the_contact_given_at_submission(client):
    alice = victim_ticket()
    response = client.post("/track/", {"reference": alice.reference, "contact": "mallory@example.com"})
    assert "/t/" not in response.content.decode()


def test_the_ticket_page_needs_the_signed_token_not_the_reference(client):
    alice = victim_ticket()
    assert client.get(f"/t/{alice.reference}/").status_code == 404


def test_the_api_needs_an_account_that_may_see_it(client):
    alice = victim_ticket()
    assert client.get(f"/api/v1/tickets/{alice.reference}/").status_code in (401, 403)
    assert client_for(make_integration()).get(f"/api/v1/tickets/{alice.reference}/").status_code == 404


def test_the_desk_needs_a_login_and_visibility(client):
    alice = victim_ticket()
    response = client.get(f"/desk/tickets/{alice.reference}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_signed_push_needs_the_identity_the_ticket_belongs_to(client):
    WebhookChannel.objects.create(slug="app", name="Mobile app", channel="app", secret=WEBHOOK_SECRET)
    alice = victim_ticket()
    assert push(client, {"reference": alice.reference, "description": "x"}).status_code == 400
    assert (
        push(client, {"user_id": "u1", "reference": alice.reference, "description": "x"}).status_code == 400
    )
    assert not Message.objects.filter(ticket=alice).exists()


def test_a_mail_quoting_the_reference_from_another_sender_opens_its_own_ticket():
    from channels_intake import mailparse
    from channels_intake.services import find_thread

    alice = victim_ticket()
    raw = (
        f"From: mallory@example.com\r\nTo: help@example.com\r\nSubject: [{alice.reference}] hello\r\n"
        "Message-ID: <m1@example.com>\r\n\r\nIt is me.\r\n"
    ).encode()
    assert find_thread(mailparse.parse(raw)) is None
