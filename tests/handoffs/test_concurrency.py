"""Two due-time sweeps at the same moment (two beats, or a sweep re-queued beside the beat) warn about
each hand-off once: the row locks with SKIP LOCKED and the conditional UPDATE decide.

Real concurrency: two threads, each with its own PostgreSQL connection.
"""

import pytest
import time_machine
from django.db import connection

from handoffs import services, tasks
from handoffs.models import Handoff
from tests.complaints.test_concurrency import race

from .conftest import sh

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections need PostgreSQL"),
]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_sweeps_warn_about_each_handoff_once(open_ticket, agent, supplier, monkeypatch):
    sent: list = []
    monkeypatch.setattr(tasks.send_warnings, "delay", lambda payload: sent.extend(payload))
    monkeypatch.setattr(tasks.send_handoff_mail, "delay", lambda mail_id: None)
    with time_machine.travel(sh(2026, 12, 4, 16, 0), tick=False):
        ticket = open_ticket()
        for n in range(6):
            services.open_handoff(
                actor=agent, ticket_id=ticket.pk, partner=supplier, subject=f"s{n}", body="b"
            )
    late = sh(2026, 12, 8, 9, 0)

    results, errors = race(
        lambda: services.fire_due_warnings(now=late), lambda: services.fire_due_warnings(now=late)
    )

    assert errors == []
    fired = [warning.handoff_id for batch in results for warning in batch]
    assert sorted(fired) == sorted(Handoff.objects.values_list("pk", flat=True))  # each once, none twice
    assert sorted(handoff_id for handoff_id, _overdue in sent) == sorted(fired)
    assert services.fire_due_warnings(now=late) == []
