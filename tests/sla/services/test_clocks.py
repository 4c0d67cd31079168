"""sla.services.clocks: the ticket's SLA summary and a clock's remaining business time."""

from datetime import timedelta

import time_machine

from complaints.models import Ticket
from sla import services as sla_services
from sla.models import SlaClock, SlaTarget

from ..conftest import sh
from .conftest import State, clock


def test_summary_treats_a_clock_past_due_as_breached_before_the_sweep_runs(open_ticket):
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):
        ticket = open_ticket(kind=Ticket.Kind.INQUIRY)
    clocks = SlaClock.objects.filter(ticket=ticket)
    assert sla_services.summarise(clocks, now=sh(2026, 3, 2, 10, 31))[0] == State.BREACHED
    assert sla_services.summarise(clocks, now=sh(2026, 3, 2, 10, 29)) == (
        State.ON_TRACK,
        sh(2026, 3, 2, 10, 30),
    )
    assert timedelta(0) < clock(ticket, SlaTarget.RESOLUTION).remaining(now=sh(2026, 3, 2, 10, 45))
