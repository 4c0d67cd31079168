"""One path for every inbound item: store it raw, normalise it, hand it to the complaint services.

- storing: `receive` (unique per channel on the item's source id), e-mail (`take_email` for the IMAP
  poller, `receive_email`), the web form and the phone-call log, refused pushes kept for supervisors
- processing: `process_item` (in one transaction with the item's new state), `reprocess_items`
- normalisers: per channel, what an item says and which ticket it continues (`find_thread`)
- wechat_in: WeChat messages, Enterprise WeChat's customer-service sync, media kept as evidence
- intake: the normalised item (`Intake`) and `IntakeRefused`

Callers use `from channels_intake import services` and `services.take_email(...)`.
"""

from .intake import Intake, IntakeRefused
from .normalisers import NORMALISERS, find_thread, own_addresses
from .processing import process_item, reprocess_items
from .storing import (
    MAX_REFUSED_BYTES,
    keep_refused_push,
    keep_refused_wechat,
    log_phone_call,
    receive,
    receive_email,
    submit_web_form,
    take_email,
    take_oversized_email,
)
from .wechat_in import KF_SYNC_PAGES, fetch_wechat_media, queue_kf_sync, receive_wechat, sync_kf_messages

__all__ = [
    "KF_SYNC_PAGES",
    "MAX_REFUSED_BYTES",
    "NORMALISERS",
    "Intake",
    "IntakeRefused",
    "fetch_wechat_media",
    "find_thread",
    "keep_refused_push",
    "keep_refused_wechat",
    "log_phone_call",
    "own_addresses",
    "process_item",
    "queue_kf_sync",
    "receive",
    "receive_email",
    "receive_wechat",
    "reprocess_items",
    "submit_web_form",
    "sync_kf_messages",
    "take_email",
    "take_oversized_email",
]
