"""SLA alert mail reads in each recipient's own language, with the due time's zone."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from complaints import preferences
from complaints.models import Ticket
from sla import services as sla_services
from sla import tasks
from sla.models import SlaAlert, SlaPolicy
from tests.factories import SupervisorFactory

from .conftest import sh

pytestmark = pytest.mark.django_db
T0 = sh(2026, 3, 2, 10)  # a Monday


def test_a_breach_mail_goes_out_once_per_language(open_ticket, agent, lead) -> None:
    SlaPolicy.objects.filter(match_kind="inquiry", match_complexity="simple").update(notify_supervisors=True)
    supervisor = SupervisorFactory(email="boss@staff.example.com")
    preferences.set_staff_language(user=agent, language="zh-hans")
    preferences.set_staff_language(user=supervisor, language="en")
    with time_machine.travel(T0, tick=False):
        open_ticket(kind=Ticket.Kind.INQUIRY)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        result = sla_services.fire_due_clocks()
    breach = SlaAlert.objects.get(pk__in=result.alerts, threshold=100).pk
    mail.outbox.clear()
    assert tasks.send_alert(breach) == 3
    by_recipient = {address: sent for sent in mail.outbox for address in sent.to}
    chinese, english = by_recipient[agent.email], by_recipient[supervisor.email]
    assert "主题" in chinese.body and "2026年3月2日" in chinese.body
    assert "Subject" in english.body and "2 Mar 2026" in english.body
    assert "(UTC+08:00)" in chinese.body and "(UTC+08:00)" in english.body
    # The lead chose nothing: the site's language (English in the tests' settings).
    assert by_recipient[lead.email] is english
