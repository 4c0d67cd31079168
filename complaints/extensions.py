"""Extension points that sla and feedback fill in at start-up (AppConfig.ready).

The complaint core imports none of those apps; they register here what the API,
the portal and the reports should show of theirs.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

# name -> fn(start, end, tickets queryset) -> JSON-ready dict, for /api/v1/stats/ and the dashboard.
STATS_SECTIONS: dict[str, Callable[..., dict[str, Any]]] = {}
# name -> fn(ticket) -> JSON-ready value, added to the API's ticket representation.
TICKET_FIELDS: dict[str, Callable[[Any], Any]] = {}
# Prefetches the registered ticket fields need, so lists stay at a constant query count.
TICKET_PREFETCHES: list[Any] = []
# (prefix, viewset, basename) added to /api/v1/ by other apps in ready(), before the URLconf loads.
API_ROUTES: list[tuple[str, Any, str]] = []


def register_stats_section(name: str, section: Callable[..., dict[str, Any]]) -> None:
    STATS_SECTIONS[name] = section


def register_ticket_field(name: str, field: Callable[[Any], Any], *, prefetch: Any = None) -> None:
    TICKET_FIELDS[name] = field
    if prefetch is not None and prefetch not in TICKET_PREFETCHES:
        TICKET_PREFETCHES.append(prefetch)


def register_api_route(prefix: str, viewset: Any, *, basename: str) -> None:
    if (prefix, viewset, basename) not in API_ROUTES:
        API_ROUTES.append((prefix, viewset, basename))


def stats(start: datetime, end: datetime, tickets: Any) -> dict[str, Any]:
    return {name: section(start, end, tickets) for name, section in STATS_SECTIONS.items()}
