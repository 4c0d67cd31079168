"""One path for every inbound item: store it raw, normalise it, hand it to the complaint services.

`receive_*` store the raw item (unique per channel on its source id, so the same item
arriving twice is one row); `process_item` turns a stored item into a ticket or a message
on a ticket, in one transaction with the item's new state. A failure keeps the item with
its error; `reprocess_items` (the admin action) runs the same code again.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from complaints import extensions, pii, policy, selectors
from complaints import services as complaint_services
from complaints.attachments import CheckedFile, check_upload
from complaints.errors import ComplaintError
from complaints.models import Category, Customer, Message, Team, Ticket
from complaints.models.tickets import Channel
from complaints.services import CustomerDetails

from . import mailauth, mailparse, wechat
from .models import (
    CustomerIdentity,
    InboundFile,
    InboundItem,
    Mailbox,
    OutboundMessage,
    WebhookChannel,
    WeChatAccount,
)

logger = logging.getLogger(__name__)

State = InboundItem.State


class IntakeRefused(ComplaintError):
    """An inbound item that cannot become a ticket as it stands (the reason is kept on the item)."""

    code = "intake_refused"


@dataclass
class Intake:
    """An inbound item normalised: who wrote, what they said, and where it belongs."""

    subject: str
    body: str
    customer: CustomerDetails = field(default_factory=CustomerDetails)
    identity: tuple[str, str] | None = None  # (channel, external id) for OpenIDs and app user ids
    files: list[CheckedFile] = field(default_factory=list)
    thread_ticket_id: int | None = None
    message_kind: str = Message.Kind.CUSTOMER
    category: Category | None = None
    team: Team | None = None
    order_number: str = ""
    occurred_at: datetime | None = None
    location: str = ""
    desired_outcome: str = ""
    language: str = ""
    # Join the customer's open ticket on this channel instead of opening another (chat-like channels).
    continue_open_ticket: bool = False
    ignore_reason: str = ""
    # Whether the item has kept files to drop once processed; None when the normaliser did not look.
    has_kept_files: bool | None = None
    # Another app took the mail (a partner's answer to a hand-off): nothing is delivered to a customer.
    claimed: extensions.ClaimedMail | None = None
    # Our mail server's verdict on an e-mail's sender (mailauth.sender_verified): None when unchecked.
    sender_verified: bool | None = None


# --- storing ---------------------------------------------------------------------------


def receive(
    *,
    channel: str,
    source_id: str,
    raw: str,
    sender_index: str = "",
    files: list[UploadedFile] = (),
    **links: Any,
) -> tuple[InboundItem, bool]:
    """Store an inbound item raw; returns (item, created). The same source id on a channel is one item.

    The unique constraint decides, so two deliveries racing each other end with one row.
    """
    try:
        with transaction.atomic():
            item = InboundItem.objects.create(
                channel=channel, source_id=source_id, raw=raw, sender_index=sender_index, **links
            )
            for upload in files:
                upload.seek(0)
                kept = InboundFile(item=item, original_name=(upload.name or "file")[:255], size=upload.size)
                kept.file.save(upload.name or "file", upload, save=False)
                kept.save()
                upload.seek(0)
            return item, True
    except IntegrityError:
        return InboundItem.objects.get(channel=channel, source_id=source_id), False


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


_recent_parse = _RecentParse()


def _email_item_fields(raw: bytes, mailbox: Mailbox | None) -> dict[str, Any]:
    """An e-mail's item: under its Message-ID (a hash of the bytes when it has none), sender hashed."""
    message_id, sender = "", ""
    try:
        parsed = _recent_parse.parse(raw)
        message_id, sender = parsed.message_id, parsed.from_address
    except (mailparse.MalformedEmail, ValueError, LookupError, RecursionError):
        pass  # stored anyway; processing records why it cannot be read
    return {
        "channel": Channel.EMAIL,
        "source_id": mailparse.source_id_for(raw, message_id),
        "raw": InboundItem.encode_bytes(raw),
        "sender_index": pii.blind_index("email", sender),
        "mailbox": mailbox,
    }


