"""E-mail to staff about what happened on a ticket (customer-facing mail belongs to channels_intake)."""

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from . import naming, preferences, timeline
from .events import EventKind
from .models import TeamMembership, TicketEvent

User = get_user_model()

# Line breaks and other control characters end a header line: a subject carrying one would be refused
# by the mailer (BadHeaderError), or worse, add a header.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")

# The events staff are told about by mail (complaints.receivers queues the mail on commit).
STAFF_NOTIFIED = frozenset(
    {
        EventKind.ASSIGNED,
        EventKind.ESCALATED,
        EventKind.CUSTOMER_MESSAGE,
        EventKind.DISPUTED,
        EventKind.REROUTE_REQUESTED,
    }
)
# Events per notify_staff task when they are recorded together: one task per event was one broker
# publish (~0.9 ms) each; a whole batch (up to ~1,000 mails) would not fit the task's 50 s time limit.
STAFF_MAIL_CHUNK = 20


def header_text(value: str, *, limit: int = 250) -> str:
    """`value` made safe for a mail header: control characters and line breaks become one space."""
    return " ".join(_HEADER_UNSAFE.sub(" ", value).split())[:limit]


def recipients_for(event: TicketEvent) -> list[str]:
    return sorted({user.email for user in recipient_users(event)})


def recipient_users(event: TicketEvent) -> list:
    """The active staff with an e-mail address told about `event`."""
    ticket = event.ticket
    users = User.objects.none()
    if (
        event.kind in (EventKind.ASSIGNED, EventKind.CUSTOMER_MESSAGE, EventKind.DISPUTED)
        and ticket.assignee_id
    ):
        users = User.objects.filter(pk=ticket.assignee_id)
    if event.kind in (EventKind.ESCALATED, EventKind.DISPUTED, EventKind.REROUTE_REQUESTED) or (
        event.kind == EventKind.CUSTOMER_MESSAGE and not ticket.assignee_id
    ):
        leads = TeamMembership.objects.filter(team_id=ticket.team_id, role=TeamMembership.Role.LEAD).values(
            "user"
        )
        users = users | User.objects.filter(
            Q(pk__in=leads) | Q(groups__name="Supervisors")
            # A re-route request on a ticket without a team has no lead to decide: supervisors do.
            if event.kind == EventKind.ESCALATED
            or (event.kind == EventKind.REROUTE_REQUESTED and not ticket.team_id)
            else Q(pk__in=leads)
        )
    if event.actor_id:
        users = users.exclude(pk=event.actor_id)  # nobody is told about what they did themselves
    return list(users.filter(is_active=True).exclude(email="").distinct())


def notify_staff_of_event(*, event_id: int) -> int:
    event = TicketEvent.objects.select_related("ticket", "actor").filter(pk=event_id).first()
    if event is None:
        return 0
    sent = 0
    # One mail per language, each recipient reading it in the language they chose.
    for language, recipients in preferences.recipients_by_language(recipient_users(event)):
        with translation.override(language):
            context = {
                "event": event,
                "ticket": event.ticket,
                "actor_name": naming.user_name(event.actor),
                "reason": timeline.event_reason(event),
                "url": settings.SITE_URL + reverse("desk:ticket", args=[event.ticket.reference]),
            }
            subject = header_text(render_to_string("emails/staff_event_subject.txt", context))
            body = render_to_string("emails/staff_event.txt", context)
        send_mail(subject, body, None, recipients)
        sent += len(recipients)
    return sent
