"""The same inbound item delivered twice at the same moment makes one ticket (PostgreSQL, two threads)."""

import threading

import pytest
from django.db import connection, connections

from channels_intake import services
from channels_intake.models import InboundItem
from complaints.models import Message, Ticket

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and concurrent connections need PostgreSQL"
    ),
]


def run_twice_at_once(work) -> list:
    barrier = threading.Barrier(2)
    results: list = []
    errors: list = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # collected and re-raised in the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_web_submission_twice_at_once_is_one_ticket():
    fields = {
        "name": "A",
        "email": "race@example.com",
        "subject": "Race",
        "description": "Two tabs, one click",
    }
    results = run_twice_at_once(
        lambda: services.submit_web_form(submission_id="same", fields=fields, files=[]).pk
    )
    assert len(set(results)) == 1
    assert InboundItem.objects.count() == 1 and Ticket.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_email_twice_at_once_is_one_message():
    first = b"From: a@example.com\r\nSubject: Broken\r\nMessage-ID: <one@x>\r\n\r\nIt is broken\r\n"
    ticket = services.process_item(item_id=services.receive_email(raw=first, mailbox=None)[0].pk).ticket
    reply = (
        f"From: a@example.com\r\nSubject: Re: [{ticket.reference}]\r\nMessage-ID: <two@x>\r\n"
        f"In-Reply-To: <one@x>\r\n\r\nStill broken\r\n"
    ).encode()

    def deliver() -> int:
        item, _ = services.receive_email(raw=reply, mailbox=None)
        return services.process_item(item_id=item.pk).pk

    run_twice_at_once(deliver)
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert InboundItem.objects.get(source_id="two@x").state == "processed"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_email_polled_twice_at_once_is_one_item_and_one_ticket():
    raw = b"From: b@example.com\r\nSubject: Broken\r\nMessage-ID: <polled@x>\r\n\r\nIt is broken\r\n"
    results = run_twice_at_once(lambda: services.take_email(raw=raw, mailbox=None).pk)
    assert len(set(results)) == 1
    item = InboundItem.objects.get(source_id="polled@x")
    assert item.state == "processed" and item.attempts == 1
    assert Ticket.objects.count() == 1
