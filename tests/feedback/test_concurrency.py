"""Two senders at once (two threads, two PostgreSQL connections): every survey is e-mailed exactly once.

Each sender works in batches smaller than the number of due surveys (as the beat task does, re-queuing
itself), so both claim batches at the same time and both really send.
"""

import threading
from collections import Counter
from datetime import time

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

from complaints import services as complaint_services
from feedback import services
from feedback.models import Survey, SurveyPolicy
from tests.factories import AgentFactory, CustomerFactory, RootCauseFactory, TeamFactory, TicketFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks with SKIP LOCKED need PostgreSQL"
    ),
]

SURVEYS = 20
BATCH = 5


class RecordingBackend(BaseEmailBackend):
    """Mail backend recording (thread, recipient); the first message of each thread waits for the
    other thread's first message, so both senders are inside a delivery of a claimed batch at once."""

    sent: list[tuple[str, str]] = []
    opened: list[str] = []
    lock = threading.Lock()
    both_sending = threading.Barrier(2, timeout=20)
    seen_threads: set[str] = set()

    def open(self) -> bool:
        with self.lock:
            self.opened.append(threading.current_thread().name)
        return True

    def send_messages(self, messages: list) -> int:
        name = threading.current_thread().name
        with self.lock:
            first = name not in self.seen_threads
            self.seen_threads.add(name)
            for message in messages:
                self.sent.append((name, message.to[0]))
        if first:
            self.both_sending.wait()
        return len(messages)


@pytest.fixture
def due_surveys(settings) -> list[Survey]:
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RecordingBackend"}}
    RecordingBackend.sent.clear()
    RecordingBackend.opened.clear()
    RecordingBackend.seen_threads.clear()
    RecordingBackend.both_sending.reset()
    # Due at once and no quiet hours, so the test does not depend on the time of day.
    SurveyPolicy.objects.update(delay_minutes=0, quiet_start=time(0, 0), quiet_end=time(0, 0))
    team = TeamFactory()
    agent = AgentFactory(team=team)
    cause = RootCauseFactory()
    for _ in range(SURVEYS):
        ticket = TicketFactory(team=team, customer=CustomerFactory())
        complaint_services.resolve(
            ticket_id=ticket.pk, actor=agent, version=None, root_cause=cause, steps_taken="Fixed"
        )
    return list(Survey.objects.all())


def test_two_concurrent_senders_send_each_survey_exactly_once(due_surveys):
    reports: dict[str, list[services.SendReport]] = {"worker-a": [], "worker-b": []}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sender(name: str) -> None:
        try:
            start.wait()
            while True:  # batch after batch, like the task re-queuing itself, until nothing is due
                report = services.send_due_surveys(batch_size=BATCH)
                reports[name].append(report)
                if report.handled < BATCH:
                    break
        except BaseException as error:  # surfaced in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(name,), name=name) for name in ("worker-a", "worker-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    recipients = Counter(to for _name, to in RecordingBackend.sent)
    assert len(recipients) == SURVEYS
    assert set(recipients.values()) == {1}
    assert {name for name, _to in RecordingBackend.sent} == {"worker-a", "worker-b"}  # both really worked
    runs = reports["worker-a"] + reports["worker-b"]
    assert sum(report.sent for report in runs) == SURVEYS
    assert set(Survey.objects.values_list("state", flat=True)) == {Survey.State.SENT}
    # One mail connection per batch that had something to send, none for the empty last runs.
    assert len(RecordingBackend.opened) == sum(1 for report in runs if report.sent)
