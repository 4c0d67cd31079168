"""The sender's batches: one mail connection per batch, a bounded number of queries, and what a
dropped connection, a server that stays away or a crash in the middle of a batch leave behind."""

import datetime as dt
import smtplib
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from feedback import services
from feedback.models import Survey
from tests.factories import CustomerFactory, TicketFactory

from .test_end_to_end import Inbox, free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


class CountingInbox(Inbox):
    """Keeps the messages and the client address of each (one per connection); once each, hangs
    up instead of accepting the message for `hang_up_on`, and answers 421 to `closing_on`."""

    def __init__(self, hang_up_on: str = "", closing_on: str = "") -> None:
        super().__init__()
        self.peers: list[tuple[str, int]] = []
        self.hang_up_on, self.closing_on = hang_up_on, closing_on

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address == self.closing_on:
            self.closing_on = ""
            return "421 Service closing transmission channel"  # smtplib hangs up on this
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.hang_up_on in envelope.rcpt_tos:
            self.hang_up_on = ""
            server.transport.close()
            return "421 Closing"  # never read: the connection is gone
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


def _smtp_server(settings, inbox: CountingInbox):
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    return controller


@pytest.fixture
def due(team, resolve, time_machine):
    """`due(n)`: n surveys due now (NOW), to customer0@… customer{n-1}@… in that order."""

    def _due(count: int) -> list[Survey]:
        time_machine.move_to(NOW - dt.timedelta(days=1), tick=False)
        for index in range(count):
            customer = CustomerFactory(email=f"customer{index}@example.com", preferred_language="en")
            resolve(TicketFactory(team=team, customer=customer))
        time_machine.move_to(NOW, tick=False)
        return list(Survey.objects.order_by("pk"))

    return _due


def test_a_batch_goes_over_one_smtp_connection(due, settings):
    due(5)
    inbox = CountingInbox()
    controller = _smtp_server(settings, inbox)
    try:
        first = services.send_due_surveys(batch_size=3)
        second = services.send_due_surveys(batch_size=3)
        third = services.send_due_surveys(batch_size=3)
    finally:
        controller.stop()

    assert (first.sent, second.sent, third.sent) == (3, 2, 0)
    assert (first.connections, second.connections, third.connections) == (1, 1, 0)  # none when idle
    assert len(inbox.messages) == 5
    assert len(set(inbox.peers)) == 2  # a connection per batch, not per message
    assert sorted(to for _sender, [to] in inbox.envelopes) == [f"customer{i}@example.com" for i in range(5)]
    assert set(Survey.objects.values_list("state", flat=True)) == {Survey.State.SENT}


def test_a_connection_dropped_mid_batch_fails_that_survey_only_and_the_rest_go_on_a_new_one(due, settings):
    surveys = due(5)
    inbox = CountingInbox(hang_up_on="customer2@example.com")
    controller = _smtp_server(settings, inbox)
    try:
        report = services.send_due_surveys(batch_size=10)
    finally:
        controller.stop()

    assert (report.sent, report.failed, report.connections) == (4, 1, 2)
    assert report.stopped_early  # the task waits for its next run rather than re-queuing at once
    assert sorted(to for _sender, [to] in inbox.envelopes) == [
        f"customer{i}@example.com" for i in (0, 1, 3, 4)
    ]
    assert len(set(inbox.peers)) == 2
    dropped = Survey.objects.get(pk=surveys[2].pk)
    assert (dropped.state, dropped.attempts) == (Survey.State.SCHEDULED, 1)
    assert dropped.send_after == NOW + services.RETRY_BASE  # the usual retry policy
    assert "SMTPServerDisconnected" in dropped.last_error
    assert Survey.objects.filter(state=Survey.State.SENT).count() == 4


