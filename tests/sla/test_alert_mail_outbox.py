"""sla.notifications.requeue_unsent_alerts: an alert whose mail task was lost (the broker away when
the sweep committed) is queued again by the periodic outbox task, and mailed once."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from kombu.exceptions import OperationalError as BrokerUnavailable

from complaints import notifications
from sla import tasks
from sla.models import SlaAlert
from sla.services import fire_due_clocks

from .conftest import sh

T0 = sh(2026, 3, 2, 10)  # a Monday

pytestmark = pytest.mark.django_db


def broker_down(*args, **kwargs):
    raise BrokerUnavailable("Connection refused.")


def test_an_alert_fired_while_the_broker_was_down_is_mailed_once_by_the_requeue(
    open_ticket, agent, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.OUTBOX_REQUEUE_AFTER = 300
    with time_machine.travel(T0, tick=False):
        open_ticket(kind="inquiry")
    monkeypatch.setattr(tasks.send_alert, "apply_async", broker_down)
    with (
        time_machine.travel(T0 + timedelta(minutes=15), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        (alert_id,) = fire_due_clocks().alerts  # the 50 % warning; its task is not published
    monkeypatch.undo()
    published: list[list[int]] = []
    monkeypatch.setattr(tasks.send_alert, "delay", lambda alert_ids: published.append(alert_ids))
    with (
        time_machine.travel(T0 + timedelta(minutes=17), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert notifications.requeue_staff_mail() == 0  # not yet OUTBOX_REQUEUE_AFTER old
    with (
        time_machine.travel(T0 + timedelta(minutes=21), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert notifications.requeue_staff_mail() == 1
    assert published == [[alert_id]]
    assert tasks.send_alert(published[0]) == 1 and [m.to for m in mail.outbox] == [[agent.email]]
    assert tasks.send_alert(published[0]) == 0  # a duplicate task sends nothing
    with (
        time_machine.travel(T0 + timedelta(minutes=30), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert notifications.requeue_staff_mail() == 0
    assert SlaAlert.objects.get(pk=alert_id).notified_at is not None
