"""The external_cases app's reactions to the complaint core's signal: one line, calling a service."""

from typing import Any

from complaints.models import Ticket, TicketEvent

from . import services


def assess_escalation_risk(sender: type, *, ticket: Ticket, event: TicketEvent, **kwargs: Any) -> None:
    """Sent inside the opening transaction: the flag is written with the ticket or not at all."""
    services.assess_escalation_risk(ticket=ticket, event=event)
