"""E-mail to staff about return visits (回访) they have to make."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from complaints import preferences

from .models import ReturnVisit


def notify_return_visit(*, visit_id: int) -> int:
    """Mail the assignee of a return visit still open; returns how many mails went out."""
    visit = (
        ReturnVisit.objects.select_related("ticket", "assignee", "survey__answer")
        .filter(pk=visit_id, completed_at__isnull=True)
        .first()
    )
    if visit is None or visit.assignee is None or not visit.assignee.email:
        return 0
    with translation.override(preferences.staff_language(visit.assignee) or settings.LANGUAGE_CODE):
        context = {
            "visit": visit,
            "ticket": visit.ticket,
            "answer": getattr(visit.survey, "answer", None),
            "url": settings.SITE_URL + reverse("admin:feedback_returnvisit_change", args=[visit.pk]),
        }
        subject = " ".join(render_to_string("emails/survey_return_visit_subject.txt", context).split())
        body = render_to_string("emails/survey_return_visit.txt", context)
    return EmailMessage(subject, body, None, [visit.assignee.email]).send(using="default")
