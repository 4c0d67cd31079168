"""Replies, status updates and survey links POSTed to an app's or Weibo's callback URL as signed JSON
(issue 20), against a local HTTP server that checks the signature itself."""

import hashlib
import hmac
import json
import socket
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from channels_intake import callbacks, outbound, tasks, webhooks
from channels_intake.models import OutboundMessage, WebhookChannel
from complaints import services as complaint_services
from complaints.models import Resolution, Ticket
from feedback import services as feedback_services
from feedback.models import Survey
from tests.factories import RootCauseFactory

from .fake_platforms import start_callback_receiver

SECRET = "s3cret-webhook-key"


@pytest.fixture
def receiver():
    server = start_callback_receiver(secret=SECRET)
    yield server
    server.server.shutdown()


@pytest.fixture
def channel(db, receiver):
    # The receiver listens on loopback: this channel is explicitly allowed a private callback.
    return WebhookChannel.objects.create(
        slug="app",
        name="Mobile app",
        channel="app",
        secret=SECRET,
        callback_url=receiver.url,
        callback_private_allowed=True,
    )


def push(client, payload, *, key="key-1", slug="app"):
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(timezone.now().timestamp()))
    return client.post(
        f"/intake/webhooks/{slug}/",
        body,
        content_type="application/json",
        HTTP_X_TIMESTAMP=timestamp,
        HTTP_X_SIGNATURE=webhooks.sign(secret=SECRET, timestamp=timestamp, body=body),
        HTTP_IDEMPOTENCY_KEY=key,
    )


def open_app_ticket(client, captured, agent) -> Ticket:
    """A ticket of an app user known only by their user id, in the agent's team."""
    with captured(execute=True):
        response = push(client, {"user_id": "u-42", "description": "支付时闪退"})
    assert response.status_code == 202
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(team=agent.memberships.first().team)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.django_db
def test_replies_reach_a_user_known_only_by_their_id_signed(
    client, channel, agent, receiver, deliveries, django_capture_on_commit_callbacks
):
    ticket = open_app_ticket(client, django_capture_on_commit_callbacks, agent)
    assert ticket.customer.email == "" and ticket.customer.phone == ""
    with django_capture_on_commit_callbacks(execute=True):
        complaint_services.add_message(ticket_id=ticket.pk, actor=agent, kind="reply", body="<b>已修复</b>")
    deliveries.run()
    events = [r["event"] for r in receiver.received]
    assert events == ["acknowledgement", "reply"] and receiver.refused == []
    reply = receiver.received[-1]
    assert reply["user_id"] == "u-42" and reply["reference"] == ticket.reference
    assert reply["message"]["body"] == "已修复" and "已修复" in reply["text"]
    assert len(reply["_idempotency_key"]) == 32 and reply["_idempotency_key"] == reply["id"]
    assert OutboundMessage.objects.get(purpose="reply").transport == "callback"


@pytest.mark.django_db
def test_status_updates_and_survey_links_go_to_the_callback(
    client, channel, agent, receiver, deliveries, django_capture_on_commit_callbacks, settings
):
    ticket = open_app_ticket(client, django_capture_on_commit_callbacks, agent)
    with django_capture_on_commit_callbacks(execute=True):
        complaint_services.acknowledge(ticket_id=ticket.pk, actor=agent, version=ticket.version)
    ticket.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        complaint_services.resolve(
            ticket_id=ticket.pk,
            actor=agent,
            version=ticket.version,
            root_cause=RootCauseFactory(),
            steps_taken="修复了支付模块",
            remedy=Resolution.Remedy.NONE,
        )
    survey = Survey.objects.get(ticket=ticket)
    assert survey.channel == Survey.Channel.CUSTOMER_CHANNEL
    # Noon in the customers' time zone three days on: due, and outside any quiet hours.
    noon = (timezone.now() + timedelta(days=3)).astimezone(ZoneInfo(settings.TIME_ZONE))
    with django_capture_on_commit_callbacks(execute=True):
        feedback_services.send_due_surveys(
            now=datetime.combine(noon.date(), noon.time().replace(hour=12), noon.tzinfo)
        )
    deliveries.run()
    kinds = [r["event"] for r in receiver.received]
    assert kinds == ["acknowledgement", "status", "resolution", "survey"]
    assert receiver.received[1]["status"] == "acknowledged"
    assert (
        receiver.received[-1]["survey_url"].startswith("http")
        and "/survey" in receiver.received[-1]["survey_url"]
    )
    survey.refresh_from_db()
    assert survey.state == Survey.State.SENT


