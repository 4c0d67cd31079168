"""E-mail to staff about SLA warnings and breaches (sent by sla.tasks.send_alert after commit), through
the core's staff mail (complaints.notifications: who is told, one mail per language)."""

from datetime import timedelta
from itertools import batched

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from complaints.notifications import queue_staff_mail, send_staff_mail, staff_to_tell

from .models import SlaAlert


def recipients_for(alert: SlaAlert) -> list[str]:
    return sorted({user.email for user in recipient_users(alert)})


def recipient_users(alert: SlaAlert) -> list:
    """Warnings go to the assignee (the team leads while nobody has it); breaches as the policy says."""
    policy = alert.clock.policy
    # The people who had the ticket when the alert fired (a breach action may have moved it since).
    has_assignee = bool(alert.assignee_id)
    if not alert.is_breach:
        told = {"assignee": has_assignee, "leads": not has_assignee}
    elif policy is None:
        told = {"assignee": True, "leads": True}
    else:
        told = {
            "assignee": policy.notify_assignee,
            "leads": policy.notify_team_lead or (policy.notify_assignee and not has_assignee),
            "supervisors": policy.notify_supervisors,
        }
    return staff_to_tell(team_id=alert.team_id, assignee_id=alert.assignee_id, **told)


def send_alert_mail(*, alert_id: int) -> int:
    """Send the alert's e-mail once; returns the number of recipients (0 if sent before or nobody).

    The alert row stays locked while the mail goes out and is marked sent in the same transaction:
    a worker killed mid-send leaves it unsent (its task comes back and sends it; at most one duplicate,
    when the mail server had taken the message just before the kill), never marked sent and lost. A
    second task for the same alert waits for the lock and then finds it sent.
    """
    with transaction.atomic():
        alert = (
            SlaAlert.objects.select_for_update(of=("self",))
            .select_related("clock__ticket", "clock__policy", "clock__calendar")
            .filter(pk=alert_id, notified_at__isnull=True)
            .first()
        )
        if alert is None:
            return 0
        alert.notified_at = timezone.now()
        alert.save(update_fields=["notified_at"])
        users = recipient_users(alert)
        if not users:
            return 0
        ticket = alert.clock.ticket
        # An OSError rolls the mark back with the transaction, and the task's retry sends it.
        return send_staff_mail(
            users,
            template="sla_breached" if alert.is_breach else "sla_warning",
            context=lambda: {
                "alert": alert,
                "clock": alert.clock,
                "ticket": ticket,
                "due": timezone.localtime(alert.clock.due_at),
                "url": settings.SITE_URL + reverse("desk:ticket", args=[ticket.reference]),
            },
        )


# Alerts older than this are not mailed late: the ticket has moved on and the sweep has fired again.
LATE_ALERT_LIMIT = timedelta(days=1)


def requeue_unsent_alerts(*, batch_size: int = 500) -> int:
    """The outbox of alert mail is the alerts themselves: one not mailed (`notified_at` empty) by
    OUTBOX_REQUEUE_AFTER after it fired lost its task (the broker was away) and is queued again.
    Sending is idempotent (send_alert_mail locks the alert and leaves a mailed one alone)."""
    now = timezone.now()
    ids = list(
        SlaAlert.objects.filter(
            notified_at__isnull=True,
            fired_at__lte=now - timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER),
            fired_at__gte=now - LATE_ALERT_LIMIT,
        )
        .order_by("fired_at", "pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    with transaction.atomic():
        for chunk in batched(ids, 100):
            queue_staff_mail("sla.tasks.send_alert", list(chunk))
    return len(ids)
