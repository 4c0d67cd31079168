"""What an answer sets off: "not solved" reopens; a low rating opens a return visit for the team lead."""

import datetime as dt

import pytest
from django.core import mail

from complaints import services as complaint_services
from complaints.events import EventKind
from complaints.models import Message, Ticket
from complaints.states import Status
from feedback import notifications, selectors, services, tasks
from feedback.models import ReturnVisit, SurveyPolicy
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def answer(survey, captured, **kwargs):
    with captured(execute=True):
        return services.record_answer(survey_id=survey.pk, **kwargs)


def test_not_solved_on_a_resolved_ticket_disputes_it_with_the_comment(
    sent_survey, django_capture_on_commit_callbacks
):
    answer(
        sent_survey, django_capture_on_commit_callbacks, rating=3, solved=False, comment="Still drops at 9 pm"
    )

    ticket = Ticket.objects.get(pk=sent_survey.ticket_id)
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.events.filter(kind=EventKind.DISPUTED).exists()
    assert ticket.events.filter(kind=EventKind.REOPENED).exists()
    assert ticket.messages.filter(kind=Message.Kind.CUSTOMER, body="Still drops at 9 pm").exists()
    assert ticket.resolutions.get().customer_response == "disputed"


def test_not_solved_on_a_closed_ticket_reopens_it(sent_survey, agent, django_capture_on_commit_callbacks):
    complaint_services.confirm_resolution(ticket_id=sent_survey.ticket_id)

    answer(sent_survey, django_capture_on_commit_callbacks, rating=4, solved=False, comment="")

    ticket = Ticket.objects.get(pk=sent_survey.ticket_id)
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.events.filter(kind=EventKind.REOPENED).exists()
    assert ticket.messages.filter(kind=Message.Kind.CUSTOMER, body__contains="not solved").exists()


def test_changing_the_answer_does_not_reopen_twice(sent_survey, django_capture_on_commit_callbacks):
    answer(sent_survey, django_capture_on_commit_callbacks, rating=3, solved=False, comment="Not fixed")
    answer(sent_survey, django_capture_on_commit_callbacks, rating=3, solved=False, comment="Still not fixed")

    ticket = Ticket.objects.get(pk=sent_survey.ticket_id)
    assert ticket.events.filter(kind=EventKind.REOPENED).count() == 1


def test_solved_answers_leave_the_ticket_alone(sent_survey, django_capture_on_commit_callbacks):
    answer(sent_survey, django_capture_on_commit_callbacks, rating=5, solved=True)

    assert Ticket.objects.get(pk=sent_survey.ticket_id).status == Status.RESOLVED
    assert not ReturnVisit.objects.exists()


def test_a_low_rating_opens_a_return_visit_for_the_team_lead(
    sent_survey, lead, django_capture_on_commit_callbacks, time_machine, monkeypatch
):
    answered_at = sent_survey.sent_at + dt.timedelta(hours=3)
    time_machine.move_to(answered_at, tick=False)
    queued = []
    monkeypatch.setattr(tasks.notify_return_visit, "delay", lambda *args: queued.append(args))

    answer(
        sent_survey, django_capture_on_commit_callbacks, rating=2, solved=True, comment="Rude on the phone"
    )

    visit = ReturnVisit.objects.get()
    assert visit.ticket == sent_survey.ticket
    assert visit.assignee == lead
    assert visit.due_at == answered_at + dt.timedelta(hours=24)
    assert visit.completed_at is None
    assert "2/5" in visit.reason
    assert list(sent_survey.ticket.return_visits.all()) == [visit]
    assert list(selectors.open_return_visits_for(lead)) == [visit]
    assert queued == [(visit.pk,)]  # the lead is told after commit, by the worker

    assert notifications.notify_return_visit(visit_id=visit.pk) == 1
    [notice] = mail.outbox
    assert notice.to == [lead.email]
    assert sent_survey.ticket.reference in notice.subject
    assert "Rude on the phone" in notice.body


def test_the_threshold_and_due_time_come_from_the_policy(
    sent_survey, lead, django_capture_on_commit_callbacks
):
    SurveyPolicy.objects.update(low_rating_threshold=3, return_visit_due_hours=4)
    sent_survey.refresh_from_db()

    answer(sent_survey, django_capture_on_commit_callbacks, rating=3, solved=None)

    visit = ReturnVisit.objects.get()
    assert visit.due_at == visit.survey.answer.answered_at + dt.timedelta(hours=4)


