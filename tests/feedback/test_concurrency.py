"""Two senders at once (two threads, two PostgreSQL connections): every survey is e-mailed exactly once."""

import threading
from collections import Counter
from datetime import time

import pytest
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


class RecordingBackend:
    """Mail backend recording (thread, recipient); the first message of each thread waits for the
    other thread's first message, so both senders are inside a delivery, holding a row lock, at once."""

    sent: list[tuple[str, str]] = []
    lock = threading.Lock()
    both_sending = threading.Barrier(2, timeout=20)
    seen_threads: set[str] = set()

    def __init__(self, alias: str | None = None, **kwargs: object) -> None:
        pass

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
    reports: dict[str, services.SendReport] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sender(name: str) -> None:
        try:
            start.wait()
            reports[name] = services.send_due_surveys(batch_size=100)
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
    assert reports["worker-a"].sent + reports["worker-b"].sent == SURVEYS
    assert set(Survey.objects.values_list("state", flat=True)) == {Survey.State.SENT}
