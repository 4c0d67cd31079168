"""The WeChat official-account server protocol (plain-text mode): signatures, messages, passive replies.

Encrypted (AES) message mode is not supported: accounts must use plain-text mode.
"""

import hashlib
import hmac
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.utils.translation import gettext as _

from complaints.errors import ComplaintError

SUPPORTED_TYPES = {"text", "image", "voice"}


class WeChatError(ComplaintError):
    code = "wechat_message_invalid"


def signature(token: str, timestamp: str, nonce: str) -> str:
    """SHA-1 of the token, timestamp and nonce sorted and joined, as the platform computes it."""
    return hashlib.sha1(
        "".join(sorted([token, timestamp, nonce])).encode(), usedforsecurity=False
    ).hexdigest()


def signature_is_valid(*, token: str, timestamp: str, nonce: str, given: str) -> bool:
    if not (timestamp and nonce and given):
        return False
    return hmac.compare_digest(signature(token, timestamp, nonce), given.lower())


@dataclass(frozen=True)
class WeChatMessage:
    to_user: str
    from_user: str
    msg_type: str
    msg_id: str
    content: str = ""
    pic_url: str = ""
    media_id: str = ""
    recognition: str = ""
    event: str = ""

    @property
    def is_supported(self) -> bool:
        return self.msg_type in SUPPORTED_TYPES and bool(self.msg_id)

    def text_for_ticket(self) -> str:
        """What the customer said, as the ticket shows it (media is kept by its id on the platform)."""
        if self.msg_type == "text":
            return self.content
        if self.msg_type == "image":
            return _("[Image] %(url)s (media id %(media)s)") % {"url": self.pic_url, "media": self.media_id}
        if self.msg_type == "voice":
            spoken = f": {self.recognition}" if self.recognition else ""
            return _("[Voice message%(spoken)s] (media id %(media)s)") % {
                "spoken": spoken,
                "media": self.media_id,
            }
        raise WeChatError(_("WeChat messages of type %(type)s are not handled.") % {"type": self.msg_type})


def parse_message(xml: str | bytes) -> WeChatMessage:
    """Read a pushed message; entity tricks and malformed XML raise WeChatError."""
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise WeChatError(_("The WeChat message is not valid XML: %(error)s") % {"error": exc}) from exc

    def text(tag: str) -> str:
        node = root.find(tag)
        return (node.text or "").strip() if node is not None else ""

    message = WeChatMessage(
        to_user=text("ToUserName"),
        from_user=text("FromUserName"),
        msg_type=text("MsgType"),
        msg_id=text("MsgId"),
        content=text("Content"),
        pic_url=text("PicUrl"),
        media_id=text("MediaId"),
        recognition=text("Recognition"),
        event=text("Event"),
    )
    if not message.from_user or not message.msg_type:
        raise WeChatError(_("The WeChat message has no sender or no type."))
    return message


def passive_reply(*, message: WeChatMessage, content: str, now: float | None = None) -> str:
    """The XML text reply returned in the HTTP response (the platform waits at most 5 seconds)."""
    root = Element("xml")
    for tag, value in (
        ("ToUserName", message.from_user),
        ("FromUserName", message.to_user),
        ("CreateTime", str(int(now if now is not None else time.time()))),
        ("MsgType", "text"),
        ("Content", content),
    ):
        SubElement(root, tag).text = value
    return tostring(root, encoding="unicode")


# Set while a WeChat request is being answered: the acknowledgement goes out in the passive reply.
_passive_reply_open: ContextVar[bool] = ContextVar("wechat_passive_reply_open", default=False)


@contextmanager
def answering_passively() -> Iterator[None]:
    token = _passive_reply_open.set(True)
    try:
        yield
    finally:
        _passive_reply_open.reset(token)


def passive_reply_open() -> bool:
    return _passive_reply_open.get()


class UnconfiguredSender:
    """The default customer-service message sender: none. Deliveries wait in the queue, unsent."""

    def send(self, *, openid: str, text: str) -> None:
        raise SenderNotConfigured(
            "No WeChat customer-service sender is configured (INTAKE_WECHAT_SENDER); the message waits."
        )


class SenderNotConfigured(Exception):
    """No WeChat sender is configured, so a reply waits in the delivery queue."""
