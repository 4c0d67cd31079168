"""The console's scores page (per agent, team and criterion over the weeks, the trend drawn) and the
quality card on the supervisor dashboard."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from quality.models import Review
from quality.services import CriterionScore, submit_review
from tests.factories import AgentFactory, TeamFactory, TicketFactory

URL = "/admin/quality/scores/"
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # a Wednesday, noon in Shanghai


def _scored(card, qa, agent, team, *, when: datetime, points: int) -> Review:
    """A review of one of `agent`'s tickets scored at `when`: every criterion at `points` (yes/no: yes)."""
    with time_machine.travel(when, tick=False):
        review = Review.objects.create(
            ticket=TicketFactory(team=team, assignee=agent),
            week_start=date(2026, 11, 2),
            reason=Review.Reason.RANDOM,
            agent=agent,
            team=team,
            scorecard=card,
        )
        submit_review(
            review_id=review.pk,
            actor=qa,
            scores={c.pk: CriterionScore(min(points, c.max_points)) for c in card.criteria.all()},
        )
    return review


@pytest.fixture
def weeks_of_scores(card, qa, agent, team):
    """Wang Fang scored 68 % three weeks ago, 84 % this week; Li (another team) 100 % this week."""
    other_team = TeamFactory(slug="technical", name_zh="技术部", name_en="Technical")
    li = AgentFactory(username="li", first_name="雷", last_name="李", team=other_team)
    _scored(card, qa, agent, team, when=NOW - timedelta(weeks=3), points=3)
    _scored(card, qa, agent, team, when=NOW, points=4)
    _scored(card, qa, li, other_team, when=NOW, points=5)


@time_machine.travel(NOW, tick=False)
def test_scores_per_agent_team_and_criterion_over_the_weeks(client, supervisor, weeks_of_scores):
    client.force_login(supervisor)
    response = client.get(URL, {"weeks": "4"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    context = response.context
    assert [monday.isoformat() for monday in context["weeks"]] == [
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
    ]
    agents = {row["key"]: (row["value"], row["weeks"]) for row in context["agents"]}
    assert agents == {"li": (100.0, [None, None, None, 100.0]), "wang-fang": (76.0, [68.0, None, None, 84.0])}
    teams = {row["key"]: row["weeks"] for row in context["teams"]}
    assert teams == {"billing": [68.0, None, None, 84.0], "technical": [None, None, None, 100.0]}
    courtesy = next(row for row in context["criteria"] if row["label"] == "Courtesy")
    assert courtesy["weeks"] == [60.0, None, None, 90.0]
    page = response.content.decode()
    # Each row draws its trend: a line through its weeks with scores, each dot titled with its figure.
    assert 'id="agent-wang-fang-title"' in page
    assert "<title>2026-11-02: 68</title>" in page and "<title>2026-11-23: 84</title>" in page
    assert "王芳" in page and "Billing" in page


@time_machine.travel(NOW, tick=False)
def test_the_scores_page_speaks_chinese(client, supervisor, weeks_of_scores):
    client.force_login(supervisor)
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "质检评分" in page and "计费部" in page and "礼貌" in page and "按客服" in page


@time_machine.travel(NOW, tick=False)
def test_a_team_lead_sees_only_the_scores_of_their_team(client, lead, weeks_of_scores):
    lead.is_staff = True
    lead.save(update_fields=["is_staff"])
    client.force_login(lead)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert [row["key"] for row in response.context["agents"]] == ["wang-fang"]


def test_an_agent_is_refused_the_scores_page(client, agent):
    agent.is_staff = True
    agent.save(update_fields=["is_staff"])
    client.force_login(agent)
    assert client.get(URL).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_shows_the_quality_card_with_its_links(client, supervisor, weeks_of_scores):
    client.force_login(supervisor)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="console-quality"' in page
    assert 'href="/admin/quality/review-pack/"' in page and 'href="/admin/quality/scores/"' in page
