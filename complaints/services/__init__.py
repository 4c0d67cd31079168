"""Every change to a ticket goes through these functions, one module per domain action.

Each one opens a transaction, locks the ticket row, checks the version the caller
saw and the status graph, writes, records one TicketEvent and sends `ticket_event`.
Outside effects (mail to staff) are queued with `transaction.on_commit`.

Callers use `from complaints import services` and `services.resolve(...)`; the modules:

- timeline: locking, version and status checks, the one save, recording events, writing messages
- customers: finding or creating the customer
- opening: open_ticket, a repeat folded into its open ticket, the files that come with it
- messages: add_message, add_messages (many at once, NewMessage each)
- lifecycle: transition, acknowledge, await_customer, reopen, resolve (resolve_many: many at once, NewResolution
  each), confirm, dispute, auto-close, spam
- assignment: assign, assign_within_team
- escalation: escalate (and its batch, escalate_for_sla), reroute, request_reroute, reclassify
- merging: merge
- sla_bookkeeping: what the sla app writes on tickets (summary, SLA events)
"""

from ..notifications import STAFF_MAIL_CHUNK, STAFF_NOTIFIED
from .assignment import AssignmentStrategy, assign, assign_within_team
from .customers import CustomerDetails, find_or_create_customer
from .escalation import (
    Escalation,
    escalate,
    escalate_for_sla,
    escalate_many,
    reclassify,
    request_reroute,
    reroute,
)
from .lifecycle import (
    NewResolution,
    acknowledge,
    await_customer,
    close_stale_resolved,
    confirm_resolution,
    dispute,
    mark_spam,
    reopen,
    resolve,
    resolve_many,
    transition,
)
from .merging import merge
from .messages import NewMessage, add_message, add_messages
from .opening import Opened, open_ticket
from .sla_bookkeeping import (
    SLA_ALERT_ARGUMENTS,
    record_sla_alerts,
    record_sla_retargeted,
    set_summary_of_new_ticket,
    update_sla_summaries,
    update_sla_summary,
)
from .timeline import (
    Actor,
    acting_user,
    build_event,
    ensure_allowed,
    ensure_current,
    lock_ticket,
    lock_tickets,
    record,
    record_many,
    sanitise,
)

__all__ = [
    "SLA_ALERT_ARGUMENTS",
    "STAFF_MAIL_CHUNK",
    "STAFF_NOTIFIED",
    "Actor",
    "AssignmentStrategy",
    "CustomerDetails",
    "Escalation",
    "NewMessage",
    "NewResolution",
    "Opened",
    "acknowledge",
    "acting_user",
    "add_message",
    "add_messages",
    "assign",
    "assign_within_team",
    "await_customer",
    "build_event",
    "close_stale_resolved",
    "confirm_resolution",
    "dispute",
    "ensure_allowed",
    "ensure_current",
    "escalate",
    "escalate_for_sla",
    "escalate_many",
    "find_or_create_customer",
    "lock_ticket",
    "lock_tickets",
    "mark_spam",
    "merge",
    "open_ticket",
    "reclassify",
    "record",
    "record_many",
    "record_sla_alerts",
    "record_sla_retargeted",
    "reopen",
    "request_reroute",
    "reroute",
    "resolve",
    "resolve_many",
    "sanitise",
    "set_summary_of_new_ticket",
    "transition",
    "update_sla_summaries",
    "update_sla_summary",
]
