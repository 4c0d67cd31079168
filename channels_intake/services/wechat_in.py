"""WeChat in: a message pushed to an official account, the customer-service messages of an Enterprise
WeChat account fetched after its event, and the images and voice kept as evidence."""

import logging

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from complaints.attachments import check_upload
from complaints.errors import ComplaintError
from complaints.models.tickets import Channel
from config.celery import queue_after_commit

from .. import outbound, wechat
from ..models import InboundItem, WeChatAccount
from .processing import process_item
from .storing import receive

logger = logging.getLogger(__name__)

State = InboundItem.State


def receive_wechat(*, account: WeChatAccount, xml: str) -> InboundItem:
    """Store and process one WeChat message (the platform re-sends it when we are slow: one item).

    Its images and voice are fetched from the platform as evidence by a task (media ids expire after
    three days), and what waited for the customer's next message goes out now that they wrote.
    """
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
            queue_after_commit("channels_intake.tasks.fetch_wechat_media", item.pk)
        outbound.flush_waiting(customer_id=item.ticket.customer_id)
    return item


# Pages of kf/sync_msg fetched per event at most (1000 messages a page); the next event goes on.
KF_SYNC_PAGES = 10


def _kf_cursor_key(account: WeChatAccount) -> str:
    return f"channels_intake:kf-cursor:{account.pk}"


def queue_kf_sync(*, account: WeChatAccount, event_token: str) -> None:
    """An Enterprise WeChat account said it has new messages: fetch them in a task after commit."""
    queue_after_commit("channels_intake.tasks.sync_kf_messages", account.pk, event_token)


def sync_kf_messages(*, account_id: int, event_token: str) -> int:
    """Fetch an Enterprise WeChat customer-service account's new messages and take each customer
    message like an official account's (same item key, so a message fetched twice is one item)."""
    from django.core.cache import cache

    from .. import wechat_api

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


def fetch_wechat_media(*, item_id: int) -> str:
    """Download the image or voice of a processed WeChat item and attach it to its ticket, through the
    evidence checks. Safe to run twice: the item row is locked and a media file attached once."""
    from complaints.services.opening import store_files

    from .. import wechat_api

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
