"""Signed ticket links: who they open, when they stop, and what a forged one gets."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from channels_intake import tokens
from complaints import services
from complaints.states import Status
from tests.factories import TicketFactory


@pytest.fixture
def ticket(db):
    return TicketFactory()


@time_machine.travel("2026-03-02 09:00 +08:00", tick=False)  # both links issued in the same second
def test_a_token_opens_its_ticket_and_the_url_is_absolute(ticket, settings):
    token = tokens.ticket_token(ticket)
    assert tokens.ticket_from_token(token) == ticket
    assert tokens.customer_ticket_url(ticket) == settings.SITE_URL + reverse("public:ticket", args=[token])
    assert tokens.reference_from_token(token) == ticket.reference


def test_a_forged_or_mangled_token_is_refused(ticket):
    token = tokens.ticket_token(ticket)
    forged = signing.dumps({"r": ticket.reference}, salt="another-salt", compress=True)
    for bad in (token[:-1] + ("x" if token[-1] != "x" else "y"), forged, "", "a:b:c"):
        with pytest.raises(signing.BadSignature):
            tokens.ticket_from_token(bad)


def test_open_tickets_links_do_not_expire(ticket):
    token = tokens.ticket_token(ticket)
    with time_machine.travel(timedelta(days=3650)):
        assert tokens.ticket_from_token(token) == ticket


def test_links_expire_the_configured_days_after_closing(ticket, settings):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "TICKET_LINK_DAYS_AFTER_CLOSE": 3}
    token = tokens.ticket_token(ticket)
    services.transition(ticket_id=ticket.pk, actor=None, to=Status.CLOSED, version=None, reason="spam")
    ticket.refresh_from_db()
    with time_machine.travel(ticket.closed_at + timedelta(days=3) - timedelta(seconds=1), tick=False):
        assert tokens.ticket_from_token(token) == ticket
    with time_machine.travel(ticket.closed_at + timedelta(days=3), tick=False):
        with pytest.raises(tokens.LinkExpired) as expired:
            tokens.ticket_from_token(token)
        assert expired.value.reference == ticket.reference
        assert isinstance(expired.value, signing.BadSignature)  # callers catching BadSignature still work
        # A link issued now (a requested new link) has its own days.
        assert tokens.ticket_from_token(tokens.ticket_token(ticket)) == ticket
