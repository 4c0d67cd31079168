"""E-mail to staff about return visits (回访) they have to make, through the core's staff mail
(complaints.notifications: the assignee in the language they chose)."""

from django.conf import settings
from django.urls import reverse

from complaints.notifications import send_staff_mail, staff_to_tell

from .models import ReturnVisit


def notify_return_visit(*, visit_id: int) -> int:
    """Mail the assignee of a return visit still open; returns how many mails went out."""
    visit = (
        ReturnVisit.objects.select_related("ticket", "assignee", "survey__answer")
        .filter(pk=visit_id, completed_at__isnull=True)
        .first()
    )
    if visit is None or visit.assignee_id is None:
        return 0
    return send_staff_mail(
        staff_to_tell(team_id=visit.team_id, users=[visit.assignee_id]),
        template="survey_return_visit",
        context=lambda: {
            "visit": visit,
            "ticket": visit.ticket,
            "answer": getattr(visit.survey, "answer", None),
            "url": settings.SITE_URL + reverse("admin:feedback_returnvisit_change", args=[visit.pk]),
        },
    )
