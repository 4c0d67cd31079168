"""The ticket status graph: one table that every service consults."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_CUSTOMER = "awaiting_customer", _("Awaiting customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = frozenset({Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER})

# Closing an open ticket directly is for duplicates, merges and spam; resolving is open to every open
# status, new included (answered on the first contact, such as a call settled on the spot); reopening
# goes back to in progress. tests/complaints/test_states.py writes this table out again, on purpose.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER, Status.RESOLVED, Status.CLOSED}
    ),
    Status.ACKNOWLEDGED: frozenset(
        {Status.IN_PROGRESS, Status.AWAITING_CUSTOMER, Status.RESOLVED, Status.CLOSED}
    ),
    Status.IN_PROGRESS: frozenset({Status.AWAITING_CUSTOMER, Status.RESOLVED, Status.CLOSED}),
    Status.AWAITING_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}


def allowed_from(status: str) -> list[str]:
    return sorted(TRANSITIONS[status], key=list(Status).index)


def is_allowed(before: str, after: str) -> bool:
    return after in TRANSITIONS.get(before, ())
