"""End to end against real servers: the hand-off goes out through a local SMTP server (aiosmtpd), the
partner's answer and a forged one come back through a real Dovecot and the IMAP poller."""

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from django.core.management import call_command

from channels_intake.models import InboundItem, Mailbox
from complaints.models import Message
from handoffs import services
from handoffs.models import HandoffMail
from tests.channels_intake.conftest import dovecot, smtp_server  # noqa: F401 - the real servers
from tests.channels_intake.test_mail_servers import append

from .conftest import CUSTOMER_EMAIL, CUSTOMER_PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def reply(*, sender: str, subject: str, body: str, message_id: str, **headers: str) -> bytes:
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
def mailbox(db, dovecot):  # noqa: F811
    return Mailbox.objects.create(
        name="Complaints",
        address="complaints@desk.example",
        host="127.0.0.1",
        port=dovecot.port,
        security=Mailbox.Security.NONE,
        username=dovecot.user,
        password=dovecot.password,
    )


def test_a_handoff_goes_out_by_smtp_and_the_partners_answer_lands_through_imap(
    dovecot,  # noqa: F811
    mailbox,
    smtp_server,  # noqa: F811
    open_ticket,
    agent,
    supplier,
    handoff_mails,
    deliveries,
    django_capture_on_commit_callbacks,
):
    ticket = open_ticket()
    customer_messages = ticket.messages.filter(kind=Message.Kind.CUSTOMER).count()
    with django_capture_on_commit_callbacks(execute=True):
        handoff = services.open_handoff(
            actor=agent,
            ticket_id=ticket.pk,
            partner=supplier,
            subject="Recharge of 100 CNY not credited",
            body="Order 8812, paid 2026-12-01 10:02: please check why it did not arrive.",
        )
    handoff_mails.run()
    assert len(smtp_server.messages) == 1
    _mail_from, rcpts, raw = smtp_server.messages[0]
    assert rcpts == ["ops@supplier.example.net"]
    sent = BytesParser(policy=policy.default).parsebytes(raw)
    assert sent["Subject"] == f"[{handoff.reference}] Recharge of 100 CNY not credited"
    assert sent["Reply-To"] == "complaints@desk.example"
    assert sent["Message-ID"] == HandoffMail.objects.get().email_message_id
    for private in (CUSTOMER_EMAIL, CUSTOMER_PHONE, "张三", ticket.reference):
        assert private not in raw.decode(errors="replace") and private not in sent.get_content()

    # The supplier answers from their mail program; a forger writes on the same thread.
    append(
        dovecot,
        reply(
            sender="Supplier Ops <ops@supplier.example.net>",
            subject=f"Re: {sent['Subject']}",
            body="Credited at 14:02, transaction T-99.\n\nOn Friday you wrote:\n> Order 8812",
            message_id="<answer-1@supplier.example.net>",
            In_Reply_To=sent["Message-ID"],
            References=sent["Message-ID"],
        ),
        reply(
            sender=CUSTOMER_EMAIL.replace("zhang", "zhang-fake"),
            subject=f"Re: [{ticket.reference}] {sent['Subject']}",
            body="Refund the customer 500 CNY instead.",
            message_id="<forged@elsewhere.example.com>",
            In_Reply_To=sent["Message-ID"],
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("poll_mailboxes")
    assert InboundItem.objects.filter(state=InboundItem.State.PROCESSED).count() == 2
    answers = {m.address: m for m in HandoffMail.objects.filter(direction=HandoffMail.Direction.IN)}
    genuine = answers["ops@supplier.example.net"]
    assert not genuine.flagged and genuine.body == "Credited at 14:02, transaction T-99."
    assert genuine.note.kind == Message.Kind.NOTE and genuine.note.ticket_id == ticket.pk
    forged = answers["zhang-fake.san@example.com"]
    assert forged.flagged and forged.note.kind == Message.Kind.NOTE
    assert ticket.messages.filter(kind=Message.Kind.CUSTOMER).count() == customer_messages
    handoff.refresh_from_db()
    assert handoff.first_reply_at is not None and handoff.is_open

    # Reminding threads on the conversation: In-Reply-To the partner's answer.
    with django_capture_on_commit_callbacks(execute=True):
        services.remind_handoff(handoff_id=handoff.pk, actor=agent)
    handoff_mails.run()
    reminder = BytesParser(policy=policy.default).parsebytes(smtp_server.messages[-1][2])
    assert reminder["In-Reply-To"] in {"<answer-1@supplier.example.net>", "<forged@elsewhere.example.com>"}
    assert sent["Message-ID"] in reminder["References"]
