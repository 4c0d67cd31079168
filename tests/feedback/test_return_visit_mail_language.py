"""The return-visit mail reads in the assignee's own language."""

import pytest
from django.core import mail

from complaints import preferences
from feedback import notifications, services
from feedback.models import ReturnVisit

pytestmark = pytest.mark.django_db


def test_the_return_visit_mail_is_in_the_leads_language(
    sent_survey, lead, django_capture_on_commit_callbacks
) -> None:
    preferences.set_staff_language(user=lead, language="zh-hans")
    with django_capture_on_commit_callbacks(execute=False):
        services.record_answer(survey_id=sent_survey.pk, rating=1, solved=True, comment="态度差")
    visit = ReturnVisit.objects.get()
    assert notifications.notify_return_visit(visit_id=visit.pk) == 1
    [notice] = mail.outbox
    assert "回访" in notice.subject and "Return visit needed" not in notice.subject
    assert "(UTC+08:00)" in notice.body
