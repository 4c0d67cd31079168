"""Every write of the sla app, by job; callers keep `from sla import services`.

- clocks: business-time arithmetic on a clock and the ticket's SLA summary (no writes)
- reactions: what the complaint core's ticket events do to the clocks (the clock rules)
- sweep: due clocks fire warnings and breaches; the policies' breach actions
- bulk_load: clocks for tickets inserted in bulk (seed_demo, imports)
- holds: other apps' holds on the resolution clock (a hand-off that pauses it)
"""

from .bulk_load import BULK_FIELDS, create_clocks_for_loaded
from .clocks import CLOCK_FIELDS, CalendarSpecs, SlaState, mark_at, summarise
from .holds import apply_resolution_hold, register_resolution_hold, resolution_held
from .reactions import (
    handle_ticket_event,
    handle_ticket_events,
    reapply_policy,
    refresh_summary,
    start_clocks,
)
from .sweep import ALERT_MAIL_CHUNK, SWEPT_FIELDS, SweepResult, fire_due_clocks

__all__ = [
    "ALERT_MAIL_CHUNK",
    "BULK_FIELDS",
    "CLOCK_FIELDS",
    "SWEPT_FIELDS",
    "CalendarSpecs",
    "SlaState",
    "SweepResult",
    "apply_resolution_hold",
    "create_clocks_for_loaded",
    "fire_due_clocks",
    "handle_ticket_event",
    "handle_ticket_events",
    "mark_at",
    "reapply_policy",
    "refresh_summary",
    "register_resolution_hold",
    "resolution_held",
    "start_clocks",
    "summarise",
]
