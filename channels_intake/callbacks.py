"""Signed JSON POSTed to a webhook channel's callback URL: replies, status updates and survey links.

The body is signed like the pushes we receive (webhooks.sign: HMAC-SHA256 with the channel secret
over `timestamp.body`, in X-Signature, the Unix seconds in X-Timestamp) and carries an Idempotency-Key
that stays the same on every retry of one delivery, so the receiver shows it once. The address is
resolved and every address it resolves to must be public (config.outbound_guard) unless the channel
is allowed a private callback; redirects are never followed.
"""

import hashlib
import http.client
import json
import logging
import time
from urllib.parse import urlsplit

from config import outbound_guard

from .models import WebhookChannel
from .webhooks import sign

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class CallbackError(OSError):
    """The callback could not be reached or answered an error worth retrying (5xx, 408, 429)."""


class CallbackRefused(Exception):
    """The callback can never take this delivery as it stands (no URL, a refused address, a 4xx)."""


def idempotency_key(delivery_key: str) -> str:
    """The same for every attempt of one delivery, and no clue to our row ids."""
    return hashlib.sha256(f"callback:{delivery_key}".encode()).hexdigest()[:32]


def _connection(channel: WebhookChannel, url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise CallbackRefused("The callback URL is not an http(s) URL.")
    if not channel.callback_private_allowed:
        default_port = 443 if parts.scheme == "https" else 80
        try:
            # Checked now so that a refused address fails the delivery, while a server that is down
            # (the guard words both alike when connecting) is retried.
            outbound_guard.resolve(parts.hostname, parts.port or default_port)
        except outbound_guard.OutboundRefused as exc:
            if "not allowed" in str(exc):
                raise CallbackRefused(str(exc)) from None
            raise CallbackError(str(exc)) from None
        try:
            return outbound_guard.http_connection(url, timeout=TIMEOUT_SECONDS)
        except outbound_guard.OutboundRefused as exc:
            raise CallbackRefused(str(exc)) from None
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return cls(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS), path


def post(*, channel: WebhookChannel, payload: dict, key: str, now: float | None = None) -> int:
    """POST one signed payload; the HTTP status on success (2xx)."""
    if not channel.callback_url:
        raise CallbackRefused("The channel has no callback URL.")
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(now if now is not None else time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Timestamp": timestamp,
        "X-Signature": sign(secret=channel.secret, timestamp=timestamp, body=body),
        "Idempotency-Key": idempotency_key(key),
        "X-Event": str(payload.get("event", "")),
        "User-Agent": "complaint-desk-callback/1",
    }
    conn, path = _connection(channel, channel.callback_url)
    try:
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read(65536)
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            # The connection goes to an address checked again (outbound_guard.connect); a refusal here
            # is a server that is down or an answer that changed since: tried again later.
            logger.info("Callback of %s: %s", channel.slug, exc)
            raise CallbackError("The callback could not be reached.") from None
    finally:
        conn.close()
    if 200 <= status < 300:
        return status
    if 300 <= status < 400:
        raise CallbackRefused(f"The callback answered a redirect ({status}); redirects are not followed.")
    if status >= 500 or status in (408, 429):
        raise CallbackError(f"The callback answered {status}.")
    raise CallbackRefused(f"The callback answered {status}.")
