"""The partner's answer through the mail intake (take_email, as the IMAP poller calls it): threaded
by Message-ID or by [HO-…], flagged from another address, never a customer's message."""

from email.message import EmailMessage

import pytest
from django.core import mail

from channels_intake import services as intake
from channels_intake.models import InboundItem
from complaints.models import Message, Ticket
from handoffs import services
from handoffs.models import HandoffMail

from .conftest import CUSTOMER_EMAIL

pytestmark = pytest.mark.django_db


def email(*, sender: str, subject: str, body: str, message_id: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@desk.example"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


@pytest.fixture
def handed_off(open_ticket, agent, supplier, handoff_mails, django_capture_on_commit_callbacks):
    ticket = open_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        handoff = services.open_handoff(
            actor=agent,
            ticket_id=ticket.pk,
            partner=supplier,
            subject="Recharge not credited",
            body="Order 8812: please check.",
        )
    handoff_mails.run()
    return ticket, handoff, HandoffMail.objects.get(handoff=handoff)


def test_the_partners_reply_lands_as_an_internal_entry_of_the_handoff(handed_off):
    ticket, handoff, opening = handed_off
    raw = email(
        sender="Supplier Ops <OPS@supplier.example.net>",
        subject=f"Re: [{handoff.reference}] Recharge not credited",
        body="Credited at 14:02, transaction T-99.\n\n> Order 8812: please check.",
        message_id="<answer-1@supplier.example.net>",
        In_Reply_To=opening.email_message_id,
    )
    item = intake.take_email(raw=raw, mailbox=None)
    assert item.state == InboundItem.State.PROCESSED, item.error
    note = ticket.messages.get(pk=item.message_id)
    assert note.kind == Message.Kind.NOTE
    assert "Credited at 14:02, transaction T-99." in note.body and "Order 8812" not in note.body
    assert (
        not ticket.messages.filter(kind=Message.Kind.CUSTOMER).exclude(pk=ticket.messages.first().pk).exists()
    )
    answer = HandoffMail.objects.get(direction=HandoffMail.Direction.IN)
    assert not answer.flagged and answer.note == note
    handoff.refresh_from_db()
    assert handoff.first_reply_at is not None
    assert Ticket.objects.count() == 1


def test_a_reply_threads_by_its_reference_alone(handed_off):
    ticket, handoff, _opening = handed_off
    raw = email(
        sender="ops@supplier.example.net",
        subject=f"{handoff.reference.lower()} status",
        body="Still checking with the bank.",
        message_id="<answer-2@supplier.example.net>",
    )
    item = intake.take_email(raw=raw, mailbox=None)
    assert item.ticket_id == ticket.pk and item.message.kind == Message.Kind.NOTE


def test_a_reply_from_another_address_is_kept_but_flagged(handed_off):
    _ticket, handoff, opening = handed_off
    raw = email(
        sender="someone@elsewhere.example.com",
        subject=f"Re: [{handoff.reference}] Recharge not credited",
        body="Ignore the supplier, refund the customer 500 CNY.",
        message_id="<forged-1@elsewhere.example.com>",
        In_Reply_To=opening.email_message_id,
    )
    item = intake.take_email(raw=raw, mailbox=None)
    assert item.state == InboundItem.State.PROCESSED
    answer = HandoffMail.objects.get(direction=HandoffMail.Direction.IN)
    assert answer.flagged and answer.address == "someone@elsewhere.example.com"
    assert item.message.kind == Message.Kind.NOTE and "not Upstream recharge supplier" in item.message.body
    handoff.refresh_from_db()
    assert handoff.first_reply_at is None  # a flagged answer does not count as the partner's


def test_a_forged_reply_carrying_the_customers_thread_is_never_a_customer_message(handed_off):
    """The forger copies the ticket's reference and the customer's address into the headers."""
    ticket, handoff, _opening = handed_off
    customer_messages = ticket.messages.filter(kind=Message.Kind.CUSTOMER).count()
    raw = email(
        sender=CUSTOMER_EMAIL,
        subject=f"[{ticket.reference}] [{handoff.reference}] please refund",
        body="I am the customer, really.",
        message_id="<forged-2@elsewhere.example.com>",
        Reply_To=CUSTOMER_EMAIL,
    )
    item = intake.take_email(raw=raw, mailbox=None)
    assert item.message.kind == Message.Kind.NOTE
    assert ticket.messages.filter(kind=Message.Kind.CUSTOMER).count() == customer_messages
    assert HandoffMail.objects.get(direction=HandoffMail.Direction.IN).flagged


def test_partner_mail_with_the_customers_headers_but_no_handoff_is_kept_and_posted_nowhere(handed_off):
    ticket, _handoff, _opening = handed_off
    customer_messages = ticket.messages.filter(kind=Message.Kind.CUSTOMER).count()
    raw = email(
        sender="ops@supplier.example.net",
        subject=f"Re: [{ticket.reference}] your complaint",
        body="We are the supplier writing on the customer's thread.",
        message_id="<stray@supplier.example.net>",
    )
    item = intake.take_email(raw=raw, mailbox=None)
    assert item.state == InboundItem.State.FAILED and "answers none of their hand-offs" in item.error
    assert ticket.messages.filter(kind=Message.Kind.CUSTOMER).count() == customer_messages
    assert Ticket.objects.count() == 1


def test_customer_mail_is_still_threaded_to_the_customers_ticket(handed_off):
    ticket, _handoff, _opening = handed_off
    raw = email(
        sender=CUSTOMER_EMAIL,
        subject=f"Re: [{ticket.reference}] 话费充值未到账",
        body="还没到账",
        message_id="<cust-2@example.com>",
    )
    item = intake.take_email(raw=raw, mailbox=None)
    assert item.message.kind == Message.Kind.CUSTOMER and item.ticket_id == ticket.pk
    assert not HandoffMail.objects.filter(direction=HandoffMail.Direction.IN).exists()


def test_our_own_handoff_mail_coming_back_is_ignored(handed_off):
    from email import message_from_bytes

    sent = mail.outbox[-1].message()
    item = intake.take_email(raw=sent.as_bytes(), mailbox=None)
    assert item.state == InboundItem.State.IGNORED
    assert message_from_bytes(sent.as_bytes())["X-Complaint-Desk-Loop"]


def test_the_partners_attachment_is_kept_on_the_handoffs_entry(handed_off):
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    from complaints.models import Attachment
    from tests.channels_intake.test_email_intake import PNG

    ticket, handoff, opening = handed_off
    msg = MIMEMultipart()
    msg["From"] = "ops@supplier.example.net"
    msg["Subject"] = f"Re: [{handoff.reference}] receipt"
    msg["Message-ID"] = "<with-file@supplier.example.net>"
    msg["In-Reply-To"] = opening.email_message_id
    msg.attach(MIMEText("The credit receipt is attached.", "plain", "utf-8"))
    part = MIMEApplication(PNG, "png")
    part.add_header("Content-Disposition", "attachment", filename="receipt.png")
    msg.attach(part)
    item = intake.take_email(raw=msg.as_bytes(), mailbox=None)
    assert item.message.kind == Message.Kind.NOTE
    kept = Attachment.objects.get(ticket=ticket)
    assert kept.message_id == item.message_id and kept.content_type == "image/png"


@pytest.mark.parametrize(
    ("verdict", "genuine"), [("dmarc=fail header.from=supplier.example.net", False), ("dmarc=pass", True)]
)
def test_the_partners_address_failing_dmarc_is_kept_but_flagged(handed_off, settings, verdict, genuine):
    """Red team F2: a From of the partner's with DMARC failed at our own server is not their answer."""
    settings.INTAKE = {**settings.INTAKE, "MAIL_AUTHSERV_IDS": ["mx.desk.example"]}
    _ticket, handoff, _opening = handed_off
    raw = email(
        sender="Supplier Ops <ops@supplier.example.net>",
        subject=f"Re: [{handoff.reference}] done",
        body="FORGED: the replacement was shipped, please close the complaint.",
        message_id="<forged-2@attacker.example>",
        Authentication_Results=f"mx.desk.example; {verdict}; spf=fail; dkim=none",
    )
    item = intake.take_email(raw=raw, mailbox=None)
    assert item.state == InboundItem.State.PROCESSED, item.error
    answer = HandoffMail.objects.get(direction=HandoffMail.Direction.IN)
    assert answer.flagged is not genuine
    assert ("could not verify the sender" in item.message.body) is not genuine
    assert item.message.kind == Message.Kind.NOTE
    handoff.refresh_from_db()
    assert (handoff.first_reply_at is not None) is genuine
