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


# --- add_messages: many at once, add_message being its one-message case ----------------------------


def _reply(ticket, body="Known outage, fixed tonight"):
    return services.NewMessage(ticket_id=ticket.pk, kind=Message.Kind.REPLY, body=body)


def test_bulk_replies_do_for_each_ticket_what_one_reply_does(agent):
    new, working = make(), make(Status.IN_PROGRESS)
    messages = services.add_messages(actor=agent, messages=[_reply(new), _reply(working)])
    new.refresh_from_db()
    working.refresh_from_db()
    assert [m.ticket_id for m in messages] == [new.pk, working.pk]
    assert all(m.pk and m.is_public and m.author == agent for m in messages)
    assert new.status == Status.ACKNOWLEDGED and new.first_response_at == messages[0].created_at
    assert kinds(new) == [EventKind.STATUS_CHANGED, EventKind.REPLIED]
    assert working.status == Status.IN_PROGRESS and working.first_response_at == messages[1].created_at
    assert kinds(working) == [EventKind.REPLIED]
    assert new.version == working.version == 2
    replied = working.events.get(kind=EventKind.REPLIED)
    assert replied.detail == {"message_id": messages[1].pk}


def test_bulk_messages_on_one_ticket_keep_their_order_and_move_the_version_once(agent):
    ticket = make(Status.AWAITING_CUSTOMER)
    batch = [
        services.NewMessage(ticket_id=ticket.pk, kind=Message.Kind.CUSTOMER, body=text, version=1)
        for text in ("first", "<b>second</b><script>x</script>")
    ]
    messages = services.add_messages(actor=None, messages=batch)
    ticket.refresh_from_db()
    assert [m.body for m in ticket.messages.order_by("pk")] == ["first", "<b>second</b>"]
    assert [m.pk for m in messages] == list(ticket.messages.order_by("pk").values_list("pk", flat=True))
    assert ticket.status == Status.IN_PROGRESS and ticket.version == 2
    # Only the first message finds the ticket awaiting the customer.
    assert kinds(ticket) == [EventKind.CUSTOMER_MESSAGE, EventKind.STATUS_CHANGED, EventKind.CUSTOMER_MESSAGE]


def test_a_refused_message_refuses_the_whole_batch(agent):
    open_ticket, closed = make(Status.IN_PROGRESS), make(Status.CLOSED)
    with pytest.raises(IllegalTransition):
        services.add_messages(actor=agent, messages=[_reply(open_ticket), _reply(closed)])
    with pytest.raises(ComplaintError):
        services.add_messages(
            actor=agent, messages=[_reply(open_ticket), _reply(open_ticket, body="<script>x</script>")]
        )
    assert not Message.objects.filter(ticket__in=[open_ticket, closed]).exists()
    open_ticket.refresh_from_db()
    assert open_ticket.version == 1 and open_ticket.first_response_at is None


def test_bulk_replies_cost_the_same_statements_for_two_tickets_or_twenty(
    agent, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """The core's own statements (lock, messages, events, tickets) do not grow with the batch; the
    other apps' reactions (SLA clocks, deliveries) are measured with the incidents' fan-out."""
    from complaints.events import events_recorded, ticket_event

    saved = ticket_event.receivers, events_recorded.receivers
    ticket_event.receivers, events_recorded.receivers = [], []
    for signal in (ticket_event, events_recorded):
        signal.sender_receivers_cache.clear()
    try:
        for count in (2, 20):
            tickets = [make(Status.IN_PROGRESS) for _ in range(count)]
            # savepoint, lock, the customers, messages, events, tickets, release
            with django_assert_num_queries(7), django_capture_on_commit_callbacks():
                services.add_messages(actor=agent, messages=[_reply(t) for t in tickets])
    finally:
        ticket_event.receivers, events_recorded.receivers = saved
        for signal in (ticket_event, events_recorded):
            signal.sender_receivers_cache.clear()
