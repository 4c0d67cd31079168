"""E-mail to the supervisors when a surge opens a suspected incident (sent by tasks.notify_surge)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from complaints import preferences
from complaints.selectors import SUPERVISORS_GROUP

from .models import Incident


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
