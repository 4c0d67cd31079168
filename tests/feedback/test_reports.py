"""CSAT, average rating, response and solved rates, overall and by team, agent, category, channel, period."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from complaints import extensions
from complaints.models import Ticket
from feedback import reports, services
from feedback.models import Survey
from tests.factories import CategoryFactory, TeamFactory, TicketFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 1, tzinfo=SHANGHAI)
END = dt.datetime(2026, 4, 1, tzinfo=SHANGHAI)


@pytest.fixture
def answered(team, resolve, time_machine, django_capture_on_commit_callbacks):
    """Six delivered surveys: ratings 5, 4, 2 and 1 answered (two with "not solved"), two unanswered."""
    other_team = TeamFactory(slug="billing", name_zh="账务部", name_en="Billing")
    billing = CategoryFactory(slug="billing-cat", name_en="Billing & refunds")
    specs = [
        (team, Ticket.Channel.WEB, None, 5, True),
        (team, Ticket.Channel.WEB, None, 4, True),
        (team, Ticket.Channel.PHONE, None, 2, None),
        (other_team, Ticket.Channel.PHONE, billing, 1, False),
        (other_team, Ticket.Channel.EMAIL, billing, None, None),
        (team, Ticket.Channel.WEB, None, None, None),
    ]
    time_machine.move_to(dt.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False)
    tickets = []
    for team_, channel, category, _rating, _solved in specs:
        ticket = TicketFactory(team=team_, channel=channel, category=category)
        resolve(ticket)
        tickets.append(ticket)
    time_machine.move_to(dt.datetime(2026, 3, 3, 10, tzinfo=SHANGHAI), tick=False)
    assert services.send_due_surveys().sent == 6
    for ticket, (_t, _c, _cat, rating, solved) in zip(tickets, specs, strict=True):
        if rating is not None:
            with django_capture_on_commit_callbacks(execute=False):
                services.record_answer(survey_id=ticket.surveys.get().pk, rating=rating, solved=solved)
    return tickets


def test_overall_figures(answered):
    figures = reports.satisfaction(reports.delivered_surveys(START, END))

    assert figures == {
        "sent": 6,
        "answered": 4,
        "csat": 50.0,  # 5 and 4 out of four answers
        "average_rating": 3.0,
        "response_rate": 66.7,
        "solved_rate": 66.7,  # two "yes" out of three who said
    }


def test_an_empty_period_has_no_percentages(answered):
    figures = reports.satisfaction(reports.delivered_surveys(END, END + dt.timedelta(days=30)))

    assert figures == {
        "sent": 0,
        "answered": 0,
        "csat": None,
        "average_rating": None,
        "response_rate": None,
        "solved_rate": None,
    }


def test_by_team_and_channel(answered):
    surveys = reports.delivered_surveys(START, END)

    by_team = {row["key"]: row for row in reports.satisfaction_by("team", surveys)}
    by_channel = {row["key"]: row for row in reports.satisfaction_by("channel", surveys)}

    assert by_team["customer-service"]["csat"] == pytest.approx(66.7)
    assert by_team["customer-service"]["response_rate"] == 75.0
    assert by_team["billing"]["csat"] == 0.0
    assert by_team["billing"]["label"] in ("Billing", "账务部")
    assert by_channel["phone"]["average_rating"] == 1.5
    assert by_channel["email"]["answered"] == 0


def test_by_agent_category_and_period(answered, agent):
    surveys = reports.delivered_surveys(START, END)

    by_agent = reports.satisfaction_by("agent", surveys)
    by_category = {row["key"]: row for row in reports.satisfaction_by("category", surveys)}
    by_day = reports.satisfaction_by("day", surveys)

    assert [(row["key"], row["sent"]) for row in by_agent] == [(agent.username, 6)]
    assert by_category["billing-cat"]["sent"] == 2
    assert by_category[""]["sent"] == 4
    assert [(row["key"], row["sent"], row["csat"]) for row in by_day] == [("2026-03-03", 6, 50.0)]


def test_only_the_given_tickets_are_counted(answered):
    surveys = reports.delivered_surveys(START, END, Ticket.objects.filter(channel=Ticket.Channel.WEB))

    assert reports.satisfaction(surveys)["sent"] == 3


def test_the_stats_section_is_registered_for_the_api_and_dashboard(answered):
    section = extensions.stats(START, END, Ticket.objects.all())["satisfaction"]

    assert section["csat"] == 50.0
    assert {"by_team", "by_agent", "by_category", "by_channel", "by_day"} <= section.keys()


def test_stats_change_when_a_customer_answers(team, resolve, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False)
    ticket = TicketFactory(team=team)
    resolve(ticket)
    time_machine.move_to(dt.datetime(2026, 3, 3, 10, tzinfo=SHANGHAI), tick=False)
    services.send_due_surveys()
    before = extensions.stats(START, END, Ticket.objects.all())["satisfaction"]

    services.record_answer(survey_id=Survey.objects.get().pk, rating=5, solved=True)

    after = extensions.stats(START, END, Ticket.objects.all())["satisfaction"]
    assert (before["answered"], before["csat"]) == (0, None)
    assert (after["answered"], after["csat"], after["response_rate"]) == (1, 100.0, 100.0)


def test_the_report_costs_the_same_queries_for_more_surveys(answered, django_assert_max_num_queries):
    with django_assert_max_num_queries(6, info="one aggregate plus one grouped query per breakdown"):
        reports.satisfaction_section(START, END, Ticket.objects.all())


def test_unknown_dimension_is_refused():
    with pytest.raises(ValueError, match="unknown dimension"):
        reports.satisfaction_by("weather", Survey.objects.all())
