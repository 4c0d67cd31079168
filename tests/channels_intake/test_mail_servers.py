"""End to end against real servers: Dovecot (IMAP in) and aiosmtpd (SMTP out)."""

import imaplib
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from django.core.management import call_command

from channels_intake import imap, outbound, tasks
from channels_intake.models import InboundItem, Mailbox, OutboundMessage
from complaints import services as complaint_services
from complaints.models import Message, Ticket

pytestmark = pytest.mark.e2e


def customer_mail(
    *, subject: str, body: str, message_id: str, sender: str = "Han Meimei <han@example.com>", **headers: str
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


def imap_client(dovecot) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", dovecot.port)
    client.login(dovecot.user, dovecot.password)
    return client


def append(dovecot, *messages: bytes) -> None:
    client = imap_client(dovecot)
    for raw in messages:
        assert client.append("INBOX", None, None, raw)[0] == "OK"
    client.logout()


def unseen_and_total(dovecot, folder: str = "INBOX") -> tuple[int, int]:
    client = imap_client(dovecot)
    client.select(folder)
    unseen = len(client.uid("SEARCH", None, "UNSEEN")[1][0].split())
    total = len(client.uid("SEARCH", None, "ALL")[1][0].split())
    client.logout()
    return unseen, total


@pytest.fixture
def mailbox(db, dovecot):
    return Mailbox.objects.create(
        name="Complaints",
        address="complaints@desk.example",
        host="127.0.0.1",
        port=dovecot.port,
        security=Mailbox.Security.NONE,
        username=dovecot.user,
        password=dovecot.password,
    )


@pytest.mark.django_db
def test_poll_reads_new_mail_opens_tickets_and_flags_only_after_commit(dovecot, mailbox, capsys):
    append(
        dovecot,
        customer_mail(
            subject="Refund not received",
            body="I was promised a refund two weeks ago.",
            message_id="<c1@example.com>",
        ),
        customer_mail(
            subject="Out of office",
            body="I am away",
            message_id="<c2@example.com>",
            sender="bot@example.com",
            Auto_Submitted="auto-replied",
        ),
    )
    call_command("poll_mailboxes")
    assert "fetched 2, processed 1, ignored 1, failed 0" in capsys.readouterr().out
    ticket = Ticket.objects.get()
    assert ticket.subject == "Refund not received" and ticket.channel == "email"
    assert unseen_and_total(dovecot) == (0, 2)
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_error == ""
    call_command("poll_mailboxes")  # nothing new
    assert InboundItem.objects.count() == 2 and Ticket.objects.count() == 1


@pytest.mark.django_db
def test_processed_mail_is_moved_to_the_processed_folder(dovecot, mailbox):
    mailbox.processed_folder = "Processed"
    mailbox.save()
    append(dovecot, customer_mail(subject="Wrong bill", body="Charged twice.", message_id="<m1@example.com>"))
    assert tasks.poll_mailboxes.run() == {"fetched": 1, "processed": 1, "failed": 0, "ignored": 0}
    assert unseen_and_total(dovecot, "INBOX")[1] == 0
    assert unseen_and_total(dovecot, "Processed")[1] == 1


@pytest.mark.django_db
def test_a_crash_between_commit_and_flagging_refetches_and_stays_single(dovecot, mailbox, monkeypatch):
    append(
        dovecot,
        customer_mail(subject="No signal", body="No mobile signal at home.", message_id="<x1@example.com>"),
    )
    real_mark_done = imap.mark_done

    def connection_lost(*args, **kwargs):
        raise imaplib.IMAP4.abort("connection lost")

    monkeypatch.setattr(imap, "mark_done", connection_lost)
    call_command("poll_mailboxes")
    mailbox.refresh_from_db()
    assert "connection lost" in mailbox.last_error
    assert Ticket.objects.count() == 1  # committed
    assert unseen_and_total(dovecot) == (1, 1)  # but not flagged

    monkeypatch.setattr(imap, "mark_done", real_mark_done)
    call_command("poll_mailboxes")
    assert Ticket.objects.count() == 1 and InboundItem.objects.count() == 1
    assert unseen_and_total(dovecot) == (0, 1)


@pytest.mark.django_db
def test_a_wrong_password_is_recorded_on_the_mailbox(dovecot, mailbox):
    mailbox.password = "wrong"
    mailbox.save()
    call_command("poll_mailboxes")
    mailbox.refresh_from_db()
    assert (
        "authentication failed" in mailbox.last_error.lower() or "AUTHENTICATIONFAILED" in mailbox.last_error
    )


@pytest.mark.django_db
def test_acknowledgement_over_smtp_and_the_customer_reply_threads_back(
    dovecot, mailbox, smtp_server, django_capture_on_commit_callbacks, deliveries
):
    append(
        dovecot,
        customer_mail(
            subject="Router broken", body="The router reboots every hour.", message_id="<first@example.com>"
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("poll_mailboxes")
    deliveries.run()
    ticket = Ticket.objects.get()
    assert len(smtp_server.messages) == 1
    _mail_from, rcpts, raw = smtp_server.messages[0]
    assert rcpts == ["han@example.com"]
    ack = BytesParser(policy=policy.default).parsebytes(raw)
    assert ack["Subject"].startswith(f"[{ticket.reference}]")
    assert ack["In-Reply-To"] == "<first@example.com>"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Message-ID"] == OutboundMessage.objects.get().email_message_id
    assert {p.get_content_type() for p in ack.iter_parts()} == {"text/plain", "text/html"}
    link = next(line for line in ack.get_body(("plain",)).get_content().splitlines() if "/t/" in line)
    assert link.startswith("http")

    # The customer answers from their mail program: In-Reply-To our acknowledgement.
    append(
        dovecot,
        customer_mail(
            subject=f"Re: {ack['Subject']}",
            body="It happened again at 3 am.\n\n> earlier",
            message_id="<second@example.com>",
            In_Reply_To=ack["Message-ID"],
            References=f"<first@example.com> {ack['Message-ID']}",
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("poll_mailboxes")
    deliveries.run()
    assert Ticket.objects.count() == 1
    assert ticket.messages.get(kind=Message.Kind.CUSTOMER).body == "It happened again at 3 am."
    assert len(smtp_server.messages) == 1  # a follow-up is not acknowledged again


@pytest.mark.django_db
def test_agent_reply_is_mailed_in_the_customer_language_and_notes_never(
    smtp_server, agent, django_capture_on_commit_callbacks, deliveries
):
    with django_capture_on_commit_callbacks(execute=True):
        opened = complaint_services.open_ticket(
            actor=None,
            channel="web",
            subject="Late delivery",
            description="Parcel is late",
            customer=complaint_services.CustomerDetails(name="Ann", email="ann@example.com", language="en"),
        )
    deliveries.run()
    ticket = opened.ticket
    with django_capture_on_commit_callbacks(execute=True):
        complaint_services.add_message(ticket_id=ticket.pk, actor=agent, kind="note", body="Customer is VIP")
        complaint_services.add_message(
            ticket_id=ticket.pk, actor=agent, kind="reply", body="<p>Your parcel left the depot today.</p>"
        )
    deliveries.run()
    assert len(smtp_server.messages) == 2
    reply = BytesParser(policy=policy.default).parsebytes(smtp_server.messages[1][2])
    assert reply["Subject"] == f"[{ticket.reference}] Re: Late delivery"
    assert reply["Auto-Submitted"] is None  # written by a person
    text = reply.get_body(("plain",)).get_content()
    assert "Your parcel left the depot today." in text and "<p>" not in text
    assert "VIP" not in text and all("VIP" not in raw.decode() for _, _, raw in smtp_server.messages)
    assert "Dear Ann" in text
    ack_id = OutboundMessage.objects.get(purpose="acknowledgement").email_message_id
    assert ack_id in reply["References"]


@pytest.mark.django_db
def test_smtp_failure_is_recorded_and_retried_without_double_sending(
    smtp_server, django_capture_on_commit_callbacks, deliveries
):
    smtp_server.fail_next = 1
    with django_capture_on_commit_callbacks(execute=True):
        complaint_services.open_ticket(
            actor=None,
            channel="web",
            subject="Noise",
            description="Noisy line",
            customer=complaint_services.CustomerDetails(email="noise@example.com"),
        )
    delivery_id = deliveries.queued[0]
    import smtplib

    with pytest.raises(smtplib.SMTPException):
        deliveries.run()
    delivery = OutboundMessage.objects.get(pk=delivery_id)
    assert delivery.state == OutboundMessage.State.QUEUED and delivery.attempts == 1
    assert "451" in delivery.last_error
    outbound.send_delivery(delivery_id=delivery_id)  # the retry
    outbound.send_delivery(delivery_id=delivery_id)  # a duplicate task
    delivery.refresh_from_db()
    assert delivery.state == OutboundMessage.State.SENT and delivery.attempts == 2
    assert len(smtp_server.messages) == 1


def test_send_task_retries_smtp_errors_with_backoff():
    import smtplib

    task = tasks.send_delivery
    assert smtplib.SMTPException in task.autoretry_for and OSError in task.autoretry_for
    assert task.retry_backoff and task.max_retries >= 5 and task.acks_late
