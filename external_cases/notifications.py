"""E-mail to staff when an external case nears or misses its deadline (sent by tasks.send_case_alerts)."""

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

from .models import ExternalCase

User = get_user_model()
SUPERVISORS_GROUP = "Supervisors"


def recipient_users(case: ExternalCase, *, is_breach: bool) -> list:
    """The assignee and the team's leads; a missed deadline also goes to the supervisors."""
    ticket = case.ticket
    who = Q(
        pk__in=TeamMembership.objects.filter(team_id=ticket.team_id, role=TeamMembership.Role.LEAD).values(
            "user"
        )
    )
    if ticket.assignee_id:
        who |= Q(pk=ticket.assignee_id)
    if is_breach:
        who |= Q(groups__name=SUPERVISORS_GROUP)
    return list(User.objects.filter(who, is_active=True).exclude(email="").distinct())


def alert_text(case: ExternalCase, percent: int) -> tuple[str, str]:
    """Subject and body of the alert, in the active language."""
    values = {
        "source": case.source,
        "number": case.number,
        "ref": case.ticket.reference,
        "due": date_format(timezone.localtime(case.due_at), "SHORT_DATETIME_FORMAT"),
        "percent": percent,
    }
    if percent >= 100:
        subject = _("Missed: report-back to %(source)s for case %(number)s (%(ref)s)") % values
        body = (
            _("The report-back to %(source)s for case %(number)s was due %(due)s and is not recorded.")
            % values
        )
    else:
        subject = _("Due soon: report-back to %(source)s for case %(number)s (%(ref)s)") % values
        body = (
            _("%(percent)s%% of the time for the report-back to %(source)s is used; it is due %(due)s.")
            % values
        )
    return subject, body


def send_case_alert_mail(*, case_id: int, percent: int) -> int:
    case = ExternalCase.objects.select_related("ticket", "source").get(pk=case_id)
    users = recipient_users(case, is_breach=percent >= 100)
    url = settings.SITE_URL + reverse("desk:ticket", args=[case.ticket.reference])
    mails = []
    for language, recipients in preferences.recipients_by_language(users):
        with translation.override(language):
            subject, body = alert_text(case, percent)
            mails.append((subject, f"{body}\n\n{url}\n", None, recipients))
    send_mass_mail(mails)
    return sum(len(mail[3]) for mail in mails)
