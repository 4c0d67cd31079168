"""Issue 15 item 13: malformed or hostile input gets a clear answer and loses nothing.

A different mail reusing a stored Message-ID keeps its raw copy; a line break in a subject never
breaks staff mail; over-deep or NaN JSON is a 400 on the webhook and the API; a customer download
of a file missing from storage is a 404."""

import json
from email.message import EmailMessage

import pytest
import time_machine
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels_intake import services as intake_services
from channels_intake import webhooks
from channels_intake.models import InboundItem, Mailbox, WebhookChannel
from channels_intake.tokens import ticket_token
from complaints import attachments, notifications, services
from complaints.api.parsers import JSONRefused, loads_strict
from complaints.events import EventKind
from complaints.models import Message, Ticket
from tests.complaints.api_helpers import client_for, make_integration, ticket_payload
from tests.factories import AgentFactory, TeamFactory

SECRET = "s3cret-webhook-key"
NOW = 1_750_000_000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(
        name="Complaints",
        address="complaints@desk.example",
        host="127.0.0.1",
        port=143,
        security=Mailbox.Security.NONE,
        username="desk",
        password="secret",
    )


def mail_bytes(*, sender: str, subject: str, body: str, message_id: str, received: str = "") -> bytes:
    msg = EmailMessage()
    if received:
        msg["Received"] = received
    msg["From"] = sender
    msg["To"] = "complaints@desk.example"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0800"
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg.as_bytes()


# --- a stored Message-ID reused by a different mail --------------------------------------------------


@pytest.mark.django_db
def test_a_different_mail_reusing_a_stored_message_id_keeps_its_raw_copy_and_is_processed(mailbox):
    first_raw = mail_bytes(
        sender="Li Lei <lilei@example.com>",
        subject="Router broken",
        body="It blinks red.",
        message_id="<same@x>",
    )
    other_raw = mail_bytes(
        sender="Han Meimei <han@example.com>",
        subject="Wrong bill",
        body="I was billed for a plan I never ordered.",
        message_id="<same@x>",
    )
    first = intake_services.take_email(raw=first_raw, mailbox=mailbox)
    other = intake_services.take_email(raw=other_raw, mailbox=mailbox)
    assert other.pk != first.pk
    assert other.raw_bytes == other_raw and other.source_id.startswith("sha256:")
    assert other.state == InboundItem.State.PROCESSED
    assert other.ticket_id != first.ticket_id and other.ticket.subject == "Wrong bill"
    # The same mail once more is still one item, under its hash.
    assert intake_services.take_email(raw=other_raw, mailbox=mailbox).pk == other.pk
    assert InboundItem.objects.count() == 2 and Ticket.objects.count() == 2


@pytest.mark.django_db
def test_the_same_mail_fetched_from_a_second_mailbox_is_still_one_item(mailbox):
    kwargs = {
        "sender": "lilei@example.com",
        "subject": "Router broken",
        "body": "Red light.",
        "message_id": "<cc@x>",
    }
    first = intake_services.take_email(
        raw=mail_bytes(**kwargs, received="from mx1 by desk1"), mailbox=mailbox
    )
    copy = intake_services.take_email(raw=mail_bytes(**kwargs, received="from mx2 by desk2"), mailbox=mailbox)
    assert copy.pk == first.pk and InboundItem.objects.count() == 1 and Ticket.objects.count() == 1


@pytest.mark.django_db
def test_the_two_step_path_keeps_a_different_mail_under_a_reused_message_id_too(mailbox):
    a = mail_bytes(sender="a@example.com", subject="A", body="first mail", message_id="<reuse@x>")
    b = mail_bytes(sender="b@example.com", subject="B", body="second mail", message_id="<reuse@x>")
    first, created_a = intake_services.receive_email(raw=a, mailbox=mailbox)
    second, created_b = intake_services.receive_email(raw=b, mailbox=mailbox)
    assert created_a and created_b and first.pk != second.pk and second.raw_bytes == b


# --- header injection through a subject ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_line_break_in_a_subject_never_breaks_staff_notifications():
    team = TeamFactory()
    agent = AgentFactory(team=team, email="agent@staff.example.com")
    opened = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=services.CustomerDetails(name="Li", email="li@example.com"),
        subject="Broken router\r\nBcc: attacker@evil.example",
        description="It blinks red.",
        default_team=team,
    )
    ticket = Ticket.objects.get(pk=opened.ticket.pk)
    if ticket.assignee_id is None:
        services.assign(ticket_id=ticket.pk, actor=None, assignee=agent, version=None)
    services.add_message(ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Any news?")
    event = ticket.events.filter(kind=EventKind.CUSTOMER_MESSAGE).latest("pk")
    mail.outbox.clear()
    assert notifications.notify_staff_of_event(event_id=event.pk) == 1
    sent = mail.outbox[0].message()
    assert "\n" not in sent["Subject"] and "\r" not in sent["Subject"]
    assert sent["Bcc"] is None and "attacker@evil.example" not in sent.get_all("To", [])[0]


def test_header_text_removes_every_line_break_and_control_character():
    assert notifications.header_text("a\r\nb\nc\u2028d\x00e\x85f") == "a b c d e f"


# --- JSON: nesting and NaN --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 40 + "1" + "}" * 40, '{"x": NaN}', '{"x": -Infinity}']
)
def test_the_strict_loader_refuses_deep_nesting_and_nan(body):
    with pytest.raises(JSONRefused):
        loads_strict(body)


