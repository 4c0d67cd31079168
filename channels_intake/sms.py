"""Pluggable SMS sending: the console by default, an HTTP gateway in production (INTAKE['SMS_BACKEND'])."""

import json
import logging
import sys
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

from config.console_backends import NotDelivered, refuse_outside_development

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
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=json.dumps({"to": to, "text": text}, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.INTAKE['SMS_GATEWAY_TOKEN']}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise SmsError(f"SMS gateway answered {response.status}")
        except OSError as exc:
            raise SmsError(f"SMS gateway unreachable: {exc}") from exc


class NoSmsGateway:
    """No SMS_BACKEND configured: an SMS is recorded as not delivered, never as sent."""

    def send(self, *, to: str, text: str) -> None:
        raise NotDelivered("SMS not delivered: no SMS gateway is configured (SMS_BACKEND).")


def backend() -> ConsoleSmsBackend | HttpGatewaySmsBackend | NoSmsGateway:
    path = settings.INTAKE["SMS_BACKEND"]
    return import_string(path)() if path else NoSmsGateway()
