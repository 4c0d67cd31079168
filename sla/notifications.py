"""E-mail to staff about SLA warnings and breaches (sent by sla.tasks.send_alert after commit)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from complaints import preferences
from complaints.models import TeamMembership

from .models import SlaAlert

User = get_user_model()
SUPERVISORS_GROUP = "Supervisors"


def recipients_for(alert: SlaAlert) -> list[str]:
    return sorted({user.email for user in recipient_users(alert)})


def recipient_users(alert: SlaAlert) -> list:
    """Warnings go to the assignee (the team leads while nobody has it); breaches as the policy says."""
    policy = alert.clock.policy
    # The people who had the ticket when the alert fired (a breach action may have moved it since).
    assignee_id, team_id = alert.assignee_id, alert.team_id
    leads = Q(
        pk__in=TeamMembership.objects.filter(team_id=team_id, role=TeamMembership.Role.LEAD).values("user")
    )
    assignee = Q(pk=assignee_id) if assignee_id else Q(pk__in=[])
    if not alert.is_breach:
        who = assignee if assignee_id else leads
    elif policy is None:
        who = assignee | leads
    else:
        who = Q(pk__in=[])
        if policy.notify_assignee:
            who |= assignee
        if policy.notify_team_lead or (policy.notify_assignee and not assignee_id):
            who |= leads
        if policy.notify_supervisors:
            who |= Q(groups__name=SUPERVISORS_GROUP)
    return list(User.objects.filter(who, is_active=True).exclude(email="").distinct())


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
        name = "sla_breached" if alert.is_breach else "sla_warning"
        mails = []
        # One mail per language, each recipient reading it in the language they chose.
        for language, recipients in preferences.recipients_by_language(users):
            with translation.override(language):
                context = {
                    "alert": alert,
                    "clock": alert.clock,
                    "ticket": ticket,
                    "due": timezone.localtime(alert.clock.due_at),
                    "url": settings.SITE_URL + reverse("desk:ticket", args=[ticket.reference]),
                }
                subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
                mails.append((subject, render_to_string(f"emails/{name}.txt", context), recipients))
        # An OSError rolls the mark back with the transaction, and the task's retry sends it.
        send_mass_mail([(subject, body, None, recipients) for subject, body, recipients in mails])
    return sum(len(recipients) for _, _, recipients in mails)
