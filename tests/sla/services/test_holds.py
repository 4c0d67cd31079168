"""sla.services.holds: another app's hold pauses the resolution clock alone, the customer answering does
not resume a held clock, releasing the hold resumes it moved by the business time paused."""

import pytest
import time_machine

from complaints import services
from complaints.models import Message
from sla import services as sla_services
from sla.models import SlaTarget
from sla.services import holds

from ..conftest import sh
from .conftest import clock


@pytest.fixture
def held(monkeypatch):
    """A hold registered for the test only: ticket ids in the set are held."""
    tickets: set[int] = set()
    monkeypatch.setattr(holds, "RESOLUTION_HOLDS", [])
    sla_services.register_resolution_hold(lambda ticket_id: ticket_id in tickets)
    return tickets


def test_a_hold_pauses_only_the_resolution_clock_and_its_release_resumes_it(open_ticket, held):
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):  # Monday, office hours
        ticket = open_ticket()
        due = clock(ticket, SlaTarget.RESOLUTION).due_at
        held.add(ticket.pk)
        assert sla_services.apply_resolution_hold(ticket=ticket)
        assert not sla_services.apply_resolution_hold(ticket=ticket)  # already paused: nothing changes
    assert clock(ticket, SlaTarget.RESOLUTION).paused_at == sh(2026, 3, 2, 10)
    assert clock(ticket, SlaTarget.FIRST_RESPONSE).paused_at is None
    with time_machine.travel(sh(2026, 3, 2, 11), tick=False):
        held.clear()
        assert sla_services.apply_resolution_hold(ticket=ticket)
    resolution = clock(ticket, SlaTarget.RESOLUTION)
    assert resolution.paused_at is None and resolution.paused_seconds == 3600 and resolution.due_at > due


def test_the_customer_answering_leaves_a_held_clock_paused(open_ticket, agent, held):
    ticket = open_ticket()
    services.assign(ticket_id=ticket.pk, actor=agent, assignee=agent, version=None)
    services.await_customer(ticket_id=ticket.pk, actor=agent, version=None)
    held.add(ticket.pk)
    services.add_message(ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Still broken.")
    assert clock(ticket, SlaTarget.RESOLUTION).paused_at is not None
    assert clock(ticket, SlaTarget.FIRST_RESPONSE).paused_at is None  # the others run again
