"""Helpers shared by the sla services' tests: a ticket's clock for a target and cycle."""

from complaints.models import Ticket
from sla.models import SlaClock

State = Ticket.SlaState


def clock(ticket: Ticket, target: str, cycle: int | None = None) -> SlaClock:
    clocks = SlaClock.objects.filter(ticket=ticket, target=target).order_by("-cycle")
    return clocks.get(cycle=cycle) if cycle else clocks.first()
