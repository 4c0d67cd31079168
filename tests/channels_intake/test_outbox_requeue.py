"""The outbox: a delivery whose publish after commit was lost is published again by the periodic
re-queue, once per OUTBOX_REQUEUE_AFTER; what is sent, waiting or being sent is left alone; a broker
that is down never fails the request that committed the delivery."""

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from channels_intake import outbound, tasks
from channels_intake.models import OutboundMessage
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def delivery(**fields) -> OutboundMessage:
    fields.setdefault("key", f"ack:{OutboundMessage.objects.count()}")
    return OutboundMessage.objects.create(
        ticket=TicketFactory(),
        purpose=OutboundMessage.Purpose.ACKNOWLEDGEMENT,
        transport=OutboundMessage.Transport.EMAIL,
        recipient="li.lei@example.com",
        email_message_id="<x@example.com>",
        **fields,
    )


def test_a_new_delivery_is_due_for_the_requeue_after_the_configured_time(settings):
    settings.OUTBOX_REQUEUE_AFTER = 120
    row = delivery()
    assert timedelta(seconds=115) < row.requeue_after - timezone.now() <= timedelta(seconds=120)


def test_only_queued_deliveries_past_their_time_are_published_again_and_then_not_before_the_next(
    deliveries, django_capture_on_commit_callbacks
):
    past = timezone.now() - timedelta(seconds=1)
    stranded = delivery(requeue_after=past)
    delivery(requeue_after=timezone.now() + timedelta(minutes=5))  # its publish may still be on the way
    delivery(requeue_after=past, state=OutboundMessage.State.SENT)
    delivery(requeue_after=past, state=OutboundMessage.State.WAITING)
    delivery(requeue_after=past, state=OutboundMessage.State.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbound.requeue_stranded() == [stranded.pk]
    assert deliveries.queued == [stranded.pk]
    stranded.refresh_from_db()
    assert stranded.requeue_after > timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbound.requeue_stranded() == []
    assert outbound.outbox_age_seconds() == 0.0


def test_sending_a_requeued_delivery_twice_sends_it_once(
    deliveries, django_capture_on_commit_callbacks, mailoutbox
):
    row = delivery(requeue_after=timezone.now() - timedelta(seconds=1))
    outbound.send_delivery(delivery_id=row.pk)
    outbound.send_delivery(delivery_id=row.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbound.requeue_stranded() == []
    assert len(mailoutbox) == 1


def test_a_failed_attempt_waits_for_the_tasks_own_retry_before_the_outbox_steps_in(settings, monkeypatch):
    settings.OUTBOX_RETRY_GRACE = 2100
    row = delivery(requeue_after=timezone.now() - timedelta(seconds=1))

    def refuse(delivery):
        raise OSError("connection refused")

    monkeypatch.setitem(outbound.SENDERS, OutboundMessage.Transport.EMAIL, refuse)
    with pytest.raises(OSError):
        outbound.send_delivery(delivery_id=row.pk)
    row.refresh_from_db()
    assert row.state == OutboundMessage.State.QUEUED
    assert row.requeue_after - timezone.now() > timedelta(seconds=2000)


def test_a_broker_that_is_down_leaves_the_committed_delivery_to_the_outbox(
    monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def down(*args, **kwargs):
        raise BrokerUnavailable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_delivery, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_delivery.delay_on_commit(123)  # raises nothing
    assert "left to the periodic re-queue" in caplog.text
