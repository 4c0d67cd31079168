"""The e-mail backend: acknowledgements, replies and resolution notices as text + HTML mail, threaded
with the customer's own mail and marked so that it is never answered in a loop."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import translation

from complaints.models import Ticket
from complaints.models.tickets import Channel
from complaints.notifications import header_text

from .. import mailparse
from ..models import InboundItem, Mailbox, OutboundMessage
from . import compose

logger = logging.getLogger(__name__)

Purpose = OutboundMessage.Purpose


def _thread_headers(delivery: OutboundMessage) -> dict[str, str]:
    """In-Reply-To / References so the customer's mail program shows one conversation per ticket."""
    ticket = delivery.ticket
    inbound = list(
        InboundItem.objects.filter(ticket=ticket, channel=Channel.EMAIL)
        .order_by("received_at", "pk")
        .values_list("source_id", flat=True)
    )
    inbound = [f"<{i}>" for i in inbound if not i.startswith("sha256:")]
    ours = list(
        OutboundMessage.objects.filter(
            ticket=ticket, transport=OutboundMessage.Transport.EMAIL, state=OutboundMessage.State.SENT
        )
        .exclude(pk=delivery.pk)
        .order_by("created_at", "pk")
        .values_list("email_message_id", flat=True)
    )
    chain = [*inbound, *ours][-10:]
    if not chain:
        return {}
    parent = inbound[-1] if inbound else chain[-1]
    return {"In-Reply-To": parent, "References": " ".join(chain)}


def reply_to_address(ticket: Ticket) -> str:
    """Where the customer's answer should go: the mailbox they wrote to, else the first active one."""
    item = InboundItem.objects.filter(ticket=ticket, mailbox__isnull=False).select_related("mailbox").first()
    if item is not None:
        return item.mailbox.address
    mailbox = Mailbox.objects.filter(is_active=True).order_by("pk").first()
    return mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL


def build_email(delivery: OutboundMessage) -> EmailMultiAlternatives:
    """The e-mail for a delivery: text and HTML alternatives in the customer's language."""
    ticket = delivery.ticket
    name = compose.TEMPLATES[delivery.purpose]
    with translation.override(compose.customer_language(ticket)):
        context = compose.context(delivery)
        subject = render_to_string(f"emails/customer_{name}_subject.txt", context).strip()
        text = render_to_string(f"emails/customer_{name}.txt", context)
        html_body = render_to_string(f"emails/customer_{name}.html", context)
    reply_to = reply_to_address(ticket)
    headers = {
        "Message-ID": delivery.email_message_id,
        **_thread_headers(delivery),
        # Our loop markers: mail that comes back carrying them is never answered (mailparse.loop_reason).
        "X-Loop": reply_to,
        mailparse.OWN_LOOP_HEADER: settings.INTAKE["MESSAGE_ID_DOMAIN"],
    }
    if delivery.purpose == Purpose.ACKNOWLEDGEMENT:
        # RFC 3834: an automatic answer, which well-behaved auto-responders do not answer in turn.
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    email = EmailMultiAlternatives(
        subject=header_text(f"[{ticket.reference}] {subject}"),
        body=text,
        to=[delivery.recipient],
        reply_to=[reply_to],
        headers=headers,
    )
    email.attach_alternative(html_body, "text/html")
    return email


def send(delivery: OutboundMessage) -> None:
    build_email(delivery).send()


class BatchMailer:
    """One connection to the default mailer for a whole batch of mails (the survey sender's).

    Opened on the first e-mail (a batch of texts or of nothing due never connects), kept open for
    the following ones, and dropped by `reset()` after a failure so the next e-mail reconnects.
    Use it as a context manager: the connection is closed when the batch ends, however it ends.
    """

    def __init__(self) -> None:
        self.connection: BaseEmailBackend | None = None
        self.opened = 0  # connections opened (or tried), for the run's report
        self.failures = 0  # failures of the mail server (or SMS gateway) so far in this run

    def send(self, message: EmailMessage) -> int:
        if self._server_hung_up():
            self.reset()
        if self.connection is None:
            # Kept before open() so that reset() also closes a half-opened one (refused login, say).
            self.connection, self.opened = mailers["default"], self.opened + 1
            self.connection.open()
        return self.connection.send_messages([message])

    def _server_hung_up(self) -> bool:
        # smtplib closes the socket itself when the server answers 421 (closing): reconnect then,
        # rather than fail the next survey on a dead connection. Django's SMTP backend keeps
        # smtplib's object as `connection`; other backends have nothing to hang up.
        smtp = getattr(self.connection, "connection", None)
        return isinstance(smtp, smtplib.SMTP) and smtp.sock is None

    def reset(self) -> None:
        """Drop the connection (after an error it may be half-open); the next send reconnects."""
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except OSError as error:  # smtplib and ssl errors included
                logger.info("Closing the mail connection failed: %s", error)

    def __enter__(self) -> "BatchMailer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.reset()
