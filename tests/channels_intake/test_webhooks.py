"""Signed JSON webhooks /intake/webhooks/<slug>/: signature, replay window, idempotency, payload errors."""

import json

import pytest
import time_machine

from channels_intake import webhooks
from channels_intake.models import CustomerIdentity, InboundItem, WebhookChannel
from complaints.models import Ticket

SECRET = "s3cret-webhook-key"
NOW = 1_750_000_000


@pytest.fixture
def channel(db):
    return WebhookChannel.objects.create(slug="app", name="Mobile app", channel="app", secret=SECRET)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def push(client, payload, *, slug="app", timestamp=NOW, key="key-1", secret=SECRET, signature=None, raw=None):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    headers = {"HTTP_X_TIMESTAMP": str(timestamp)}
    headers["HTTP_X_SIGNATURE"] = signature or webhooks.sign(
        secret=secret, timestamp=str(timestamp), body=body
    )
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(f"/intake/webhooks/{slug}/", body, content_type="application/json", **headers)


PAYLOAD = {
    "user_id": "u-42",
    "name": "李雷",
    "phone": "13912345678",
    "subject": "App crashes on payment",
    "description": "The app crashes every time I pay.",
    "order_number": "ORD-9",
}


@pytest.mark.django_db
def test_signed_push_opens_a_ticket_and_answers_202_with_the_reference(client, channel):
    response = push(client, PAYLOAD)
    assert response.status_code == 202
    ticket = Ticket.objects.get()
    assert response.json() == {
        "reference": ticket.reference,
        "status": "new",
        "result": "ticket_opened",
        "replayed": False,
    }
    assert ticket.channel == "app" and ticket.order_number == "ORD-9"
    assert CustomerIdentity.objects.get(channel="app").customer == ticket.customer


@pytest.mark.django_db
def test_same_idempotency_key_is_one_ticket(client, channel):
    first = push(client, PAYLOAD)
    second = push(client, PAYLOAD)
    assert second.status_code == 202 and second.json()["replayed"] is True
    assert first.json()["reference"] == second.json()["reference"]
    assert Ticket.objects.count() == 1 and InboundItem.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_409(client, channel):
    push(client, PAYLOAD)
    response = push(client, {**PAYLOAD, "description": "Something else"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"


@pytest.mark.django_db
def test_a_missigned_push_is_401(client, channel):
    response = push(client, PAYLOAD, secret="wrong-secret")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"
    missing = client.post("/intake/webhooks/app/", b"{}", content_type="application/json")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "signature_missing"
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_a_replay_outside_the_window_is_refused(client, channel):
    response = push(client, PAYLOAD, timestamp=NOW - 301)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "timestamp_out_of_window"
    assert push(client, PAYLOAD, timestamp=NOW - 299).status_code == 202


@pytest.mark.django_db
def test_a_body_altered_after_signing_is_refused(client, channel):
    body = json.dumps(PAYLOAD).encode()
    signature = webhooks.sign(secret=SECRET, timestamp=str(NOW), body=body)
    response = push(client, None, raw=body.replace(b"crashes", b"works"), signature=signature)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"not json", None),
        (b"[1, 2]", None),
        (json.dumps({"user_id": "u"}).encode(), "description"),
        (json.dumps({"description": "x"}).encode(), "__all__"),
        (json.dumps({**PAYLOAD, "email": "not-an-email"}).encode(), "email"),
        (json.dumps({**PAYLOAD, "description": {"nested": True}}).encode(), "description"),
        (json.dumps({**PAYLOAD, "reference": "CMP-123"}).encode(), "reference"),
    ],
)
@pytest.mark.django_db
def test_invalid_payloads_are_400_json_naming_the_problem(client, channel, raw, field):
    response = push(client, None, raw=raw)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"]
    if field:
        assert field in error["fields"]
    # Signed, so kept raw and failed for the supervisors; the Idempotency-Key stays free.
    item = InboundItem.objects.get()
    assert item.state == "failed" and item.raw == raw.decode() and item.source_id.startswith("refused:")
    assert Ticket.objects.count() == 0
    assert push(client, PAYLOAD).status_code == 202


@pytest.mark.django_db
def test_a_forged_push_is_not_kept(client, channel):
    assert push(client, None, raw=b"not json", secret="guessed").status_code == 401
    assert InboundItem.objects.count() == 0


@pytest.mark.django_db
def test_a_huge_body_is_413(client, channel):
    big = {**PAYLOAD, "description": "x" * 300_000}
    response = push(client, big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_unknown_channel_is_404_json(client, channel):
    response = push(client, PAYLOAD, slug="weibo-bridge")
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_channel"


@pytest.mark.django_db
def test_get_is_not_allowed(client, channel):
    assert client.get("/intake/webhooks/app/").status_code == 405


@pytest.mark.django_db
def test_a_push_naming_a_ticket_adds_a_message(client, channel):
    reference = push(client, PAYLOAD).json()["reference"]
    # The reference is honoured for the app user the ticket was opened for (tests/security/).
    response = push(
        client,
        {"user_id": PAYLOAD["user_id"], "reference": reference, "description": "Still crashing"},
        key="key-2",
    )
    assert response.status_code == 202 and response.json()["result"] == "message_added"
    assert Ticket.objects.get().messages.get().body == "Still crashing"


@pytest.mark.django_db
def test_a_push_naming_an_unknown_ticket_is_400_and_kept(client, channel):
    response = push(client, {"reference": "CMP-ABCDEFGH", "description": "hello"}, key="k3")
    assert response.status_code == 400
    assert InboundItem.objects.get().state == "failed"


@pytest.mark.django_db
def test_script_tags_are_stripped_from_pushed_text(client, channel):
    push(client, {**PAYLOAD, "description": "<script>alert(1)</script>Crash"})
    assert "<script" not in Ticket.objects.get().description


@pytest.mark.django_db
def test_the_same_app_user_is_the_same_customer(client, channel):
    push(client, {"user_id": "u-7", "description": "First problem with login"}, key="a")
    push(client, {"user_id": "u-7", "description": "Another thing: billing shows wrong plan"}, key="b")
    assert len({t.customer_id for t in Ticket.objects.all()}) == 1