@pytest.mark.django_db
def test_a_500_is_retried_with_backoff_and_the_same_idempotency_key(
    client, channel, agent, receiver, deliveries, django_capture_on_commit_callbacks
):
    ticket = open_app_ticket(client, django_capture_on_commit_callbacks, agent)
    deliveries.run()
    receiver.received.clear()
    receiver.fail_times = 1
    with django_capture_on_commit_callbacks(execute=True):
        complaint_services.add_message(ticket_id=ticket.pk, actor=agent, kind="reply", body="稍等")
    delivery_id = deliveries.queued[0]
    with pytest.raises(callbacks.CallbackError):
        deliveries.run()
    delivery = OutboundMessage.objects.get(pk=delivery_id)
    assert delivery.state == "queued" and "500" in delivery.last_error
    # The worker's retry (the task retries OSError with exponential backoff).
    assert issubclass(callbacks.CallbackError, tasks.send_delivery.autoretry_for)
    assert tasks.send_delivery.retry_backoff
    outbound.send_delivery(delivery_id=delivery_id)
    assert OutboundMessage.objects.get(pk=delivery_id).state == "sent"
    assert receiver.attempts == 3 and len(receiver.received) == 1


@pytest.mark.django_db
def test_a_loopback_callback_is_refused_unless_the_channel_allows_it(
    client, channel, agent, receiver, deliveries, django_capture_on_commit_callbacks, settings
):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    WebhookChannel.objects.filter(pk=channel.pk).update(callback_private_allowed=False)
    open_app_ticket(client, django_capture_on_commit_callbacks, agent)
    deliveries.run()
    delivery = OutboundMessage.objects.get()
    assert delivery.state == "failed" and "not allowed" in delivery.last_error
    assert receiver.attempts == 0


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "169.254.169.254", "192.168.0.10", "[::1]", "[fe80::1]", "100.64.0.1", "0.0.0.0"],  # noqa: S104
)
@pytest.mark.django_db
def test_private_and_link_local_callbacks_are_refused_before_connecting(address, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    channel = WebhookChannel.objects.create(
        slug="x", name="x", channel="app", secret=SECRET, callback_url=f"http://{address}/cb"
    )
    # "not allowed", or on a machine without IPv6 "could not connect": refused either way, never tried.
    with pytest.raises(callbacks.CallbackRefused):
        callbacks.post(channel=channel, payload={"event": "reply"}, key="k")


@pytest.mark.django_db
def test_a_host_name_resolving_to_a_private_address_is_refused(settings, monkeypatch):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "app.example.com":
            # One public and one private answer: every address must be public.
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 443)),
            ]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    channel = WebhookChannel.objects.create(
        slug="x", name="x", channel="app", secret=SECRET, callback_url="https://app.example.com/cb"
    )
    with pytest.raises(callbacks.CallbackRefused, match="not allowed"):
        callbacks.post(channel=channel, payload={"event": "reply"}, key="k")


@pytest.mark.django_db
def test_a_redirect_is_not_followed(db):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        channel = WebhookChannel.objects.create(
            slug="x",
            name="x",
            channel="app",
            secret=SECRET,
            callback_url=f"http://127.0.0.1:{server.server_address[1]}/cb",
            callback_private_allowed=True,
        )
        with pytest.raises(callbacks.CallbackRefused, match="redirect"):
            callbacks.post(channel=channel, payload={"event": "reply"}, key="k")
    finally:
        server.shutdown()


@pytest.mark.django_db
def test_without_a_callback_url_replies_go_by_email_as_before(
    client, channel, agent, deliveries, django_capture_on_commit_callbacks
):
    WebhookChannel.objects.filter(pk=channel.pk).update(callback_url="")
    with django_capture_on_commit_callbacks(execute=True):
        push(client, {"user_id": "u-7", "email": "li@example.com", "description": "闪退"})
    assert OutboundMessage.objects.get().transport == "email"


@pytest.mark.django_db
def test_the_callback_body_is_signed_over_timestamp_and_body():
    body = b'{"a": 1}'
    expected = hmac.new(b"k", b"10." + body, hashlib.sha256).hexdigest()
    assert webhooks.sign(secret="k", timestamp="10", body=body) == expected


@pytest.mark.django_db
def test_a_callback_server_that_is_down_is_retried_not_failed(settings):
    from .servers import free_port

    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    channel = WebhookChannel.objects.create(
        slug="x", name="x", channel="app", secret=SECRET, callback_url=f"http://127.0.0.1:{free_port()}/cb"
    )
    with pytest.raises(callbacks.CallbackError):
        callbacks.post(channel=channel, payload={"event": "reply"}, key="k")
