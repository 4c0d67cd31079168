"""E-mail to staff: the one place that answers "which staff must be told" (`staff_to_tell`) and sends
their mail, one per language (`send_staff_mail`). The core's own events, the sla app's warnings and
breaches and feedback's return visits all use it; mail to customers is channels_intake.outbound's."""

import functools
import logging
import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from . import naming, preferences, timeline
from .events import EventKind
from .models import StaffMail, TeamMembership, TicketEvent
from .selectors import SUPERVISORS_GROUP

User = get_user_model()
logger = logging.getLogger(__name__)

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


def staff_to_tell(
    *,
    team_id: int | None,
    assignee_id: int | None = None,
    users: Iterable[int] = (),
    assignee: bool = False,
    leads: bool = False,
    supervisors: bool = False,
    not_the_actor: int | None = None,
) -> list:
    """The active staff with an e-mail address to tell: the assignee, the team's leads, the
    supervisors, and any `users` by id, as asked; never `not_the_actor` (nobody is told of what they
    did themselves). One query."""
    who = Q(pk__in=list(users))
    if assignee and assignee_id:
        who |= Q(pk=assignee_id)
    if leads:
        who |= Q(
            pk__in=TeamMembership.objects.filter(team_id=team_id, role=TeamMembership.Role.LEAD).values(
                "user"
            )
        )
    if supervisors:
        who |= Q(groups__name=SUPERVISORS_GROUP)
    found = User.objects.filter(who, is_active=True).exclude(email="")
    if not_the_actor:
        found = found.exclude(pk=not_the_actor)
    return list(found.distinct())


def send_staff_mail(users: Iterable, *, template: str, context: Callable[[], dict]) -> int:
    """Mail `users`, each in the language they chose: emails/<template>_subject.txt and <template>.txt
    rendered with `context()` once per language, all over one connection. Returns the recipients."""
    mails = []
    for language, recipients in preferences.recipients_by_language(users):
        with translation.override(language):
            values = context()
            subject = header_text(render_to_string(f"emails/{template}_subject.txt", values))
            mails.append((subject, render_to_string(f"emails/{template}.txt", values), None, recipients))
    send_mass_mail(mails)
    return sum(len(mail[3]) for mail in mails)


def recipient_users(event: TicketEvent) -> list:
    """Who is told of a ticket event: the assignee of an assignment, a customer's message or a
    dispute; the team's leads of an escalation, a dispute, a re-route request or a message nobody has
    (and supervisors of an escalation, or of a re-route request on a ticket without a team)."""
    ticket = event.ticket
    kind = event.kind
    return staff_to_tell(
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
        assignee=kind in (EventKind.ASSIGNED, EventKind.CUSTOMER_MESSAGE, EventKind.DISPUTED),
        leads=kind in (EventKind.ESCALATED, EventKind.DISPUTED, EventKind.REROUTE_REQUESTED)
        or (kind == EventKind.CUSTOMER_MESSAGE and not ticket.assignee_id),
        supervisors=kind == EventKind.ESCALATED
        or (kind == EventKind.REROUTE_REQUESTED and not ticket.team_id),
        not_the_actor=event.actor_id,
    )


def recipients_for(event: TicketEvent) -> list[str]:
    return sorted({user.email for user in recipient_users(event)})


def notify_staff_of_event(*, event_id: int) -> int:
    event = TicketEvent.objects.select_related("ticket", "actor").filter(pk=event_id).first()
    if event is None:
        return 0
    return send_staff_mail(
        recipient_users(event),
        template="staff_event",
        context=lambda: {
            "event": event,
            "ticket": event.ticket,
            "actor_name": naming.user_name(event.actor),
            "reason": timeline.event_reason(event),
            "url": settings.SITE_URL + reverse("desk:ticket", args=[event.ticket.reference]),
        },
    )


# --- the outbox of staff mail ---------------------------------------------------------------


def _publish_or_keep(task_name: str, args: tuple) -> None:
    """Publish a staff-mail task; a broker that is down leaves a StaffMail row for the re-queue."""
    from kombu.exceptions import OperationalError as BrokerUnavailable

    from config.celery import ON_COMMIT_RETRY, app

    if task_name not in app.tasks:
        app.loader.import_default_modules()
    task = app.tasks[task_name]
    try:
        if "delay" in vars(task):
            task.delay(*args)  # a test's stand-in for the broker
        else:
            task.apply_async(args, retry_policy=ON_COMMIT_RETRY)
    except BrokerUnavailable as exc:
        logger.warning("broker unavailable, %s kept for the re-queue: %s", task_name, exc)
        StaffMail.objects.create(task=task_name, args=list(args))


def queue_staff_mail(task_name: str, *args: object) -> None:
    """Queue a staff-mail task once the current transaction commits, like config.celery's
    queue_after_commit, except that mail the broker could not take is kept (a StaffMail row) and
    published again by `requeue_staff_mail`, never dropped. The tasks are safe to run twice."""
    transaction.on_commit(functools.partial(_publish_or_keep, task_name, args))


# Other apps' staff mail kept by its own rows (the sla app's alerts not yet mailed): a function
# re-queueing what is due, returning how many, registered in their ready().
_requeuers: list[Callable[[], int]] = []


def register_staff_mail_requeue(requeue: Callable[[], int]) -> None:
    if requeue not in _requeuers:
        _requeuers.append(requeue)


def requeue_staff_mail(*, batch_size: int = 500) -> int:
    """Publish the kept staff mail again (SKIP LOCKED: two re-queues never take the same rows), and
    let the registered apps re-queue theirs. A row goes once its publish has been tried again: one
    that fails again is kept anew."""
    with transaction.atomic():
        kept = list(
            StaffMail.objects.select_for_update(skip_locked=True).order_by("created_at", "pk")[:batch_size]
        )
        if kept:
            StaffMail.objects.filter(pk__in=[row.pk for row in kept]).delete()
            logger.warning("staff mail: re-queueing %d tasks kept while the broker was away", len(kept))
            for row in kept:
                queue_staff_mail(row.task, *row.args)
    return len(kept) + sum(requeue() for requeue in _requeuers)
