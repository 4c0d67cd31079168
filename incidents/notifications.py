"""E-mail to the supervisors when a surge opens a suspected incident (sent by tasks.notify_surge)."""

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
from complaints.selectors import SUPERVISORS_GROUP

from .models import Incident, IncidentStep


def send_surge_mail(*, incident_id: int) -> int:
    incident = Incident.objects.select_related("category").get(pk=incident_id)
    users = get_user_model().objects.filter(groups__name=SUPERVISORS_GROUP, is_active=True).exclude(email="")
    url = settings.SITE_URL + reverse("incidents:detail", args=[incident.pk])
    count = incident.links.count()
    mails = []
    for language, recipients in preferences.recipients_by_language(users.distinct()):
        with translation.override(language):
            subject = _("Suspected incident: %(title)s") % {"title": incident.title}
            body = _(
                "%(count)s similar complaints arrived in a short time. Confirm the incident or resolve it "
                "as a false alarm:"
            ) % {"count": count}
            mails.append((subject, f"{body}\n\n{url}\n", None, recipients))
    send_mass_mail(mails)
    return sum(len(mail[3]) for mail in mails)


def _supervisors_and_leads(team_id: int | None) -> list:
    leads = TeamMembership.objects.filter(team_id=team_id, role=TeamMembership.Role.LEAD)
    return list(
        get_user_model()
        .objects.filter(Q(groups__name=SUPERVISORS_GROUP) | Q(pk__in=leads.values("user")), is_active=True)
        .exclude(email="")
        .distinct()
    )


def send_late_update_warnings(*, incident_ids: list[int]) -> int:
    """One mail per incident whose next public update is overdue, to the supervisors and the owner team's leads."""
    sent = 0
    for incident in Incident.objects.filter(pk__in=incident_ids, update_due_at__isnull=False):
        url = settings.SITE_URL + reverse("incidents:detail", args=[incident.pk])
        mails = []
        for language, recipients in preferences.recipients_by_language(
            _supervisors_and_leads(incident.owner_team_id)
        ):
            with translation.override(language):
                values = {
                    "incident": incident.title,
                    "due": date_format(timezone.localtime(incident.update_due_at), "SHORT_DATETIME_FORMAT"),
                }
                subject = _("Public update overdue: %(incident)s") % values
                body = _("The customers of %(incident)s were due a public update by %(due)s.") % values
                mails.append((subject, f"{body}\n\n{url}\n", None, recipients))
        send_mass_mail(mails)
        sent += sum(len(mail[3]) for mail in mails)
    return sent


def send_step_warnings(*, step_ids: list[int]) -> int:
    """One mail per overdue plan step to the supervisors and the step's owner team's leads."""
    sent = 0
    steps = IncidentStep.objects.filter(pk__in=step_ids).select_related("incident")
    for step in steps:
        leads = TeamMembership.objects.filter(team_id=step.owner_team_id, role=TeamMembership.Role.LEAD)
        users = (
            get_user_model()
            .objects.filter(
                Q(groups__name=SUPERVISORS_GROUP) | Q(pk__in=leads.values("user")), is_active=True
            )
            .exclude(email="")
            .distinct()
        )
        url = settings.SITE_URL + reverse("incidents:detail", args=[step.incident_id])
        mails = []
        for language, recipients in preferences.recipients_by_language(users):
            with translation.override(language):
                values = {
                    "step": step.title,
                    "incident": step.incident.title,
                    "due": date_format(timezone.localtime(step.due_at), "SHORT_DATETIME_FORMAT"),
                }
                subject = _("Overdue plan step: %(step)s") % values
                body = (
                    _("The emergency plan step “%(step)s” of %(incident)s was due %(due)s and is not done.")
                    % values
                )
                mails.append((subject, f"{body}\n\n{url}\n", None, recipients))
        send_mass_mail(mails)
        sent += sum(len(mail[3]) for mail in mails)
    return sent
