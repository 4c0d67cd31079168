"""E-mail to staff about SLA warnings and breaches (sent by sla.tasks.send_alert after commit), through
the core's staff mail (complaints.notifications: who is told, one mail per language)."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from complaints.notifications import send_staff_mail, staff_to_tell

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
