"""Per channel, what an inbound item says: the customer, the text, the files, the ticket it continues."""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from complaints import extensions, pii, policy, selectors
from complaints.attachments import CheckedFile, check_upload
from complaints.errors import ComplaintError
from complaints.models import Category, Message, Ticket
from complaints.models.tickets import Channel
from complaints.services.customers import CustomerDetails

from .. import mailauth, mailparse, wechat
from ..models import CustomerIdentity, InboundItem, Mailbox, OutboundMessage
from .intake import Intake, IntakeRefused

logger = logging.getLogger(__name__)

State = InboundItem.State


class _RecentParse:
    """The last e-mail parsed in this process, matched on its bytes.

    receive_email parses a mail for its Message-ID and sender, and the IMAP poller processes the
    same bytes right after: keeping that one parse halves the parsing of every new e-mail.
    """

    MAX_BYTES = 1 << 20  # a large mail is parsed twice rather than kept in memory

    def __init__(self) -> None:
        self.entry: tuple[bytes, mailparse.ParsedEmail] | None = None

    def parse(self, raw: bytes) -> mailparse.ParsedEmail:
        entry = self.entry
        if entry is not None and entry[0] == raw:
            return entry[1]
        parsed = mailparse.parse(raw)
        self.entry = (raw, parsed) if len(raw) <= self.MAX_BYTES else None
        return parsed


recent_parse = _RecentParse()


def _kept_files(item: InboundItem) -> list[CheckedFile]:
    checked = []
    for kept in item.files.all():
        upload = UploadedFile(file=kept.file.open("rb"), name=kept.original_name, size=kept.size)
        checked.append(check_upload(upload))
    return checked


def _normalise_form(item: InboundItem) -> Intake:
    """Web form and phone-call items: a JSON object of the cleaned form fields."""
    data = json.loads(item.raw)
    category = Category.objects.filter(slug=data["category"]).first() if data.get("category") else None
    occurred_at = parse_datetime(data["occurred_at"]) if data.get("occurred_at") else None
    thread = None
    if data.get("ticket_reference"):
        # The agent who logs the call must be able to work the ticket they name; "not yours" and
        # "does not exist" get the same answer.
        ticket = selectors.ticket_by_reference(data["ticket_reference"])
        if ticket is None or item.actor_id is None or not policy.can_see(item.actor, ticket):
            raise IntakeRefused(policy.no_such_ticket(data["ticket_reference"]).message)
        thread = ticket.pk
    files = _kept_files(item)
    return Intake(
        subject=data.get("subject", ""),
        body=data.get("description", ""),
        customer=CustomerDetails(
            name=data.get("name", ""),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            customer_number=data.get("customer_number", ""),
            language=data.get("language", ""),
        ),
        files=files,
        has_kept_files=bool(files),
        thread_ticket_id=thread,
        message_kind=data.get("message_kind", Message.Kind.CUSTOMER),
        category=category,
        order_number=data.get("order_number", ""),
        occurred_at=occurred_at,
        location=data.get("location", ""),
        desired_outcome=data.get("desired_outcome", ""),
        language=data.get("language", ""),
        continue_open_ticket=bool(data.get("continue_open_ticket")),
    )


def own_addresses() -> set[str]:
    """Addresses this system sends from: mail from them is our own coming back (a loop)."""
    from email.utils import parseaddr

    addresses = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    addresses.add(parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower())
    return addresses


def _sender_over_limit(item: InboundItem, *, limit: int | None = None) -> bool:
    if not item.sender_index:
        return False
    limit = settings.INTAKE["EMAIL_SENDER_HOURLY_LIMIT"] if limit is None else limit
    since = item.received_at - timedelta(hours=1)
    earlier = InboundItem.objects.filter(
        channel=item.channel,
        sender_index=item.sender_index,
        received_at__gte=since,
        received_at__lte=item.received_at,
        state=State.PROCESSED,
    )
    if item.pk is not None:  # take_email's item is not stored yet
        earlier = earlier.exclude(pk=item.pk)
    return earlier.count() >= limit


def find_thread(parsed: mailparse.ParsedEmail) -> Ticket | None:
    """The ticket an e-mail answers: by the Message-IDs it replies to (ours or the customer's earlier
    mail), then by the reference in the subject when it comes from the ticket's customer.

    With MAIL_AUTHSERV_IDS configured, a mail our server could not verify as the From's (a forged
    sender) continues no ticket: it opens its own, and the customer's ticket stays untouched.
    """
    if mailauth.sender_verified(parsed) is False:
        logger.warning("E-mail from an unverified sender: not threaded into an existing ticket")
        return None
    ticket = None
    ids = parsed.thread_ids
    if ids:
        sent = OutboundMessage.objects.filter(email_message_id__in=[f"<{i}>" for i in ids]).select_related(
            "ticket"
        )
        ticket = next((d.ticket for d in sent), None)
        if ticket is None:
            received = InboundItem.objects.filter(
                channel=Channel.EMAIL, source_id__in=ids, ticket__isnull=False
            ).select_related("ticket")
            ticket = next((i.ticket for i in received), None)
    if ticket is None and parsed.reference:
        candidate = selectors.ticket_by_reference(parsed.reference, "customer")
        sender_index = pii.blind_index("email", parsed.from_address)
        if candidate is not None and candidate.customer.email_index == sender_index:
            ticket = candidate
    # A merged ticket's conversation continues on the ticket it was merged into.
    while ticket is not None and ticket.duplicate_of_id:
        if ticket.duplicate_of.customer_id != ticket.customer_id:
            # Merged into another customer's ticket: this customer's mail never lands there.
            return None
        ticket = ticket.duplicate_of
    if ticket is not None and ticket.status == Ticket.Status.CLOSED:
        return None
    return ticket


