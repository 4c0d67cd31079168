"""The WeChat official-account server protocol: signatures, messages, passive replies, and the safe
(AES) message mode.

Safe mode (encrypt_type=aes) follows WeChat's WXBizMsgCrypt: the key is the base64 EncodingAESKey
(43 characters and "="), AES-256-CBC with the key's first 16 bytes as IV, PKCS#7 padding to 32 bytes,
and the plain text is 16 random bytes, the message length (4 bytes, network order), the message and
the AppID. The envelope is signed by msg_signature: SHA-1 of token, timestamp, nonce and the
ciphertext, sorted and joined.
"""

import base64
import hashlib
import hmac
import os
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, tostring

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.utils.translation import gettext as _

from complaints.errors import ComplaintError

SUPPORTED_TYPES = {"text", "image", "voice"}
MEDIA_TYPES = {"image", "voice"}
# The platform's messages are a few kilobytes; anything far larger is refused unread (413).
MAX_BODY_BYTES = 64 * 1024


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


# --- safe (AES) mode ---------------------------------------------------------------------

AES_BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16


def msg_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """The safe mode's msg_signature: SHA-1 of the four parts sorted and joined."""
    return hashlib.sha1(
        "".join(sorted([token, timestamp, nonce, encrypted])).encode(), usedforsecurity=False
    ).hexdigest()


def _aes_key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key.strip() + "=", validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise WeChatError(_("The account's EncodingAESKey is not a valid 43-character key."))
    return key


def encrypt(*, plain: bytes, encoding_aes_key: str, app_id: str, random: bytes | None = None) -> str:
    """The base64 ciphertext of `plain` as WeChat builds it (and as we build passive replies)."""
    key = _aes_key(encoding_aes_key)
    body = (random or os.urandom(16)) + struct.pack(">I", len(plain)) + plain + app_id.encode()
    pad = AES_BLOCK - len(body) % AES_BLOCK
    body += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(body) + encryptor.finalize()).decode("ascii")


def decrypt(*, encrypted: str, encoding_aes_key: str, app_id: str) -> bytes:
    """The message inside a safe-mode envelope; WeChatError when it is not ours or not well formed."""
    key = _aes_key(encoding_aes_key)
    try:
        data = base64.b64decode(encrypted, validate=True)
    except ValueError:
        raise WeChatError(_("The encrypted WeChat message is not base64.")) from None
    if not data or len(data) % 16:
        raise WeChatError(_("The encrypted WeChat message has a wrong length."))
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    body = decryptor.update(data) + decryptor.finalize()
    pad = body[-1]
    if not 1 <= pad <= AES_BLOCK or body[-pad:] != bytes([pad]) * pad:
        raise WeChatError(_("The encrypted WeChat message cannot be decrypted with this key."))
    body = body[:-pad]
    if len(body) < 20:
        raise WeChatError(_("The encrypted WeChat message is too short."))
    (length,) = struct.unpack(">I", body[16:20])
    message, receiver = body[20 : 20 + length], body[20 + length :]
    if len(message) != length or not hmac.compare_digest(receiver, app_id.encode()):
        raise WeChatError(_("The encrypted WeChat message is not for this account."))
    return message


def envelope_ciphertext(xml: bytes) -> str:
    """The <Encrypt> text of a safe-mode POST body."""
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise WeChatError(_("The WeChat message is not valid XML: %(error)s") % {"error": exc}) from exc
    node = root.find("Encrypt")
    if node is None or not (node.text or "").strip():
        raise WeChatError(_("The safe-mode WeChat message has no Encrypt element."))
    return node.text.strip()


def encrypted_reply(*, xml: str, token: str, encoding_aes_key: str, app_id: str, nonce: str) -> str:
    """A passive reply in safe mode: the reply encrypted, with its own msg_signature."""
    encrypted = encrypt(plain=xml.encode(), encoding_aes_key=encoding_aes_key, app_id=app_id)
    timestamp = str(int(time.time()))
    root = Element("xml")
    for tag, value in (
        ("Encrypt", encrypted),
        ("MsgSignature", msg_signature(token, timestamp, nonce, encrypted)),
        ("TimeStamp", timestamp),
        ("Nonce", nonce),
    ):
        SubElement(root, tag).text = value
    return tostring(root, encoding="unicode")


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
    # Enterprise WeChat customer service's kf_msg_or_event: the token for fetching the messages.
    token: str = ""
    open_kfid: str = ""

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
        token=text("Token"),
        open_kfid=text("OpenKfId"),
    )
    # Enterprise WeChat's kf_msg_or_event names no sender: it only says that messages wait.
    if not message.msg_type or (not message.from_user and message.msg_type != "event"):
        raise WeChatError(_("The WeChat message has no sender or no type."))
    return message


KF_EVENT = "kf_msg_or_event"


def kf_message_xml(message: dict) -> str | None:
    """A customer's message fetched from Enterprise WeChat's kf/sync_msg written as the official
    account's XML, so it is stored and processed the same way; None for what is not the customer's."""
    msg_type = message.get("msgtype")
    if message.get("origin") != 3 or msg_type not in SUPPORTED_TYPES or not message.get("msgid"):
        return None
    body = message.get(msg_type) if isinstance(message.get(msg_type), dict) else {}
    root = Element("xml")
    for tag, value in (
        ("ToUserName", message.get("open_kfid", "")),
        ("FromUserName", message.get("external_userid", "")),
        ("CreateTime", message.get("send_time", "")),
        ("MsgType", msg_type),
        ("Content", body.get("content", "") if msg_type == "text" else ""),
        ("MediaId", body.get("media_id", "") if msg_type != "text" else ""),
        ("MsgId", message.get("msgid", "")),
    ):
        SubElement(root, tag).text = str(value)[:20000]
    return tostring(root, encoding="unicode")


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


class SenderNotConfigured(Exception):
    """The account cannot send customer-service messages (no AppSecret), so a reply waits in the queue."""
