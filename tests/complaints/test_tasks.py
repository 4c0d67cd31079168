"""complaints.tasks: staff mail queued as a list goes out once per event, and a failure retries only the rest."""

import pytest

from complaints import services
from complaints.models import Ticket
from complaints.states import Status
from tests.factories import AgentFactory, TicketFactory

pytestmark = pytest.mark.django_db


def make(status: str = Status.NEW, **kwargs) -> Ticket:
    return TicketFactory(status=status, **kwargs)


def test_staff_mails_queued_as_a_list_go_out_once_each_and_a_failure_retries_only_the_rest(team, monkeypatch):
    from complaints import notifications, tasks

    lead = AgentFactory(team=team, team__role="lead", email="lead@staff.example.com")
    tickets = [make(team=team) for _ in range(3)]
    events = services.escalate_for_sla(escalations=[(t.pk, "SLA breached") for t in tickets])
    from django.core import mail

    mail.outbox.clear()
    assert tasks.notify_staff([e.pk for e in events]) == 3
    assert [m.to for m in mail.outbox] == [[lead.email]] * 3

    real = notifications.notify_staff_of_event
    retried: list[list[int]] = []

    def flaky(*, event_id: int) -> int:
        if event_id == events[1].pk:
            raise OSError("SMTP down")
        return real(event_id=event_id)

    class Retry(Exception):
        pass

    def retry(*, args, **kwargs):
        retried.append(args[0])
        return Retry()

    monkeypatch.setattr(notifications, "notify_staff_of_event", flaky)
    monkeypatch.setattr(tasks.notify_staff, "retry", retry)
    mail.outbox.clear()
    with pytest.raises(Retry):
        tasks.notify_staff([e.pk for e in events])
    assert len(mail.outbox) == 1  # the first went out; the retry carries the failed one and the rest
    assert retried == [[events[1].pk, events[2].pk]]
