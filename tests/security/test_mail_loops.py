"""Issue 15 item 8: automatic mail is never answered, our own mail coming back is recognised, and a
flood of repeats (an out-of-office without loop markers) is acknowledged once per ticket and window."""

from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy

import pytest
import time_machine
from django.core import mail

from channels_intake import outbound, services
from channels_intake.models import InboundItem, Mailbox, OutboundMessage
from complaints.models import Ticket


@pytest.fixture(autouse=True)
def _queued_deliveries(deliveries):
    """Every test here queues its deliveries (tests/conftest.py): none is sent unless `run()`."""
    return deliveries


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


def mail_from_customer(
    *,
    subject: str = "Broadband down since Monday",
    body: str = "My broadband has been down since Monday and nobody answers the hotline.",
    sender: str = "Wang Fang <wangfang@example.com>",
    message_id: str = "<w1@client.example>",
    **headers: str,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@desk.example"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


@pytest.mark.parametrize(
    "headers",
    [
        {"X_Loop": "helpdesk@partner.example"},
        {"X_RT_Loop_Prevention": "Partner RT"},
        {"X_OTRS_Loop": "yes"},
        {"List_Unsubscribe": "<mailto:leave@news.example>"},
        {"X_Complaint_Desk_Loop": "127.0.0.1"},
        {"X_Failed_Recipients": "gone@example.com"},
    ],
    ids=["x-loop", "rt", "otrs", "list-unsubscribe", "our-own-marker", "failed-recipients"],
)
@pytest.mark.django_db
def test_mail_with_a_loop_marker_is_recorded_and_never_answered(
    mailbox, headers, django_capture_on_commit_callbacks, deliveries
):
    with django_capture_on_commit_callbacks(execute=True):
        item = services.take_email(raw=mail_from_customer(**headers), mailbox=mailbox)
    deliveries.run()
    assert item.state == InboundItem.State.IGNORED and item.error.startswith("Not answered")
    assert Ticket.objects.count() == 0 and mail.outbox == []


@pytest.mark.django_db
def test_a_message_id_on_our_own_domain_is_our_mail_coming_back(
    mailbox, settings, django_capture_on_commit_callbacks, deliveries
):
    settings.INTAKE = {**settings.INTAKE, "MESSAGE_ID_DOMAIN": "desk.example"}
    with django_capture_on_commit_callbacks(execute=True):
        item = services.take_email(
            raw=mail_from_customer(message_id="<1764.42@Desk.Example>"), mailbox=mailbox
        )
    deliveries.run()
    assert item.state == InboundItem.State.IGNORED and "Message-ID" in item.error
    assert mail.outbox == []


@pytest.mark.django_db
def test_our_mail_carries_our_loop_markers_and_is_never_answered_when_it_comes_back_rewritten(
    mailbox, django_capture_on_commit_callbacks, deliveries
):
    with django_capture_on_commit_callbacks(execute=True):
        services.take_email(raw=mail_from_customer(), mailbox=mailbox)
    deliveries.run()
    ack = BytesParser(policy=default_policy).parsebytes(mail.outbox[0].message().as_bytes())
    assert ack["X-Loop"] == "complaints@desk.example"
    assert ack["X-Complaint-Desk-Loop"] == "127.0.0.1"
    mail.outbox.clear()
    # A forwarder that re-sends it with its own sender and Message-ID but keeps the other headers.
    ack.replace_header("From", "Forwarder <fwd@partner.example>")
    ack.replace_header("Message-ID", "<fwd-1@partner.example>")
    del ack["Auto-Submitted"]
    del ack["X-Auto-Response-Suppress"]
    with django_capture_on_commit_callbacks(execute=True):
        looped = services.take_email(raw=ack.as_bytes(), mailbox=mailbox)
    deliveries.run()
    assert looped.state == InboundItem.State.IGNORED
    assert Ticket.objects.count() == 1 and mail.outbox == []


@pytest.mark.django_db
def test_twenty_five_identical_out_of_office_mails_are_acknowledged_once(
    mailbox, settings, django_capture_on_commit_callbacks, deliveries
):
    # The sender cap is not what stops them here: the acknowledgement window is.
    settings.INTAKE = {**settings.INTAKE, "EMAIL_SENDER_HOURLY_LIMIT": 1000}
    with time_machine.travel("2026-03-02 10:00:00+08:00", tick=False) as clock:
        for n in range(25):
            raw = mail_from_customer(
                subject="Out of office: Broadband down since Monday",
                body="I am out of the office until Friday and will read your mail then.",
                sender="Zhao Lei <zhaolei@example.com>",
                message_id=f"<ooo-{n}@client.example>",
            )
            with django_capture_on_commit_callbacks(execute=True):
                item = services.take_email(raw=raw, mailbox=mailbox)
            assert item.state == InboundItem.State.PROCESSED
            clock.shift(30)
    deliveries.run()
    assert Ticket.objects.count() == 1
    assert OutboundMessage.objects.filter(purpose=OutboundMessage.Purpose.ACKNOWLEDGEMENT).count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_repeat_after_the_window_is_acknowledged_again(
    mailbox, settings, django_capture_on_commit_callbacks, deliveries
):
    settings.INTAKE = {**settings.INTAKE, "ACK_WINDOW_SECONDS": 3600}
    with time_machine.travel("2026-03-02 10:00:00+08:00", tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            services.take_email(raw=mail_from_customer(message_id="<a1@client.example>"), mailbox=mailbox)
        clock.shift(2 * 3600)
        with django_capture_on_commit_callbacks(execute=True):
            services.take_email(raw=mail_from_customer(message_id="<a2@client.example>"), mailbox=mailbox)
    deliveries.run()
    assert Ticket.objects.count() == 1
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_the_unique_key_decides_when_an_acknowledgement_of_the_window_already_exists(
    mailbox, django_capture_on_commit_callbacks, deliveries
):
    """No check-then-act: a delivery another transaction committed under the window's key wins."""
    with time_machine.travel("2026-03-02 10:00:00+08:00", tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            first = services.take_email(raw=mail_from_customer(), mailbox=mailbox)
        ticket = first.ticket
        event = ticket.events.get(kind="opened")
        # queue_acknowledgement for a repeat of the same ticket: the INSERT fails on the key, quietly.
        event.kind = "repeat_folded"
        with django_capture_on_commit_callbacks(execute=True):
            outbound.queue_acknowledgement(ticket=ticket, event=event)
        assert OutboundMessage.objects.filter(ticket=ticket).count() == 1
        assert OutboundMessage.objects.get().key == outbound.acknowledgement_key(ticket)
