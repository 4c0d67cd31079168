"""Signed links to a customer's ticket page: /t/<token>/ (in every e-mail to the customer).

A token names the ticket and carries the time it was issued (Django's timestamp signer).
It stays valid while the ticket is open and for COMPLAINTS["TICKET_LINK_DAYS_AFTER_CLOSE"]
days after it closes; a link issued after closing (a requested new link) gets those days
from its own issue time, so "send me a new link" works for an old closed ticket too.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from complaints import selectors
from complaints.models import Ticket

SALT = "channels_intake.ticket-page"


class LinkExpired(signing.SignatureExpired):
    """A genuine link whose time is up; `reference` says which ticket it named, so a new one can be sent."""

    def __init__(self, reference: str, expired_at: datetime) -> None:
        super().__init__(f"The link to {reference} expired at {expired_at.isoformat()}.")
        self.reference = reference
        self.expired_at = expired_at


def link_days_after_close() -> int:
    return int(settings.COMPLAINTS.get("TICKET_LINK_DAYS_AFTER_CLOSE", 30))


def ticket_token(ticket: Ticket) -> str:
    """A signed token for the ticket page, issued now."""
    return signing.dumps({"r": ticket.reference}, salt=SALT, compress=True)


def _unsign(token: str) -> tuple[str, datetime]:
    """The reference and issue time of a genuine token; raises signing.BadSignature otherwise."""
    signer = signing.TimestampSigner(salt=SALT)
    data = signer.unsign_object(token)  # checks the signature (current or fallback keys)
    # The plain Signer's unsign keeps the "payload:timestamp" that the timestamp signer signed.
    timestamp = signing.Signer.unsign(signer, token).rsplit(signer.sep, 1)[1]
    if not isinstance(data, dict) or not isinstance(data.get("r"), str):
        raise signing.BadSignature("Malformed ticket link.")
    return data["r"], datetime.fromtimestamp(signing.b62_decode(timestamp), tz=UTC)


def reference_from_token(token: str) -> str:
    """The reference a genuine token names, whether or not it has expired (to send a new link)."""
    return _unsign(token)[0]


def expires_at(ticket: Ticket, issued_at: datetime) -> datetime | None:
    """When a link issued at `issued_at` stops working; None while the ticket is open."""
    if ticket.closed_at is None:
        return None
    return max(ticket.closed_at, issued_at) + timedelta(days=link_days_after_close())


def ticket_from_token(token: str) -> Ticket:
    """The ticket a token names; raises signing.BadSignature for a forged or mangled token,
    LinkExpired (a BadSignature) for one past its time, Ticket.DoesNotExist for one whose ticket is gone."""
    reference, issued_at = _unsign(token)
    ticket = selectors.ticket_by_reference(reference)
    if ticket is None:
        raise Ticket.DoesNotExist(reference)
    expiry = expires_at(ticket, issued_at)
    if expiry is not None and timezone.now() >= expiry:
        raise LinkExpired(reference, expiry)
    return ticket


def customer_ticket_url(ticket: Ticket) -> str:
    """Absolute link for e-mails and messages to the customer."""
    return settings.SITE_URL + reverse("public:ticket", args=[ticket_token(ticket)])
