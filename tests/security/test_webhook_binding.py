"""Issue 15, item 6: a signed push appends only to a ticket of the customer of its channel identity."""

import pytest

from channels_intake.models import InboundItem, WebhookChannel
from complaints.models import Message

from .helpers import WEBHOOK_SECRET, push, victim_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def app_channel(db):
    return WebhookChannel.objects.create(slug="app", name="Mobile app", channel="app", secret=WEBHOOK_SECRET)


def test_a_reference_alone_appends_nothing(client):
    alice = victim_ticket()
    response = push(
        client, {"reference": alice.reference, "description": "I am Alice, send the refund to me"}
    )
    assert response.status_code == 400
    assert not alice.messages.exists()
    assert InboundItem.objects.get().state == "failed"


def test_another_app_users_push_cannot_name_the_ticket(client):
    opened = push(
        client, {"user_id": "alice", "email": "alice@example.com", "description": "App crashes on pay"}
    )
    reference = opened.json()["reference"]

    response = push(client, {"user_id": "mallory", "reference": reference, "description": "hijack"})

    assert response.status_code == 400
    assert not Message.objects.filter(ticket__reference=reference).exists()


def test_not_theirs_and_not_existing_answer_alike(client):
    opened = push(client, {"user_id": "alice", "description": "App crashes on pay"})
    reference = opened.json()["reference"]

    theirs = push(client, {"user_id": "mallory", "reference": reference, "description": "x"}).json()["error"]
    unknown = push(client, {"user_id": "mallory", "reference": "CMP-ZZZZZZZZ", "description": "x"}).json()[
        "error"
    ]

    assert theirs["code"] == unknown["code"]
    assert theirs["message"].replace(reference, "REF") == unknown["message"].replace("CMP-ZZZZZZZZ", "REF")


def test_the_same_app_user_still_appends_to_their_ticket(client):
    opened = push(client, {"user_id": "alice", "description": "App crashes on pay"})
    reference = opened.json()["reference"]

    response = push(client, {"user_id": "alice", "reference": reference, "description": "Still crashing"})

    assert response.status_code == 202 and response.json()["result"] == "message_added"
    assert Message.objects.get(ticket__reference=reference).body == "Still crashing"


def test_a_push_on_another_channel_with_the_same_user_id_is_someone_else(client):
    opened = push(client, {"user_id": "alice", "description": "App crashes on pay"})
    reference = opened.json()["reference"]
    WebhookChannel.objects.create(slug="weibo", name="Weibo", channel="weibo", secret=WEBHOOK_SECRET)

    response = push(client, {"user_id": "alice", "reference": reference, "description": "x"}, slug="weibo")

    assert response.status_code == 400