def test_a_recipient_answered_421_is_retried_later_and_the_next_survey_reconnects_without_failing(
    due, settings
):
    surveys = due(3)
    inbox = CountingInbox(closing_on="customer1@example.com")
    controller = _smtp_server(settings, inbox)
    try:
        report = services.send_due_surveys(batch_size=10)
    finally:
        controller.stop()

    assert (report.sent, report.failed, report.connections, report.stopped_early) == (2, 1, 2, False)
    refused = Survey.objects.get(pk=surveys[1].pk)
    assert (refused.state, refused.attempts) == (Survey.State.SCHEDULED, 1)
    assert "421" in refused.last_error


def test_a_server_that_fails_again_after_reconnecting_stops_the_run_and_leaves_the_rest_due(due, monkeypatch):
    surveys = due(5)
    real_send = LocmemBackend.send_messages
    opened = []
    monkeypatch.setattr(LocmemBackend, "open", lambda self: opened.append(self) or True)

    def fail_from_the_third(self, messages):
        if len(mail.outbox) >= 2:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, messages)

    monkeypatch.setattr(LocmemBackend, "send_messages", fail_from_the_third)

    report = services.send_due_surveys(batch_size=10)

    assert (report.sent, report.failed, report.stopped_early) == (2, 2, True)
    assert len(opened) == report.connections == 2  # the first, then one reconnect
    states = {s.pk: (s.state, s.attempts, s.send_after) for s in Survey.objects.all()}
    retry_at = NOW + services.RETRY_BASE
    assert [states[s.pk] for s in surveys[2:]] == [
        (Survey.State.SCHEDULED, 1, retry_at),  # tried and failed: retried as usual
        (Survey.State.SCHEDULED, 1, retry_at),  # tried again on the new connection, failed
        (Survey.State.SCHEDULED, 0, NOW),  # never tried: due for the next run, no attempt counted
    ]


def test_a_crash_mid_batch_leaves_the_survey_in_flight_for_after_the_lease_and_the_rest_due(
    due, monkeypatch, time_machine
):
    surveys = due(4)
    real_send = LocmemBackend.send_messages

    def crash_on_the_second(self, messages):
        if len(mail.outbox) == 1:
            raise RuntimeError("worker killed")  # not a delivery error: the run itself breaks
        return real_send(self, messages)

    monkeypatch.setattr(LocmemBackend, "send_messages", crash_on_the_second)
    with pytest.raises(RuntimeError):
        services.send_due_surveys(batch_size=10)

    by_pk = {s.pk: s for s in Survey.objects.all()}
    assert by_pk[surveys[0].pk].state == Survey.State.SENT
    # Whether the server took the one in flight is unknown: it is not sent again before the lease is over.
    assert by_pk[surveys[1].pk].send_after == NOW + services.CLAIM_LEASE
    assert [by_pk[s.pk].send_after for s in surveys[2:]] == [NOW, NOW]
    monkeypatch.setattr(LocmemBackend, "send_messages", real_send)
    assert services.send_due_surveys().sent == 2
    time_machine.move_to(NOW + services.CLAIM_LEASE, tick=False)
    assert services.send_due_surveys().sent == 1
    assert set(Survey.objects.values_list("state", flat=True)) == {Survey.State.SENT}


@pytest.mark.parametrize("count", [5, 10])
def test_queries_per_batch_are_one_write_per_survey_plus_a_few(due, django_assert_num_queries, count):
    due(count)

    # Expire stale links (1); claim the due surveys: savepoint, select with ticket, customer,
    # policy and latest resolution, move their due time, release (4); one UPDATE per survey
    # recording it. The batch is full then, so no reminders are looked for.
    with django_assert_num_queries(1 + 4 + count):
        report = services.send_due_surveys(batch_size=count)

    assert report.sent == count
    assert len(mail.outbox) == count


def test_a_batch_with_room_left_looks_for_reminders_in_three_more_queries(due, django_assert_num_queries):
    due(3)

    with django_assert_num_queries(1 + 4 + 3 + 3):  # as above, then savepoint, select, release
        report = services.send_due_surveys(batch_size=10)

    assert (report.sent, report.reminded) == (3, 0)
