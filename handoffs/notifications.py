"""E-mail to staff when a hand-off nears or passes its due time unanswered (sent by tasks.send_warnings)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from complaints import preferences
from complaints.models import TeamMembership

from .models import Handoff

User = get_user_model()


def recipient_users(handoff: Handoff) -> list:
    """Who opened it, the ticket's assignee and the team's leads."""
    ticket = handoff.ticket
    who = Q(
        pk__in=TeamMembership.objects.filter(team_id=ticket.team_id, role=TeamMembership.Role.LEAD).values(
            "user"
        )
    )
    for user_id in (ticket.assignee_id, handoff.opened_by_id):
        if user_id:
            who |= Q(pk=user_id)
    return list(User.objects.filter(who, is_active=True).exclude(email="").distinct())


def warning_text(handoff: Handoff, *, overdue: bool) -> tuple[str, str]:
    values = {
        "ref": handoff.reference,
        "ticket": handoff.ticket.reference,
        "partner": handoff.partner,
        "due": date_format(timezone.localtime(handoff.due_at), "SHORT_DATETIME_FORMAT"),
    }
    if overdue:
        subject = _("Overdue: %(partner)s has not answered hand-off %(ref)s (%(ticket)s)") % values
        body = (
            _("%(partner)s's answer to hand-off %(ref)s was due %(due)s. Remind, escalate or close it.")
            % values
        )
    else:
        subject = _("Due soon: hand-off %(ref)s to %(partner)s (%(ticket)s)") % values
        body = _("%(partner)s has not answered hand-off %(ref)s yet; the answer is due %(due)s.") % values
    return subject, body


def send_warning_mail(*, handoff_id: int, overdue: bool) -> int:
    handoff = Handoff.objects.select_related("ticket", "partner").get(pk=handoff_id)
    url = settings.SITE_URL + reverse("desk:ticket", args=[handoff.ticket.reference])
    mails = []
    for language, recipients in preferences.recipients_by_language(recipient_users(handoff)):
        with translation.override(language):
            subject, body = warning_text(handoff, overdue=overdue)
            mails.append((subject, f"{body}\n\n{url}\n", None, recipients))
    send_mass_mail(mails)
    return sum(len(mail[3]) for mail in mails)
