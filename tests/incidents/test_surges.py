"""Surge detection: a burst of similar (or same-place) new complaints in one category becomes one
suspected incident with the tickets linked, and the supervisors are told once."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from complaints.models import Ticket
from incidents import services
from incidents.models import Incident, IncidentLink, SurgeThreshold

pytestmark = pytest.mark.django_db

OUTAGE = "家里宽带断网了，光猫红灯一直闪，无法上网"


@pytest.fixture
def threshold(category):
    return SurgeThreshold.objects.create(category=category, min_tickets=3, window_minutes=30, similarity=0.45)


def test_a_burst_of_similar_complaints_makes_one_suspected_incident(
    threshold, open_ticket, supervisor, worker, mailoutbox, django_capture_on_commit_callbacks
):
    tickets = [open_ticket(subject="宽带断网", description=f"{OUTAGE}（{i}号楼）") for i in range(4)]
    unrelated = open_ticket(subject="Invoice", description="Please send me last month's invoice as a PDF.")
    with django_capture_on_commit_callbacks(execute=True):
        created = services.detect_surges()
    worker.run()
    assert len(created) == 1
    incident = created[0]
    assert incident.status == Incident.Status.SUSPECTED
    assert set(incident.links.values_list("ticket_id", flat=True)) == {t.pk for t in tickets}
    assert not IncidentLink.objects.filter(ticket=unrelated).exists()
    assert [m.subject for m in mailoutbox] == [f"Suspected incident: {incident.title}"]
    assert supervisor.email in mailoutbox[0].to
    # each linked ticket says so on its own timeline (an internal note, the customer is not written to)
    assert all(
        t.messages.filter(kind="note").count() == 1 and not t.messages.filter(kind="reply") for t in tickets
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.detect_surges() == []
    worker.run()
    assert len(mailoutbox) == 1


def test_no_surge_at_or_below_the_threshold(threshold, open_ticket):
    for i in range(3):
        open_ticket(subject="宽带断网", description=f"{OUTAGE}（{i}）")
    assert services.detect_surges() == []


def test_tickets_from_one_place_are_a_surge_even_when_worded_differently(threshold, open_ticket):
    texts = ["手机没有信号", "Cannot make calls at all", "网页打不开，很慢", "4G 变成了 2G"]
    tickets = [open_ticket(subject=text, description=text, location="朝阳区望京") for text in texts]
    (incident,) = services.detect_surges()
    assert incident.region_tags == ["朝阳区望京"]
    assert incident.links.count() == len(tickets)


def test_old_tickets_are_not_a_surge(threshold, open_ticket):
    with time_machine.travel(timezone.now() - timedelta(hours=2)):
        for i in range(4):
            open_ticket(subject="宽带断网", description=f"{OUTAGE}（{i}）")
    assert services.detect_surges() == []


def test_while_the_incident_is_open_a_matching_new_ticket_is_linked_on_open(
    threshold, open_ticket, django_capture_on_commit_callbacks
):
    for i in range(4):
        open_ticket(subject="宽带断网", description=f"{OUTAGE}（{i}号楼）")
    (incident,) = services.detect_surges()
    late = open_ticket(subject="宽带断网", description=f"{OUTAGE}，已经一个小时了")
    assert IncidentLink.objects.get(ticket=late).incident == incident
    assert IncidentLink.objects.get(ticket=late).how == IncidentLink.How.ON_OPEN


def test_the_command_runs_the_sweep(threshold, open_ticket, capsys):
    for i in range(4):
        open_ticket(subject="宽带断网", description=f"{OUTAGE}（{i}）")
    call_command("detect_surges")
    assert "1 suspected incident(s)" in capsys.readouterr().out
    assert Ticket.objects.filter(incident_link__isnull=False).count() == 4
