"""GET /api/v1/quality/reviews/, /api/v1/corrective-actions/ and the stats sections."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from quality import services
from quality.models import Review
from tests.factories import AgentFactory

from .factories import closed_ticket

pytestmark = pytest.mark.django_db
ZONE = timezone.get_fixed_timezone(8 * 60)


@pytest.fixture
def scored(agent, qa, card):
    closed_ticket(closed_at=datetime(2026, 3, 3, tzinfo=ZONE), assignee=agent, team=agent.teams.first())
    services.sample_for_week(week_start=date(2026, 3, 2), size=1)
    review = Review.objects.get()
    scores = {c.pk: services.CriterionScore(c.max_points) for c in card.criteria.all()}
    return services.submit_review(review_id=review.pk, actor=qa, scores=scores)


def test_the_agent_lists_their_reviews_and_a_colleague_sees_none(client, scored, agent, team):
    client.force_login(agent)
    body = client.get("/api/v1/quality/reviews/").json()
    assert [r["ticket"] for r in body["results"]] == [scored.ticket.reference]
    assert body["results"][0]["score"] == "100.0" and len(body["results"][0]["scores"]) == 3
    client.force_login(AgentFactory(username="colleague", team=team))
    assert client.get("/api/v1/quality/reviews/").json()["results"] == []


def test_reviews_need_a_signed_in_staff_member(client, scored):
    assert client.get("/api/v1/quality/reviews/").status_code in (401, 403)


def test_corrective_actions_are_for_supervisors(client, supervisor, agent):
    client.force_login(agent)
    assert client.get("/api/v1/corrective-actions/").status_code == 403
    client.force_login(supervisor)
    assert client.get("/api/v1/corrective-actions/").json()["results"] == []


def test_stats_gain_quality_and_corrective_actions(client, scored, supervisor, time_machine):
    time_machine.move_to(scored.scored_at + timedelta(hours=1), tick=False)
    client.force_login(supervisor)
    body = client.get("/api/v1/stats/").json()
    assert body["quality"]["reviews"] == 1 and body["quality"]["average_score"] == 100.0
    assert body["quality"]["by_criterion"][0]["average_share"] == 100.0
    assert body["corrective_actions"]["open"] == 0
