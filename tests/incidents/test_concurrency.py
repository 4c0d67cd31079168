"""Two surge sweeps at the same moment (two beat workers, or the command run beside the beat) create
one incident and notify the supervisors once: the unique surge key decides, not a check in Python.

Real concurrency: two threads, each with its own PostgreSQL connection.
"""

import pytest
from django.db import connection

from incidents import services, tasks
from incidents.models import Incident, IncidentLink, SurgeThreshold
from tests.complaints.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections need PostgreSQL"),
]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_sweeps_create_one_incident(category, open_ticket, monkeypatch):
    SurgeThreshold.objects.create(category=category, min_tickets=3, window_minutes=30)
    tickets = [
        open_ticket(subject="宽带断网", description=f"家里宽带断网了，光猫红灯一直闪（{i}）")
        for i in range(5)
    ]
    notified: list[int] = []
    monkeypatch.setattr(tasks.notify_surge, "delay", lambda incident_id: notified.append(incident_id))

    results, errors = race(services.detect_surges, services.detect_surges)

    assert errors == []
    assert sorted(len(created) for created in results) == [0, 1]
    assert Incident.objects.count() == 1
    assert IncidentLink.objects.filter(incident=Incident.objects.get()).count() == len(tickets)
    assert notified == [Incident.objects.get().pk]
