"""Console "delivery" for development only: with DEBUG off nothing printed counts as delivered.

Production refuses to start with a console e-mail or SMS backend unless ALLOW_CONSOLE_BACKENDS is
set (config/settings.py); even then, a message a console backend 'sends' raises NotDelivered, so it is
recorded as failed, never as sent to the customer.
"""

from django.conf import settings
from django.core.mail.backends.console import EmailBackend


class NotDelivered(OSError):
    """A console backend only prints: nothing reached the customer."""


def refuse_outside_development(what: str) -> None:
    if not settings.DEBUG:
        raise NotDelivered(f"{what}: the console backend delivers nothing with DEBUG off.")


class ConsoleEmailBackend(EmailBackend):
    """Django's console backend, refusing to 'send' with DEBUG off (the mail would be reported sent)."""

    def send_messages(self, email_messages: list) -> int:
        if email_messages:
            refuse_outside_development("E-mail not delivered")
        return super().send_messages(email_messages)
