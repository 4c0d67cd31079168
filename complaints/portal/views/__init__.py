"""The agent portal: thin views over selectors (reads) and services (writes).

Every view needs a signed-in agent with the complaints permissions, and finds its ticket
through selectors.tickets_visible_to, so another team's ticket is simply not found (404).
Each page renders whole, or for an htmx request only the fragment that changed
(Django template partials: "desk/queue.html#results", "desk/ticket.html#workspace").
"""

from .bulk import bulk
from .files import attachment
from .queues import next_ticket, queue, search
from .workspace import merge_candidates, reveal_customer, ticket, ticket_action, ticket_version

__all__ = [
    "attachment",
    "bulk",
    "merge_candidates",
    "next_ticket",
    "queue",
    "reveal_customer",
    "search",
    "ticket",
    "ticket_action",
    "ticket_version",
]
