"""Everything sent to a customer: the delivery queue (`queue`) and one backend per medium (`email`,
`sms`, `wechat`, `callback`), with `routing` (where a customer is reached) and `compose` (what a
delivery says). The names other modules use are re-exported here."""

from .callback import callback_payload
from .compose import sms_text
from .email import build_email, reply_to_address
from .errors import DeliveryRefused, DeliveryWaits
from .queue import (
    SENDERS,
    acknowledgement_key,
    flush_waiting,
    outbox_age_seconds,
    queue_acknowledgement,
    queue_replies_and_resolutions,
    queue_reply,
    queue_resolution,
    queue_status_update,
    queue_survey,
    requeue_stranded,
    send_again,
    send_delivery,
)
from .routing import last_wechat_message_at, reaches_on_own_channel, wechat_account_of

__all__ = [
    "SENDERS",
    "DeliveryRefused",
    "DeliveryWaits",
    "acknowledgement_key",
    "build_email",
    "callback_payload",
    "flush_waiting",
    "last_wechat_message_at",
    "outbox_age_seconds",
    "queue_acknowledgement",
    "queue_replies_and_resolutions",
    "queue_reply",
    "queue_resolution",
    "queue_status_update",
    "queue_survey",
    "reaches_on_own_channel",
    "reply_to_address",
    "requeue_stranded",
    "send_again",
    "send_delivery",
    "sms_text",
    "wechat_account_of",
]