def test_ratings_above_the_threshold_open_no_return_visit(
    sent_survey, lead, django_capture_on_commit_callbacks
):
    answer(sent_survey, django_capture_on_commit_callbacks, rating=3, solved=None)

    assert not ReturnVisit.objects.exists()


def test_lowering_the_rating_later_opens_one_return_visit(
    sent_survey, lead, django_capture_on_commit_callbacks
):
    answer(sent_survey, django_capture_on_commit_callbacks, rating=4, solved=True)
    answer(sent_survey, django_capture_on_commit_callbacks, rating=1, solved=True)
    answer(sent_survey, django_capture_on_commit_callbacks, rating=2, solved=True)

    assert ReturnVisit.objects.count() == 1


def test_without_a_lead_the_return_visit_waits_unassigned(sent_survey, django_capture_on_commit_callbacks):
    answer(sent_survey, django_capture_on_commit_callbacks, rating=1, solved=False)

    visit = ReturnVisit.objects.get()
    assert visit.assignee is None
    assert notifications.notify_return_visit(visit_id=visit.pk) == 0
    assert mail.outbox == []


def test_completing_a_return_visit_records_the_outcome_on_the_ticket(
    sent_survey, lead, django_capture_on_commit_callbacks
):
    answer(sent_survey, django_capture_on_commit_callbacks, rating=1, solved=True)
    visit = ReturnVisit.objects.get()

    services.complete_return_visit(
        visit_id=visit.pk,
        actor=lead,
        outcome=ReturnVisit.Outcome.REMEDY_OFFERED,
        notes="Offered a month free",
    )

    visit.refresh_from_db()
    assert (visit.outcome, visit.completed_by) == (ReturnVisit.Outcome.REMEDY_OFFERED, lead)
    assert visit.completed_at is not None
    note = Message.objects.get(ticket=visit.ticket, kind=Message.Kind.NOTE)
    assert "Offered a month free" in note.body
    assert list(selectors.open_return_visits_for(lead)) == []
    with pytest.raises(services.ComplaintError):
        services.complete_return_visit(visit_id=visit.pk, actor=lead, outcome=ReturnVisit.Outcome.SATISFIED)


def test_admin_complete_action_goes_through_the_service(
    client, sent_survey, lead, supervisor, django_capture_on_commit_callbacks
):
    answer(sent_survey, django_capture_on_commit_callbacks, rating=1, solved=True)
    visit = ReturnVisit.objects.get()
    supervisor.is_superuser = True
    supervisor.save(update_fields=["is_superuser"])
    client.force_login(supervisor)
    changelist = "/admin/feedback/returnvisit/"

    asked = client.post(changelist, {"action": "complete_return_visits", "_selected_action": [visit.pk]})
    assert asked.status_code == 200
    assert b"Complete return visits" in asked.content
    done = client.post(
        changelist,
        {
            "action": "complete_return_visits",
            "_selected_action": [visit.pk],
            "apply": "1",
            "outcome": ReturnVisit.Outcome.SATISFIED,
            "notes": "Called back, happy now",
        },
    )

    assert done.status_code == 302
    visit.refresh_from_db()
    assert (visit.outcome, visit.completed_by) == (ReturnVisit.Outcome.SATISFIED, supervisor)


def test_admin_pages_for_surveys_and_answers_render(
    client, sent_survey, supervisor, django_capture_on_commit_callbacks
):
    answer(sent_survey, django_capture_on_commit_callbacks, rating=4, solved=True)
    supervisor.is_superuser = True
    supervisor.save(update_fields=["is_superuser"])
    client.force_login(supervisor)

    for page in (
        "/admin/feedback/survey/",
        f"/admin/feedback/survey/{sent_survey.pk}/change/",
        "/admin/feedback/surveyanswer/",
        "/admin/feedback/surveypolicy/",
        "/admin/feedback/surveyreason/",
        "/admin/feedback/returnvisit/?open=overdue",
    ):
        assert client.get(page).status_code == 200, page
    assert client.get("/admin/feedback/surveyanswer/add/").status_code == 403


def test_another_agent_is_not_given_the_return_visit(sent_survey, team, django_capture_on_commit_callbacks):
    AgentFactory(username="plain-agent", team=team)
    lead = AgentFactory(username="the-lead", team=team, team__role="lead")

    answer(sent_survey, django_capture_on_commit_callbacks, rating=1, solved=True)

    assert ReturnVisit.objects.get().assignee == lead
