"""Every write of the incidents app, one module per job, all re-exported as `incidents.services`:

- rules: the errors, who may run incidents and link tickets, the incident's lock and event creator
- lifecycle: create an incident, confirm, mitigate, change its details
- links: link and unlink tickets (events on both timelines), on opening too, the remedies to give
- surges: bursts of similar new tickets become a suspected incident, once
- updates: a public update told to every open linked customer once, in chunks; updates due on time
- resolving: resolve the incident, then all its open linked tickets in chunks, each with its remedy
- plans: the emergency plan's steps, ticked and warned of when late

Tickets are only changed through complaints.services (add_messages for the update's replies,
add_message for notes, resolve_many); this app writes its own rows. Work on many tickets runs in
Celery tasks in chunks, queued by name after commit (config.celery.queue_after_commit).
"""

from .lifecycle import TRANSITIONS, confirm, create_incident, mitigate, set_status, update_details
from .links import link_on_open, link_ticket, set_remedy, tell_linked, unlink_if_still_broken, unlink_ticket
from .plans import plan_for, start_plan, tick_step, warn_overdue_steps
from .resolving import resolve_incident, resolve_linked
from .rules import (
    CHUNK_SIZE,
    LINK_ANY_TEAM_PERMISSION,
    AlreadyLinked,
    IncidentAlreadyResolved,
    IncidentError,
    ensure_may_link,
    ensure_may_manage,
    lock_incident,
)
from .surges import Surge, detect_surges
from .updates import deliver_update, post_update, schedule_next_update, warn_late_updates

__all__ = [
    "CHUNK_SIZE",
    "LINK_ANY_TEAM_PERMISSION",
    "TRANSITIONS",
    "AlreadyLinked",
    "IncidentAlreadyResolved",
    "IncidentError",
    "Surge",
    "confirm",
    "create_incident",
    "deliver_update",
    "detect_surges",
    "ensure_may_link",
    "ensure_may_manage",
    "link_on_open",
    "link_ticket",
    "lock_incident",
    "mitigate",
    "plan_for",
    "post_update",
    "resolve_incident",
    "resolve_linked",
    "schedule_next_update",
    "set_remedy",
    "set_status",
    "start_plan",
    "tell_linked",
    "tick_step",
    "unlink_if_still_broken",
    "unlink_ticket",
    "update_details",
    "warn_late_updates",
    "warn_overdue_steps",
]
