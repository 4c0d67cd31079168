"""complaints.notifications: staff mail the broker could not take after commit is kept and re-queued,
never dropped (issue 23), and the re-queue runs from the periodic outbox task."""

import pytest
from django.core import mail
from kombu.exceptions import OperationalError as BrokerUnavailable

from channels_intake import tasks as intake_tasks
from complaints import notifications, services, tasks
from complaints.models import StaffMail
from tests.factories import AgentFactory, TicketFactory

pytestmark = pytest.mark.django_db


def broker_down(*args, **kwargs):
    raise BrokerUnavailable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_staff_mail_of_a_change_made_while_the_broker_is_down_goes_out_once_after_the_requeue(
    team, monkeypatch, django_capture_on_commit_callbacks
):
    lead = AgentFactory(team=team, team__role="lead", email="lead@staff.example.com")
    ticket = TicketFactory(team=team)
    monkeypatch.setattr(tasks.notify_staff, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        (event,) = services.escalate_for_sla(escalations=[(ticket.pk, "SLA breached")])
    # The escalation stands and its mail is kept, not lost.
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert list(StaffMail.objects.values_list("task", "args")) == [
        ("complaints.tasks.notify_staff", [[event.pk]])
    ]
    assert mail.outbox == []

    # Still down at the first re-queue: kept again.
    with django_capture_on_commit_callbacks(execute=True):
        notifications.requeue_staff_mail()
    assert StaffMail.objects.count() == 1

    # The broker is back: the periodic outbox task publishes it; the worker sends it once.
    monkeypatch.undo()
    published: list[list[int]] = []
    monkeypatch.setattr(tasks.notify_staff, "delay", lambda event_ids: published.append(event_ids))
    with django_capture_on_commit_callbacks(execute=True):
        assert intake_tasks.requeue_stranded_deliveries() == 1
    assert published == [[event.pk]] and StaffMail.objects.count() == 0
    assert tasks.notify_staff(published[0]) == 1
    assert [m.to for m in mail.outbox] == [[lead.email]]
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.requeue_staff_mail() == 0  # nothing left to send twice


def test_with_the_broker_up_nothing_is_kept(team, monkeypatch, django_capture_on_commit_callbacks):
    AgentFactory(team=team, team__role="lead", email="lead@staff.example.com")
    published: list[list[int]] = []
    monkeypatch.setattr(tasks.notify_staff, "delay", lambda event_ids: published.append(event_ids))
    with django_capture_on_commit_callbacks(execute=True):
        (event,) = services.escalate_for_sla(escalations=[(TicketFactory(team=team).pk, "SLA breached")])
    assert published == [[event.pk]] and StaffMail.objects.count() == 0
