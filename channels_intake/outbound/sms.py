"""The SMS backend, the one for every text to a customer (acknowledgements, replies, surveys, links):
the console in development, an HTTP gateway in production, named by INTAKE['SMS_BACKEND'] (env
SMS_BACKEND): a class with `send(*, to: str, text: str) -> None` raising OSError when not accepted."""

import http.client
import json
import logging
import sys
import threading

from django.conf import settings
from django.utils.module_loading import import_string

from config import outbound_guard
from config.console_backends import NotDelivered, refuse_outside_development

from ..models import OutboundMessage
from . import compose

logger = logging.getLogger(__name__)


class SmsError(OSError):
    """A transient failure to hand the text to the gateway (the task retries it)."""


class ConsoleSmsBackend:
    """Prints the text: development and demos have no gateway. With DEBUG off it delivers nothing."""

    def send(self, *, to: str, text: str) -> None:
        refuse_outside_development("SMS not delivered")
        sys.stdout.write(f"SMS to {to}: {text}\n")
        sys.stdout.flush()


class HttpGatewaySmsBackend:
    """POSTs {"to", "text"} as JSON to INTAKE['SMS_GATEWAY_URL'] with a bearer token; any 2xx is accepted."""

    def send(self, *, to: str, text: str) -> None:
        url = settings.INTAKE["SMS_GATEWAY_URL"]
        if not url.startswith(("http://", "https://")):
            raise SmsError("INTAKE SMS_GATEWAY_URL is not an http(s) URL.")
        body = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.INTAKE['SMS_GATEWAY_TOKEN']}",
        }
        try:
            # Through the outbound guard: no loopback or private address unless OUTBOUND_ALLOWED_HOSTS.
            conn, path = outbound_guard.http_connection(url, timeout=10)
            try:
                conn.request("POST", path, body=body, headers=headers)
                status = conn.getresponse().status
            finally:
                conn.close()
        except outbound_guard.OutboundRefused as exc:
            raise SmsError(f"SMS gateway: {exc}") from None
        except (OSError, http.client.HTTPException) as exc:
            logger.info("SMS gateway %s: %s", url, exc)
            raise SmsError("SMS gateway: the connection failed.") from None
        if not 200 <= status < 300:
            raise SmsError(f"SMS gateway answered {status}")


class LocmemSmsBackend:
    """Keeps sent texts in `LocmemSmsBackend.outbox` (tests)."""

    outbox: list[dict[str, str]] = []
    _lock = threading.Lock()

    def send(self, *, to: str, text: str) -> None:
        with self._lock:
            LocmemSmsBackend.outbox.append({"to": to, "text": text})


class NoSmsGateway:
    """No SMS_BACKEND configured: an SMS is recorded as not delivered, never as sent."""

    def send(self, *, to: str, text: str) -> None:
        raise NotDelivered("SMS not delivered: no SMS gateway is configured (SMS_BACKEND).")


def backend() -> ConsoleSmsBackend | HttpGatewaySmsBackend | NoSmsGateway:
    path = settings.INTAKE["SMS_BACKEND"]
    return import_string(path)() if path else NoSmsGateway()


def delivers() -> bool:
    """Whether a text handed to the backend can reach anybody: a gateway is named, and it is not the
    console with DEBUG off (which prints to nobody)."""
    path = settings.INTAKE["SMS_BACKEND"]
    return bool(path) and (settings.DEBUG or not path.rsplit(".", 1)[-1].startswith("Console"))


def send(delivery: OutboundMessage) -> None:
    """Send a delivery's short text to its recipient's phone."""
    backend().send(to=delivery.recipient, text=compose.sms_text(delivery))
