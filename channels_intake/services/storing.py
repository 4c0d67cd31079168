"""Storing inbound items raw: unique per channel on their source id, so the same item arriving twice is
one row; the entry points of the web form and the phone-call log; refused pushes kept for supervisors."""

import hashlib
import json
import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import pii
from complaints.models.tickets import Channel

from .. import mailparse
from ..models import InboundFile, InboundItem, Mailbox, WebhookChannel, WeChatAccount
from .normalisers import recent_parse
from .processing import process, process_item

logger = logging.getLogger(__name__)

State = InboundItem.State


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


def _email_item_fields(raw: bytes, mailbox: Mailbox | None) -> dict[str, Any]:
    """An e-mail's item: under its Message-ID (a hash of the bytes when it has none), sender hashed."""
    message_id, sender = "", ""
    try:
        parsed = recent_parse.parse(raw)
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
            process(item)
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
