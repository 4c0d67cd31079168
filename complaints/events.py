"""The domain-event signal and the kinds of events on a ticket's timeline.

`ticket_event` is sent inside the service's transaction, after the TicketEvent row
is written, with `ticket` and `event`. Receivers that change rows (the SLA clock)
work in the same transaction; receivers that talk to the outside world queue a
Celery task with `transaction.on_commit`.
"""

from django.db import models
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

ticket_event = Signal()

# Sent once per batch of events recorded together (after ticket_event for each), with `events`:
# for reactions that work on the batch, such as queueing the staff mail in chunks.
events_recorded = Signal()

# Sent by seed_demo after bulk-inserting tickets without the services (no per-ticket events),
# with `ticket_ids`, so other apps can bulk-create what they keep per ticket (SLA clocks).
tickets_bulk_loaded = Signal()


class EventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    REPEAT_FOLDED = "repeat_folded", _("Repeat complaint added")
    LINKED = "linked", _("Linked to an earlier ticket")
    ROUTED = "routed", _("Classified and routed by a rule")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    ESCALATED = "escalated", _("Escalated")
    REROUTED = "rerouted", _("Re-routed")
    RECLASSIFIED = "reclassified", _("Reclassified")
    CUSTOMER_MESSAGE = "customer_message", _("Customer wrote")
    REPLIED = "replied", _("Replied to the customer")
    NOTE_ADDED = "note_added", _("Internal note")
    RESOLVED = "resolved", _("Resolved")
    CONFIRMED = "confirmed", _("Customer confirmed the resolution")
    DISPUTED = "disputed", _("Customer disputed the resolution")
    REOPENED = "reopened", _("Reopened")
    MERGED = "merged", _("Merged into another ticket")
    MERGE_RECEIVED = "merge_received", _("Another ticket merged in")
    AUTO_CLOSED = "auto_closed", _("Closed automatically")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    SLA_RETARGETED = "sla_retargeted", _("SLA targets changed")
    REROUTE_REQUESTED = "reroute_requested", _("Customer asked for another team")


# Events the customer may see on their own ticket page.
PUBLIC_EVENT_KINDS = frozenset(
    {
        EventKind.OPENED,
        EventKind.ACKNOWLEDGED,
        EventKind.STATUS_CHANGED,
        EventKind.RESOLVED,
        EventKind.CONFIRMED,
        EventKind.DISPUTED,
        EventKind.REOPENED,
        EventKind.AUTO_CLOSED,
        EventKind.REROUTE_REQUESTED,
    }
)


class SystemReason(models.TextChoices):
    """Reasons the system gives for an event, stored as a code and parameters (TicketEvent.reason_code,
    reason_params) and put into words in the reader's language (complaints.timeline)."""

    FIRST_REPLY = "first_reply", _("First reply to the customer.")
    CUSTOMER_ANSWERED = "customer_answered", _("The customer answered.")
    MERGED_INTO = "merged_into", _("Merged into %(ref)s")
    MERGED_ELSEWHERE = "merged_elsewhere", _("Merged into another ticket.")
    NO_DISPUTE = "no_dispute", _("No dispute within %(days)s days.")
    CLOSED_BY_SUPERVISOR = "closed_by_supervisor", _("Closed by a supervisor.")
    SPAM = "spam", _("Spam")
    SLA_POLICY = "sla_policy", _("Policy: %(policy)s")
    SLA_NO_POLICY = "sla_no_policy", _("No SLA policy covers the ticket now.")
    SLA_DUE = "sla_due", _("%(target)s due %(due)s")
    SLA_BREACHED = "sla_breached", _("SLA breached: %(target)s was due %(due)s.")
    # The assistant's classification (assist): applied on its own, taken or corrected by an agent.
    ASSISTANT_CLASSIFIED = "assistant_classified", _("classified by the assistant (%(percent)s %%)")
    ASSISTANT_SUGGESTED = "assistant_suggested", _("suggested by the assistant (%(percent)s %%)")
    ASSISTANT_CORRECTED = "assistant_corrected", _("corrected the assistant's suggestion")
    ASSISTANT_REVIEW_REQUESTED = (
        "assistant_review",
        _("The customer asked for a person to review the assistant's classification: put back as it was."),
    )


class CodedReason(str):
    """A system reason given where the services take a reason as text (escalate, reroute, reclassify,
    the SLA events): build_event stores its code and parameters, never the words, so each reader sees
    it in their own language. As a string it reads as the template filled with the raw parameters,
    enough for the services' "is a reason given" checks."""

    code: SystemReason
    params: dict[str, object]

    def __new__(cls, code: SystemReason, **params: object) -> "CodedReason":
        label = str(code.label)
        coded = super().__new__(cls, label % params if params else label)
        coded.code, coded.params = code, params
        return coded
