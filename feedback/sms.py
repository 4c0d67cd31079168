"""Pluggable SMS sending for survey links.

settings.FEEDBACK["SMS_BACKEND"] names a class with `send(*, to: str, text: str) -> None`
that raises SmsDeliveryError (or OSError) when the message was not accepted. An empty
setting means no SMS gateway: SMS surveys are then cancelled, never reported as sent.
"""

import sys
import threading

from django.conf import settings
from django.utils.module_loading import import_string


class SmsDeliveryError(Exception):
    """The gateway did not accept the message."""


class ConsoleSmsBackend:
    """Prints each SMS to standard output, like Django's console e-mail backend (development)."""

    def send(self, *, to: str, text: str) -> None:
        sys.stdout.write(f"SMS to {to}:\n{text}\n{'-' * 40}\n")
        sys.stdout.flush()


class LocmemSmsBackend:
    """Keeps sent SMS in `LocmemSmsBackend.outbox` (tests)."""

    outbox: list[dict[str, str]] = []
    _lock = threading.Lock()

    def send(self, *, to: str, text: str) -> None:
        with self._lock:
            LocmemSmsBackend.outbox.append({"to": to, "text": text})


def get_sms_backend() -> ConsoleSmsBackend | LocmemSmsBackend | object | None:
    """An instance of the configured backend, or None when no SMS gateway is configured.

    A console backend with DEBUG off counts as none: what it prints reaches nobody."""
    path = settings.FEEDBACK.get("SMS_BACKEND", "")
    if not path or (not settings.DEBUG and path.rsplit(".", 1)[-1].startswith("Console")):
        return None
    return import_string(path)()
