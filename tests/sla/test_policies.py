"""sla.policies: the calendars and policies seeded by default, and which policy a ticket gets."""

import pytest

from complaints.models import Ticket
from sla.models import BusinessCalendar, FirstResponseStop, SlaPolicy
from sla.policies import TicketFacts, category_ancestors, choose, policy_for
from tests.factories import CategoryFactory


def test_default_calendars_and_policies_are_seeded(db):
    office = BusinessCalendar.objects.get(slug="china-office-hours")
    assert office.intervals.count() == 10 and office.holiday_country == "CN"
    assert BusinessCalendar.objects.get(slug="24x7").always_open
    complaint = SlaPolicy.objects.get(match_kind="complaint", match_channel="")
    assert (complaint.first_response_minutes, complaint.resolution_minutes) == (24 * 60, 3 * 450)
    assert complaint.first_response_stops_on == FirstResponseStop.ACKNOWLEDGEMENT
    simple = SlaPolicy.objects.get(match_kind="inquiry", match_complexity="simple", match_channel="")
    assert (simple.first_response_minutes, simple.resolution_minutes) == (30, 60)
    complex_ = SlaPolicy.objects.get(match_kind="inquiry", match_complexity="complex", match_channel="")
    assert (complex_.first_response_minutes, complex_.resolution_minutes) == (120, 24 * 60)
    # Live chat answers in seconds: its policies (chat channel, one per kind) want a reply within a minute.
    chat = SlaPolicy.objects.filter(match_channel="chat")
    assert sorted(chat.values_list("match_kind", flat=True)) == ["complaint", "inquiry", "suggestion"]
    assert set(chat.values_list("first_response_minutes", flat=True)) == {1}


@pytest.fixture
def office(db):
    return BusinessCalendar.objects.get(slug="china-office-hours")


def test_the_most_specific_policy_wins_and_ties_go_by_position(office):
    parent = CategoryFactory(slug="network")
    child = CategoryFactory(slug="network-broadband", parent=parent)
    SlaPolicy.objects.all().delete()
    broad = SlaPolicy.objects.create(name="complaints", match_kind="complaint", calendar=office, position=1)
    network = SlaPolicy.objects.create(
        name="network complaints", match_kind="complaint", match_category=parent, calendar=office, position=50
    )
    SlaPolicy.objects.create(
        name="late tie", match_kind="complaint", match_channel="web", calendar=office, position=60
    )
    urgent = SlaPolicy.objects.create(
        name="P1 network",
        match_category=parent,
        match_priority=1,
        match_kind="complaint",
        calendar=office,
        position=90,
    )
    SlaPolicy.objects.create(
        name="inactive",
        match_kind="complaint",
        match_category=child,
        match_priority=1,
        match_channel="web",
        calendar=office,
        is_active=False,
    )
    lineage = category_ancestors()
    candidates = list(SlaPolicy.objects.filter(is_active=True))

    def facts(**kw) -> TicketFacts:
        base = {
            "kind": "complaint",
            "complexity": "simple",
            "priority": 3,
            "category_id": child.pk,
            "channel": "web",
        }
        return TicketFacts(**{**base, **kw})

    assert choose(candidates, facts(), lineage) == network  # two criteria each: position 50 beats 60
    assert choose(candidates, facts(priority=1), lineage) == urgent  # three criteria
    assert choose(candidates, facts(category_id=None, channel="email"), lineage) == broad
    assert choose(candidates, facts(kind="suggestion"), lineage) is None


def test_policy_for_reads_the_ticket(open_ticket):
    ticket = open_ticket(kind=Ticket.Kind.INQUIRY, complexity=Ticket.Complexity.COMPLEX)
    assert policy_for(ticket).match_complexity == "complex"
