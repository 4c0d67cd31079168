"""The end-of-chat rating counts in the desk's satisfaction figures as an answered survey of kind "chat"."""

from datetime import timedelta

from django.utils import timezone

from chat import services
from complaints.models import Resolution, Ticket
from feedback import reports
from feedback import services as feedback_services
from feedback.models import ReturnVisit, Survey, SurveyPolicy
from quality import services as quality_services
from tests.chat.conftest import start
from tests.factories import RootCauseFactory


def _ended_chat(topic):
    chat = start(topic)
    services.customer_says(chat_id=chat.pk, client_id="1", text="hello")
    services.end_chat(chat_id=chat.pk)
    chat.refresh_from_db()
    return chat


def test_a_rating_of_two_counts_in_satisfaction_and_the_quality_sample(topic, chat_agent):
    chat = services.rate_chat(chat_id=_ended_chat(topic).pk, rating=2)
    survey = Survey.objects.get(ticket=chat.ticket)
    assert (survey.kind, survey.resolution_id, survey.state) == (
        Survey.Kind.CHAT,
        None,
        Survey.State.ANSWERED,
    )
    assert chat.survey_id == survey.pk and survey.answer.rating == 2
    now = timezone.now()
    section = reports.satisfaction_section(
        now - timedelta(days=1), now + timedelta(days=1), Ticket.objects.all()
    )
    assert (section["sent"], section["answered"], section["average_rating"], section["csat"]) == (
        1,
        1,
        2.0,
        0.0,
    )
    assert [row["key"] for row in section["by_channel"]] == ["chat"]
    tickets = Ticket.objects.filter(pk=chat.ticket_id)
    assert quality_services._low_rated(tickets, 2) == {chat.ticket_id}
    assert ReturnVisit.objects.filter(survey=survey).count() == 1  # a low rating, like any other survey


def test_a_changed_rating_edits_the_one_chat_survey(topic, chat_agent):
    chat = _ended_chat(topic)
    services.rate_chat(chat_id=chat.pk, rating=2)
    services.rate_chat(chat_id=chat.pk, rating=5)
    survey = Survey.objects.get(ticket=chat.ticket)
    assert survey.answer.rating == 5
    now = timezone.now()
    section = reports.satisfaction_section(
        now - timedelta(days=1), now + timedelta(days=1), Ticket.objects.all()
    )
    assert (section["answered"], section["average_rating"], section["csat"]) == (1, 5.0, 100.0)


def test_the_resolution_survey_still_goes_out_after_a_chat_rating(topic, chat_agent):
    chat = services.rate_chat(chat_id=_ended_chat(topic).pk, rating=5)
    # "Never ask again" would stop a second resolution survey; a chat rating is not one.
    SurveyPolicy.objects.create(name="once", on_resolve_again=SurveyPolicy.OnResolveAgain.NEVER)
    resolution = Resolution.objects.create(
        ticket=chat.ticket,
        root_cause=RootCauseFactory(),
        steps_taken="Explained the bill.",
        resolved_by=chat_agent,
    )
    later = feedback_services.schedule_survey(ticket_id=chat.ticket_id, resolution_id=resolution.pk)
    assert later is not None and later.kind == Survey.Kind.RESOLUTION
