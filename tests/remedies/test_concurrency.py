"""Two overdue sweeps at the same moment warn of an item once; an approval and a refusal of the same
remedy at the same moment: one wins, the other is refused. Real concurrency: two threads, each with
its own PostgreSQL connection."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from complaints.errors import IllegalTransition
from complaints.models import Message
from remedies import services
from remedies.models import Fulfilment, Remedy
from tests.complaints.test_concurrency import race

from .conftest import propose

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_concurrent_sweeps_warn_once(ticket, agent, cause, worker):
    propose(ticket, agent, cause, amount="30")
    item = Fulfilment.objects.get()
    with time_machine.travel(item.due_at + timedelta(hours=1)):
        results, errors = race(services.warn_overdue, services.warn_overdue)
    assert errors == []
    assert sorted(len(warned) for warned in results) == [0, 1]
    assert len(worker.queued) == 1
    assert Message.objects.filter(ticket=ticket, body__contains="is overdue").count() == 1


def test_approve_and_refuse_at_once_one_wins(ticket, agent, lead, supervisor, cause, rule):
    propose(ticket, agent, cause)
    remedy = Remedy.objects.get()
    results, errors = race(
        lambda: services.approve(remedy_id=remedy.pk, actor=lead),
        lambda: services.refuse(remedy_id=remedy.pk, actor=supervisor, reason="no"),
    )
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], IllegalTransition)
    remedy.refresh_from_db()
    ticket.refresh_from_db()
    assert (remedy.state == Remedy.State.APPROVED) == ticket.resolutions.exists()