def test_the_strict_loader_reads_ordinary_json():
    assert loads_strict('{"a": [1, 2.5, {"b": null}], "c": "中文"}') == {
        "a": [1, 2.5, {"b": None}],
        "c": "中文",
    }


@pytest.fixture
def channel(db):
    return WebhookChannel.objects.create(slug="app", name="Mobile app", channel="app", secret=SECRET)


def push(client, body: bytes):
    headers = {
        "HTTP_X_TIMESTAMP": str(NOW),
        "HTTP_X_SIGNATURE": webhooks.sign(secret=SECRET, timestamp=str(NOW), body=body),
        "HTTP_IDEMPOTENCY_KEY": "k-1",
    }
    with time_machine.travel(NOW, tick=False):
        return client.post("/intake/webhooks/app/", body, content_type="application/json", **headers)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"user_id": "u-1", "description": NaN}',
        b'{"user_id": "u-1", "description": Infinity}',
        b'{"user_id": "u-1", "description": "x", "extra": ' + b"[" * 50 + b"]" * 50 + b"}",
    ],
    ids=["deep-array", "nan", "infinity", "deep-field"],
)
@pytest.mark.django_db
def test_a_signed_webhook_with_unusable_json_is_a_400_json_answer_and_opens_nothing(client, channel, body):
    response = push(client, body)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "invalid_json"
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"subject": NaN}',
        json.dumps({"x": 1}).encode()[:-1] + b', "y": Infinity}',
    ],
    ids=["deep", "nan", "infinity"],
)
@pytest.mark.django_db
def test_the_api_answers_400_json_to_deep_or_nan_bodies(body):
    client = client_for(make_integration())
    response = client.post("/api/v1/tickets/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_the_api_still_opens_a_ticket_from_ordinary_json():
    client = client_for(make_integration())
    response = client.post("/api/v1/tickets/", ticket_payload(), format="json")
    assert response.status_code == 201, response.content


# --- a customer download of a file that is gone ----------------------------------------------------


@pytest.mark.django_db
def test_a_customer_download_of_a_missing_file_is_a_404(client):
    opened = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=services.CustomerDetails(name="Li", email="li@example.com"),
        subject="Photo of the damage",
        description="See the photo.",
        files=attachments.check_uploads([SimpleUploadedFile("damage.png", PNG, content_type="image/png")]),
    )
    ticket = opened.ticket
    stored = ticket.attachments.get()
    url = reverse("public:ticket_attachment", args=[ticket_token(ticket), stored.pk])
    assert client.get(url).status_code == 200
    default_storage.delete(stored.file.name)
    assert client.get(url).status_code == 404


# --- errors Django raises before DRF sees the request ----------------------------------------------


@pytest.mark.django_db
def test_an_unknown_api_path_is_a_404_in_json_and_a_page_elsewhere(client):
    response = client.get("/api/v1/tickets/..%2F..%2Fetc%2Fpasswd/nothing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_an_api_body_over_the_upload_limit_is_a_413_in_json(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = client_for(make_integration())
    body = json.dumps(ticket_payload(description="长" * 2000)).encode()
    response = client.post("/api/v1/tickets/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("timestamp", ["9" * 400, "1" * 13, "-" + "9" * 30])
@pytest.mark.django_db
def test_an_absurd_webhook_timestamp_is_refused_before_the_signature(client, channel, timestamp):
    response = client.post(
        "/intake/webhooks/app/",
        b"{}",
        content_type="application/json",
        HTTP_X_TIMESTAMP=timestamp,
        HTTP_X_SIGNATURE="00",
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "timestamp_invalid"


@pytest.mark.parametrize(
    "path", ["/faq/?q=%00", "/api/v1/tickets/CMP-%00/", "/desk/tickets/CMP-%00/", "/track/?reference=%00"]
)
@pytest.mark.django_db
def test_a_nul_in_the_address_is_a_400_not_a_server_error(client, path):
    response = client.get(path)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.django_db
def test_a_bulk_assignment_to_a_non_number_is_refused_per_ticket(client, supervisor, team):
    from tests.factories import TicketFactory

    ticket = TicketFactory(team=team)
    client.force_login(supervisor)
    response = client.post(
        "/desk/bulk/",
        {"action": "assign", "assignee": "abc", "tickets": [f"{ticket.reference}:{ticket.version}"]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Choose whom to assign the tickets to." in response.content.decode()
