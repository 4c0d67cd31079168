"""complaints.services.messages: add_message's effect on status, first response and timeline, sanitised."""

import pytest

from complaints import services
from complaints.errors import ComplaintError, IllegalTransition
from complaints.events import EventKind
from complaints.models import Message
from complaints.states import Status

from .conftest import kinds, make

pytestmark = pytest.mark.django_db


def test_customer_message_puts_an_awaiting_ticket_back_in_progress(agent):
    ticket = make(Status.AWAITING_CUSTOMER)
    services.add_message(
        ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Here it is", version=1
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.version == 2
    assert kinds(ticket) == [EventKind.CUSTOMER_MESSAGE, EventKind.STATUS_CHANGED]


def test_first_public_reply_acknowledges_and_sets_first_response(agent):
    ticket = make()
    message = services.add_message(
        ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="We are on it"
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.ACKNOWLEDGED
    assert ticket.first_response_at == message.created_at and ticket.acknowledged_at is not None
    assert message.is_public and message.author == agent
    assert kinds(ticket) == [EventKind.STATUS_CHANGED, EventKind.REPLIED]
    first = ticket.first_response_at
    services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="Still on it")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first and ticket.version == 3


def test_internal_note_is_not_public_and_changes_no_status(agent):
    ticket = make()
    note = services.add_message(
        ticket_id=ticket.pk, actor=agent, kind=Message.Kind.NOTE, body="Check the log"
    )
    ticket.refresh_from_db()
    assert not note.is_public
    assert ticket.status == Status.NEW and ticket.first_response_at is None
    assert kinds(ticket) == [EventKind.NOTE_ADDED]


def test_message_html_is_sanitised(agent):
    ticket = make()
    message = services.add_message(
        ticket_id=ticket.pk,
        actor=agent,
        kind=Message.Kind.NOTE,
        body='<script>alert(1)</script><b onclick="x()">bold</b><img src=x onerror=y>',
    )
    assert message.body == "<b>bold</b>"
    with pytest.raises(ComplaintError):
        services.add_message(
            ticket_id=ticket.pk, actor=agent, kind=Message.Kind.NOTE, body="<script>x</script>"
        )


def test_reply_on_a_closed_ticket_is_refused(agent):
    ticket = make(Status.CLOSED)
    with pytest.raises(IllegalTransition):
        services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="hi")
    assert not ticket.messages.exists()
