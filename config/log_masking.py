"""Contact details and link tokens never reach a log line: e-mail addresses, phone numbers and the
signed tokens of customers' links and password resets are masked.

`ContactMaskingFilter` is on the one handler of settings.LOGGING (every log line the product writes,
Django's request log included); `MaskingGunicornLogger` masks gunicorn's access log, whose request
line and referrer carry query strings (`--logger-class config.log_masking.MaskingGunicornLogger`).
"""

import logging
import re
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger as GunicornLogger

# An address, also as it appears in a query string (%40 for @, + or %2B in the local part).
EMAIL = re.compile(
    r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(?:@|%40)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)
# A phone number: a Chinese mobile (138 1234 1234, +86 …), a landline with its area code (010-12345678)
# or any number written with an international +; not references, dates or durations.
PHONE = re.compile(
    r"(?<![\w.%-])(?:(?:\+|%2B)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![\w-])"
    r"|(?<![\w.%-])0\d{2,3}-\d{7,8}(?![\w-])"
    r"|(?:\+|%2B)\d(?:[ -]?\d){6,14}(?![\w-])"
)


def _mask_phone(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0).replace("%2B", ""))
    digits = digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
    return f"{digits[:3]}****{digits[-4:]}"


def mask_contacts(text: str) -> str:
    """`text` with every e-mail address as `z***@example.com` and every phone number as `138****1234`."""
    if "%" in text:
        decoded = unquote_plus(text)
        if EMAIL.search(decoded) or PHONE.search(decoded):
            text = decoded
    text = EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return PHONE.sub(_mask_phone, text)


# The signed tokens of customers' links (ticket page, survey) and of password resets: whoever reads the
# log could otherwise open the page and act as the customer or take the account.
LINK_TOKEN = re.compile(r"(/(?:t|survey)/)[^/\s?#\"']+|(/accounts/reset/)[^/\s?#\"']+/[^/\s?#\"']+")


def mask_link_tokens(text: str) -> str:
    """`text` with every customer-link and password-reset token as `…`."""
    return LINK_TOKEN.sub(lambda m: f"{m.group(1) or m.group(2)}…", text)


def mask(text: str) -> str:
    """Contacts and link tokens masked: what every log line goes through."""
    return mask_link_tokens(mask_contacts(text))


class ContactMaskingFilter(logging.Filter):
    """Masks contacts and link tokens in the formatted message (and a traceback's text) of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return True


class MaskingGunicornLogger(GunicornLogger):
    """gunicorn's logger with contacts and link tokens masked in every access-log field (path, query,
    referrer)."""

    def atoms(self, resp: object, req: object, environ: dict, request_time: object) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask(value) if isinstance(value, str) else value for key, value in atoms.items()}
