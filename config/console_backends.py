"""Console "delivery" for development only: with DEBUG off nothing printed counts as delivered.

Production refuses to start with a console e-mail or SMS backend unless ALLOW_CONSOLE_BACKENDS is
set (config/settings.py); even then, a message a console backend 'sends' raises NotDelivered, so it is
recorded as failed, never as sent to the customer.
"""

import email
import email.policy

from django.conf import settings
from django.core.mail.backends.console import EmailBackend


class NotDelivered(OSError):
    """A console backend only prints: nothing reached the customer."""


def refuse_outside_development(what: str) -> None:
    if not settings.DEBUG:
        raise NotDelivered(f"{what}: the console backend delivers nothing with DEBUG off.")


class ConsoleEmailBackend(EmailBackend):
    """Django's console backend, refusing to 'send' with DEBUG off (the mail would be reported sent),
    and printing each mail decoded: its headers in words and its text as a person reads it, so the
    links in it can be copied (Django prints the raw quoted-printable or base64 MIME)."""

    SHOWN_HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To")

    def send_messages(self, email_messages: list) -> int:
        if email_messages:
            refuse_outside_development("E-mail not delivered")
        return super().send_messages(email_messages)

    def write_message(self, message) -> None:
        self.stream.write(readable_mail(message.message().as_bytes(), self.SHOWN_HEADERS))
        self.stream.write("-" * 79 + "\n")


def readable_mail(raw: bytes, headers: tuple[str, ...]) -> str:
    """A MIME message as text: the chosen headers decoded, each text part decoded, other parts named."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    lines = [f"{name}: {parsed[name]}" for name in headers if parsed[name] is not None]
    for part in parsed.walk():
        if part.is_multipart():
            continue
        kind, filename = part.get_content_type(), part.get_filename()
        if filename or part.get_content_maintype() not in ("text",):
            size = len(part.get_payload(decode=True) or b"")
            lines.append(f"[attachment: {filename or '(unnamed)'}, {kind}, {size} bytes]")
        elif kind == "text/plain":
            lines += ["", part.get_content().rstrip()]
        else:  # the HTML alternative says the same as the text part
            lines.append(f"[{kind} alternative, {len(part.get_content())} characters]")
    return "\n".join(lines) + "\n"