def receive_email(*, raw: bytes, mailbox: Mailbox | None) -> tuple[InboundItem, bool]:
    """Store one fetched e-mail, to be processed by process_item."""
    fields = _email_item_fields(raw, mailbox)
    item, created = receive(**fields)
    if created or _same_stored_mail(item, raw):
        return item, created
    return receive(**{**fields, "source_id": mailparse.content_source_id(raw)})


def _same_stored_mail(stored: InboundItem, raw: bytes) -> bool:
    """Whether the item under this mail's key holds this mail (fetched again, or a copy from another
    mailbox) rather than a different mail that reuses its Message-ID."""
    if stored.source_id.startswith("sha256:"):
        return True  # keyed by its bytes
    same = mailparse.same_mail(stored.raw_bytes, raw)
    if not same:
        logger.warning(
            "E-mail item %s: a different mail reuses its Message-ID; kept under its own hash", stored.pk
        )
    return same


def take_email(*, raw: bytes, mailbox: Mailbox | None) -> InboundItem:
    """Store and process one fetched e-mail in a single transaction (the IMAP poller, per message).

    receive_email + process_item committed twice and read the item back. Here processing runs in a
    savepoint first and the item is then inserted once, with its outcome: a failure rolls back what
    processing made and the raw mail is still stored, failed, with its error, as before. A crash
    before the commit stores nothing, and the poller, which marks a message only once this returns,
    fetches it again. The same mail again (a re-fetch, or a copy in a second mailbox) fails the
    unique key at the INSERT: all of this is rolled back and the stored item is handed to
    process_item, which leaves it alone once processed.
    """
    return _take_email(raw, _email_item_fields(raw, mailbox))


def _take_email(raw: bytes, fields: dict[str, Any]) -> InboundItem:
    item = InboundItem(**fields)
    item.received_at = timezone.now()  # the throttle reads it; the INSERT stamps its own a moment later
    try:
        with transaction.atomic():
            _process(item)
            item.save(force_insert=True)
    except IntegrityError:
        # Only the INSERT can raise it here: processing keeps its own failures on the item.
        stored = InboundItem.objects.get(channel=item.channel, source_id=item.source_id)
        if _same_stored_mail(stored, raw):
            return process_item(item_id=stored.pk)
        # A different mail under a stored Message-ID is not discarded: it is kept under its own hash.
        return _take_email(raw, {**fields, "source_id": mailparse.content_source_id(raw)})
    return item


def take_oversized_email(*, head: bytes, size: int, mailbox: Mailbox | None) -> InboundItem:
    """Keep the head of a mail over INTAKE["EMAIL_MAX_BYTES"] (which the poller did not fetch whole) as a
    failed item: the supervisor sees who sent what, and nothing parses the rest."""
    marked = f"{mailparse.TRUNCATED_HEADER}: {size}\r\n".encode() + head
    fields = _email_item_fields(marked, mailbox)
    error = _(
        "This e-mail is %(size)s bytes, over the limit of %(limit)s: only its first %(kept)s bytes were kept."
    ) % {"size": size, "limit": mailparse.max_bytes(), "kept": len(head)}
    try:
        with transaction.atomic():
            return InboundItem.objects.create(
                **fields, state=State.FAILED, error=error, attempts=1, processed_at=timezone.now()
            )
    except IntegrityError:
        return InboundItem.objects.get(channel=fields["channel"], source_id=fields["source_id"])


# --- processing ------------------------------------------------------------------------


def process_item(*, item_id: int) -> InboundItem:
    """Turn a stored item into a ticket or a message, or record why not. Safe to run twice:
    the item row is locked and a processed or ignored item is left as it is."""
    with transaction.atomic():
        item = InboundItem.objects.select_for_update().get(pk=item_id)
        if item.state in (State.PROCESSED, State.IGNORED):
            return item
        intake = _process(item)
        item.save(update_fields=["state", "error", "attempts", "processed_at", "ticket", "message"])
        if intake is not None and (
            item.files.exists() if intake.has_kept_files is None else intake.has_kept_files
        ):
            _drop_kept_files(item)
    return item