def _language_of(text: str) -> str:
    return "zh-hans" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def _email_files(parsed: mailparse.ParsedEmail) -> tuple[list[CheckedFile], list[str]]:
    """Attachments that pass the evidence checks, and a note for each that does not."""
    checked, refused = [], []
    for attachment in parsed.attachments:
        upload = SimpleUploadedFile(attachment.filename, attachment.content, attachment.content_type)
        try:
            checked.append(check_upload(upload))
        except ComplaintError as exc:
            refused.append(exc.message)
    return checked, refused


def _normalise_email(item: InboundItem) -> Intake:
    try:
        parsed = recent_parse.parse(item.raw_bytes)
    except mailparse.MalformedEmail as exc:
        raise IntakeRefused(_("This e-mail cannot be read: %(error)s") % {"error": exc}) from exc
    if mailparse.TRUNCATED_HEADER.lower() in parsed.headers:
        raise IntakeRefused(_("Only the head of this over-sized e-mail was kept: it cannot be processed."))
    # A mailbox another app takes (a regulator's forwarding address) gets mail from machines, in bulk.
    from_machines = item.mailbox is not None and extensions.mailbox_is_taken(item.mailbox)
    reason = mailparse.loop_reason(
        parsed,
        own_addresses=own_addresses(),
        own_domain=settings.INTAKE["MESSAGE_ID_DOMAIN"],
        from_machines=from_machines,
    )
    if reason:
        return Intake(subject="", body="", ignore_reason=_("Not answered: %(reason)s") % {"reason": reason})
    # A taken mailbox's senders (a regulator forwarding cases) get a higher hourly cap, not none.
    limit = settings.INTAKE[
        "FORWARDING_SENDER_HOURLY_LIMIT" if from_machines else "EMAIL_SENDER_HOURLY_LIMIT"
    ]
    if _sender_over_limit(item, limit=limit):
        return Intake(
            subject="",
            body="",
            ignore_reason=_("Throttled: more than %(n)s e-mails from this sender in an hour.") % {"n": limit},
        )
    files, refused = _email_files(parsed)
    body = parsed.text or parsed.subject
    if refused:
        body += "\n\n" + "\n".join(_("Attachment not accepted: %(reason)s") % {"reason": r} for r in refused)
    if not body.strip():
        raise IntakeRefused(_("The e-mail has neither a subject nor any text."))
    # Asked before the customer threading, so a claimed mail (forged headers or not) never becomes a
    # customer's message.
    claimed = extensions.claim_inbound_mail(parsed, files=files)
    if claimed is not None:
        return Intake(subject="", body="", claimed=claimed, has_kept_files=False)
    thread = find_thread(parsed)
    language = _language_of(f"{parsed.subject}\n{parsed.text}")
    subject = mailparse.REFERENCE_RE.sub("", parsed.subject).strip(" []:") or body[:60]
    return Intake(
        subject=subject,
        body=body,
        customer=CustomerDetails(name=parsed.from_name, email=parsed.from_address, language=language),
        sender_verified=mailauth.sender_verified(parsed),
        files=files,
        thread_ticket_id=thread.pk if thread else None,
        category=item.mailbox.default_category if item.mailbox else None,
        team=item.mailbox.default_team if item.mailbox else None,
        language=language,
        has_kept_files=False,  # receive_email keeps no files: attachments are read from the mail itself
    )


def _normalise_wechat(item: InboundItem) -> Intake:
    message = wechat.parse_message(item.raw)
    return Intake(
        subject="",
        body=message.text_for_ticket(),
        customer=CustomerDetails(language="zh-hans"),
        identity=(Channel.WECHAT, message.from_user),
        language="zh-hans",
        continue_open_ticket=True,
    )


def _normalise_webhook(item: InboundItem) -> Intake:
    from ..webhooks import WebhookPayload

    payload = WebhookPayload.from_json(item.raw)
    identity = (item.channel, f"{item.webhook_channel_id}:{payload.user_id}") if payload.user_id else None
    thread = None
    if payload.reference:
        thread = _identity_ticket(identity, payload.reference)
    category = Category.objects.filter(slug=payload.category).first() if payload.category else None
    return Intake(
        subject=payload.subject,
        body=payload.description,
        customer=CustomerDetails(
            name=payload.name, email=payload.email, phone=payload.phone, language=payload.language
        ),
        identity=identity,
        thread_ticket_id=thread,
        category=category,
        order_number=payload.order_number,
        occurred_at=payload.occurred_at,
        desired_outcome=payload.desired_outcome,
        language=payload.language,
    )


def _identity_ticket(identity: tuple[str, str] | None, reference: str) -> int:
    """The ticket a push names, if it belongs to the customer of the push's channel identity.

    A signed push speaks for one user of the platform (its user_id); the reference alone proves
    nothing. Not theirs and not existing are the same refusal.
    """
    ticket = selectors.ticket_by_reference(reference) if identity is not None else None
    if ticket is not None and not (
        CustomerIdentity.objects.filter(
            customer_id=ticket.customer_id, channel=identity[0], external_id=identity[1]
        ).exists()
    ):
        ticket = None
    if ticket is None:
        raise IntakeRefused(
            _("There is no ticket %(ref)s of this user (send the user_id the ticket was opened with).")
            % {"ref": reference}
        )
    return ticket.pk


NORMALISERS = {
    Channel.WEB: _normalise_form,
    Channel.PHONE: _normalise_form,
    Channel.EMAIL: _normalise_email,
    Channel.WECHAT: _normalise_wechat,
    Channel.WEIBO: _normalise_webhook,
    Channel.APP: _normalise_webhook,
}
