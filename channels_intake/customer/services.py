"""What the customer pages do besides calling complaints.services: look-ups and small writes
that are the customer's own (their language), with no ticket row touched here."""

import hmac
import re

from django.conf import settings

from complaints import pii, selectors
from complaints.models import Ticket
from complaints.models.tickets import CROCKFORD_ALPHABET
from complaints.services import customers as customer_services
from config.celery import queue_after_commit

# Crockford base-32 reads I and L as 1 and O as 0, so a misread reference still matches.
_CROCKFORD_FIXES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_REFERENCE_BODY = re.compile(f"[{CROCKFORD_ALPHABET}]{{8}}")
# Compared against when no ticket is found, so both branches do the same work.
_NO_INDEX = "0" * 64


def normalise_reference(raw: str) -> str | None:
    """CMP-XXXXXXXX from what a person typed (any case, spaces, dashes, with or without CMP-); None if
    it cannot be a reference."""
    text = re.sub(r"[\s\-_]", "", raw or "").upper()
    if text.startswith("CMP"):
        text = text[3:]
    text = text.translate(_CROCKFORD_FIXES)
    if not _REFERENCE_BODY.fullmatch(text):
        return None
    return f"CMP-{text}"


def find_ticket_for_contact(*, reference: str, contact: str) -> Ticket | None:
    """The ticket with this reference whose customer gave this e-mail or phone; None otherwise.

    A wrong contact and an unknown reference cost the same: one indexed query, both blind
    indexes computed, and constant-time comparisons against real or placeholder values.
    No personal data is decrypted.
    """
    ticket = selectors.ticket_by_reference(
        reference, "customer", only=("pk", "reference", "customer__email_index", "customer__phone_index")
    )
    email_index = pii.blind_index("email", contact) or "-"
    phone_index = pii.blind_index("phone", contact) or "-"
    stored_email = ticket.customer.email_index if ticket is not None else _NO_INDEX
    stored_phone = ticket.customer.phone_index if ticket is not None else _NO_INDEX
    email_ok = hmac.compare_digest(email_index, stored_email or _NO_INDEX)
    phone_ok = hmac.compare_digest(phone_index, stored_phone or _NO_INDEX)
    kind_is_email = "@" in contact
    matched = email_ok if kind_is_email else phone_ok
    return ticket if matched and ticket is not None else None


def send_link(*, reference: str, via: str = "email") -> None:
    """Queue a fresh link to the contact on file, by e-mail or SMS as asked (the other one when only that
    is on file); whether there is a ticket or a contact is the task's business, so the caller learns
    nothing and every request does the same work here."""
    queue_after_commit("channels_intake.customer.tasks.send_ticket_link", reference, via)


def remember_language(*, customer_id: int, language: str) -> None:
    """Keep the language the customer is using as their preferred one, for our mails and pages."""
    if language not in dict(settings.LANGUAGES):
        return
    customer_services.remember_language(customer_id=customer_id, language=language)