def _process(item: InboundItem) -> Intake | None:
    """Normalise and deliver the item in a savepoint, setting its outcome in memory (the caller saves
    it); the intake when a ticket or message was made."""
    item.attempts += 1
    intake = None
    try:
        with transaction.atomic():
            normalised = NORMALISERS[item.channel](item)
            if normalised.ignore_reason:
                item.state, item.error = State.IGNORED, normalised.ignore_reason
            else:
                _deliver(item, normalised)
                item.state, item.error = State.PROCESSED, ""
                intake = normalised
    except ComplaintError as exc:
        item.state, item.error = State.FAILED, exc.message
    except Exception as exc:
        # Nothing inbound is lost: an unexpected failure is kept on the item for reprocessing.
        logger.exception("Inbound item %s failed", item.pk or item.source_id)
        item.state, item.error = State.FAILED, f"{type(exc).__name__}: {exc}"
    item.processed_at = timezone.now()
    return intake


def reprocess_items(*, item_ids: list[int]) -> dict[str, int]:
    """Run failed or received items through the same processing again; counts the outcomes by state."""
    outcome: dict[str, int] = {}
    for item_id in sorted(item_ids):
        item = process_item(item_id=item_id)
        outcome[item.state] = outcome.get(item.state, 0) + 1
    return outcome


def _drop_kept_files(item: InboundItem) -> None:
    """The files now live as ticket attachments; the kept copies go once that is committed."""
    names = [f.file.name for f in item.files.all()]
    item.files.all().delete()

    def delete_files() -> None:
        from django.core.files.storage import default_storage

        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete_files)


