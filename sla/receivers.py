"""The sla app's reactions to the complaint core's signals: one line each, calling a service."""

from collections.abc import Iterable, Sequence
from typing import Any

from complaints.models import TicketEvent

from . import services


def move_clocks(sender: type, *, events: Sequence[TicketEvent], **kwargs: Any) -> None:
    """Sent inside the service's transaction once per batch of events (in their order): the clocks
    change with the tickets or not at all."""
    services.handle_ticket_events(events=events)


def build_clocks_for_loaded(sender: type, *, ticket_ids: Iterable[int], **kwargs: Any) -> None:
    services.create_clocks_for_loaded(ticket_ids=ticket_ids)
