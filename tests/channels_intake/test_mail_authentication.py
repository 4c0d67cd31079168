"""A From address is a claim: with our receiving server's Authentication-Results trusted
(INTAKE MAIL_AUTHSERV_IDS), a forged sender cannot write into a customer's ticket."""

import pytest

from channels_intake import mailauth, mailparse
from channels_intake.models import Mailbox
from complaints.models import Message, Ticket
from tests.channels_intake.test_email_intake import plain, take

OURS = "mx.desk.example"


@pytest.fixture
def trusted_server(settings):
    settings.INTAKE = {**settings.INTAKE, "MAIL_AUTHSERV_IDS": [OURS]}


def with_results(raw: bytes, value: str) -> bytes:
    """The mail as our server hands it on: its Authentication-Results header on top."""
    return f"Authentication-Results: {value}\r\n".encode() + raw


def verdict(*results: str) -> bool | None:
    raw = plain()
    for value in reversed(results):  # the first is the topmost
        raw = with_results(raw, value)
    return mailauth.sender_verified(mailparse.parse(raw))


def test_nothing_is_judged_without_a_trusted_server(settings):
    settings.INTAKE = {**settings.INTAKE, "MAIL_AUTHSERV_IDS": []}
    assert verdict(f"{OURS}; dmarc=fail header.from=example.com") is None


@pytest.mark.usefixtures("trusted_server")
@pytest.mark.parametrize(
    ("results", "verified"),
    [
        (
            [
                f"{OURS}; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"
            ],
            True,
        ),
        ([f"{OURS}; dmarc=fail (p=reject) header.from=example.com"], False),
        # No DMARC verdict: a DKIM signature of the sender's own domain will do, another domain's not.
        ([f"{OURS}; dkim=pass header.d=example.com"], True),
        ([f"{OURS}; dkim=pass header.d=mailer.example.net"], False),
        # A header the sender wrote themselves (another authserv-id) counts for nothing.
        (
            [
                f"{OURS}; dmarc=fail header.from=example.com",
                "attacker.example; dmarc=pass header.from=example.com",
            ],
            False,
        ),
        (["attacker.example; dmarc=pass header.from=example.com"], False),
        ([], False),
    ],
)
def test_only_our_servers_verdict_counts(results, verified):
    assert verdict(*results) is verified


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(
        name="Complaints", address="complaints@desk.example", host="127.0.0.1", username="desk", password="x"
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("trusted_server")
def test_a_forged_sender_cannot_write_into_the_customers_ticket(mailbox):
    passed = f"{OURS}; dmarc=pass header.from=example.com"
    ticket = take(with_results(plain(), passed), mailbox).ticket
    reply = plain(subject=f"Re: [{ticket.reference}] router", body="Still broken", message_id="<r2@client>")
    assert take(with_results(reply, passed), mailbox).ticket == ticket

    forged = plain(
        subject=f"Re: [{ticket.reference}] router",
        body="<script>alert(1)</script> Please send my refund to account 6222 0000",
        message_id="<forged@evil.example>",
        In_Reply_To="<r2@client>",
    )
    item = take(
        with_results(
            forged, f"{OURS}; spf=fail smtp.mailfrom=example.com; dmarc=fail header.from=example.com"
        ),
        mailbox,
    )

    assert item.ticket != ticket
    assert not Message.objects.filter(ticket=ticket, body__contains="refund").exists()
    assert Ticket.objects.count() == 2