def _deliver(item: InboundItem, intake: Intake) -> None:
    if intake.claimed is not None:
        item.ticket_id, item.message = intake.claimed.ticket_id, intake.claimed.message
        return
    if item.mailbox_id is not None and intake.thread_ticket_id is None:
        # A mailbox another app answers for (a regulator's forwarding address) opens its own tickets.
        taken = extensions.take_mailbox_mail(
            mailbox=item.mailbox,
            subject=intake.subject,
            body=intake.body,
            sender=intake.customer,
            files=intake.files,
            external_id=item.source_id[:255],
            sender_verified=intake.sender_verified,
        )
        if taken is not None:
            item.ticket, item.message = taken
            return
    actor = item.actor
    customer = _identify(intake)
    thread = intake.thread_ticket_id
    if thread is None and intake.continue_open_ticket:
        if not isinstance(customer, Customer):
            customer = complaint_services.find_or_create_customer(customer)
        # Chat-like channels and phone calls continue the customer's latest open ticket.
        open_ticket = (
            Ticket.objects.open()
            .filter(customer=customer, duplicate_of__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        thread = open_ticket.pk if open_ticket else None
    external_id = item.source_id[:255]
    if thread is not None:
        message = complaint_services.add_message(
            ticket_id=thread,
            actor=actor,
            kind=intake.message_kind,
            body=intake.body,
            channel=item.channel,
            files=intake.files,
            external_id=external_id,
        )
        item.ticket_id, item.message = message.ticket_id, message
        return
    opened = complaint_services.open_ticket(
        actor=actor,
        channel=item.channel,
        customer=customer,
        subject=intake.subject or intake.body[:60],
        description=intake.body,
        category=intake.category,
        default_team=intake.team,
        order_number=intake.order_number,
        occurred_at=intake.occurred_at,
        location=intake.location,
        desired_outcome=intake.desired_outcome,
        language=intake.language,
        files=intake.files,
        external_id=external_id,
    )
    item.ticket, item.message = opened.ticket, opened.message


def _identify(intake: Intake) -> Customer | CustomerDetails:
    """The customer by channel identity when there is one (linking it on first contact), else by details."""
    if intake.identity is None:
        return intake.customer
    channel, external_id = intake.identity
    known = CustomerIdentity.objects.select_related("customer").filter(
        channel=channel, external_id=external_id
    )
    identity = known.first()
    if identity is not None:
        return identity.customer
    details = intake.customer
    # A new identity is a new customer: the e-mail or phone it claims is not proof that it is the
    # customer we know by them, so it is never tied to that customer's record (or tickets).
    customer = Customer.objects.create(
        name=details.name.strip(),
        email=details.email.strip(),
        phone=details.phone.strip(),
        preferred_language=details.language or settings.LANGUAGE_CODE,
    )
    try:
        with transaction.atomic():
            CustomerIdentity.objects.create(channel=channel, external_id=external_id, customer=customer)
    except IntegrityError:
        # The same person's first two messages raced; both use the identity that won.
        return known.get().customer
    return customer


# --- per-channel normalisers -------------------------------------------------------------


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
        parsed = _recent_parse.parse(item.raw_bytes)
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
    from .webhooks import WebhookPayload

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
    ticket = None
    if identity is not None:
        channel, external_id = identity
        ticket = (
            Ticket.objects.filter(
                reference=reference,
                customer__identities__channel=channel,
                customer__identities__external_id=external_id,
            )
            .values_list("pk", flat=True)
            .first()
        )
    if ticket is None:
        raise IntakeRefused(
            _("There is no ticket %(ref)s of this user (send the user_id the ticket was opened with).")
            % {"ref": reference}
        )
    return ticket


NORMALISERS = {
    Channel.WEB: _normalise_form,
    Channel.PHONE: _normalise_form,
    Channel.EMAIL: _normalise_email,
    Channel.WECHAT: _normalise_wechat,
    Channel.WEIBO: _normalise_webhook,
    Channel.APP: _normalise_webhook,
}


# --- channel entry points used by the views ----------------------------------------------


def submit_web_form(*, submission_id: str, fields: dict[str, Any], files: list[UploadedFile]) -> InboundItem:
    """Store and process a web form submission; the same submission id twice is one ticket."""
    item, created = receive(
        channel=Channel.WEB,
        source_id=f"web:{submission_id}",
        raw=json.dumps(fields, ensure_ascii=False, default=str),
        files=files,
    )
    if not created and item.state == State.PROCESSED:
        return item
    return process_item(item_id=item.pk)


def log_phone_call(
    *, actor: AbstractBaseUser, call_id: str, fields: dict[str, Any], files: list[UploadedFile]
) -> InboundItem:
    """Record a call an agent took or made: a ticket on channel phone, or a message on the caller's ticket."""
    item, created = receive(
        channel=Channel.PHONE,
        source_id=f"call:{call_id}",
        raw=json.dumps(fields, ensure_ascii=False, default=str),
        files=files,
        actor=actor,
    )
    if not created and item.state == State.PROCESSED:
        return item
    return process_item(item_id=item.pk)


def receive_wechat(*, account: WeChatAccount, xml: str) -> InboundItem:
    """Store and process one WeChat message (the platform re-sends it when we are slow: one item).

    Its images and voice are fetched from the platform as evidence by a task (media ids expire after
    three days), and what waited for the customer's next message goes out now that they wrote.
    """
    from . import outbound, tasks

    message = wechat.parse_message(xml)
    item, created = receive(
        channel=Channel.WECHAT,
        source_id=f"{account.pk}:{message.msg_id}",
        raw=xml,
        wechat_account=account,
    )
    item = process_item(item_id=item.pk)
    if created and item.state == State.PROCESSED:
        if message.media_id and message.msg_type in wechat.MEDIA_TYPES:
            tasks.fetch_wechat_media.delay_on_commit(item.pk)
        outbound.flush_waiting(customer_id=item.ticket.customer_id)
    return item


# Pages of kf/sync_msg fetched per event at most (1000 messages a page); the next event goes on.
KF_SYNC_PAGES = 10


def _kf_cursor_key(account: WeChatAccount) -> str:
    return f"channels_intake:kf-cursor:{account.pk}"


def sync_kf_messages(*, account_id: int, event_token: str) -> int:
    """Fetch an Enterprise WeChat customer-service account's new messages and take each customer
    message like an official account's (same item key, so a message fetched twice is one item)."""
    from django.core.cache import cache

    from . import wechat_api

    account = WeChatAccount.objects.filter(pk=account_id, is_active=True, kind=WeChatAccount.Kind.KF).first()
    if account is None:
        return 0
    taken = 0
    cursor = cache.get(_kf_cursor_key(account)) or ""
    for _page in range(KF_SYNC_PAGES):
        data = wechat_api.kf_sync(account=account, cursor=cursor, event_token=event_token)
        for message in data.get("msg_list") or []:
            xml = wechat.kf_message_xml(message) if isinstance(message, dict) else None
            if xml is not None:
                receive_wechat(account=account, xml=xml)
                taken += 1
        cursor = str(data.get("next_cursor") or cursor)
        # Kept after each page: a failure later re-fetches only what was not taken (and taking is idempotent).
        cache.set(_kf_cursor_key(account), cursor, timeout=None)
        if not data.get("has_more"):
            break
    return taken


def _keep_refused(*, channel: str, key: str, raw: bytes, error: str, **links: Any) -> InboundItem:
    """Keep a signed item we could not read as failed, once per distinct body, for the supervisors."""
    digest = hashlib.sha256(raw).hexdigest()
    kept = raw[:MAX_REFUSED_BYTES].decode("utf-8", errors="replace")
    try:
        with transaction.atomic():
            return InboundItem.objects.create(
                channel=channel,
                source_id=f"refused:{key}:sha256:{digest}",
                raw=kept,
                state=State.FAILED,
                error=error[:2000],
                attempts=1,
                processed_at=timezone.now(),
                **links,
            )
    except IntegrityError:
        return InboundItem.objects.get(channel=channel, source_id=f"refused:{key}:sha256:{digest}")


# A refused body is kept up to this size (its head, when larger).
MAX_REFUSED_BYTES = 256 * 1024


def keep_refused_wechat(*, account: WeChatAccount, raw: bytes, error: str) -> InboundItem:
    return _keep_refused(
        channel=Channel.WECHAT, key=str(account.pk), raw=raw, error=error, wechat_account=account
    )


def keep_refused_push(*, channel: WebhookChannel, raw: bytes, error: str) -> InboundItem:
    return _keep_refused(
        channel=channel.channel, key=str(channel.pk), raw=raw, error=error, webhook_channel=channel
    )


def fetch_wechat_media(*, item_id: int) -> str:
    """Download the image or voice of a processed WeChat item and attach it to its ticket, through the
    evidence checks. Safe to run twice: the item row is locked and a media file attached once."""
    from complaints.services.opening import store_files

    from . import wechat_api

    with transaction.atomic():
        item = (
            InboundItem.objects.select_for_update(of=("self",))
            .select_related("wechat_account", "ticket", "message")
            .filter(pk=item_id, state=State.PROCESSED)
            .first()
        )
        if item is None or item.ticket is None or item.wechat_account is None:
            return "missing"
        message = wechat.parse_message(item.raw)
        if not message.media_id or message.msg_type not in wechat.MEDIA_TYPES:
            return "no media"
        stem = f"wechat-{message.media_id[:40]}"
        if item.ticket.attachments.filter(original_name__startswith=stem).exists():
            return "attached"
        media = wechat_api.download_media(
            account=item.wechat_account, media_id=message.media_id, limit=settings.ATTACHMENT_MAX_BYTES
        )
        suffix = media.filename.rsplit(".", 1)[-1][:8] if "." in media.filename else ""
        upload = SimpleUploadedFile(
            f"{stem}.{suffix}" if suffix else stem, media.content, media.content_type or None
        )
        try:
            checked = check_upload(upload)
        except ComplaintError as exc:
            logger.warning("WeChat media of item %s not kept: %s", item.pk, exc.message)
            return "refused"
        store_files(item.ticket, item.message, [checked])
    return "attached"
