"""Signed links to a customer's ticket page: /t/<token>/ (in every e-mail to the customer)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from complaints.models import Ticket

SALT = "channels_intake.ticket-page"


def ticket_token(ticket: Ticket) -> str:
    return signing.dumps({"r": ticket.reference}, salt=SALT, compress=True)


def ticket_from_token(token: str) -> Ticket:
    """The ticket a token names; raises signing.BadSignature for a forged or mangled token,
    Ticket.DoesNotExist for one whose ticket is gone."""
    data = signing.loads(token, salt=SALT)
    return Ticket.objects.get(reference=data["r"])


def customer_ticket_url(ticket: Ticket) -> str:
    """Absolute link for e-mails and messages to the customer."""
    return settings.SITE_URL + reverse("public:ticket", args=[ticket_token(ticket)])
