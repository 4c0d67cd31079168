"""/desk/quality/ through the client: the inspector's queue and scorecard, the agent's appeal, the lead's decision."""

from datetime import date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Message
from quality import services
from quality.models import Review

from .factories import closed_ticket

pytestmark = pytest.mark.django_db
ZONE = timezone.get_fixed_timezone(8 * 60)


@pytest.fixture
def review(agent, qa, card):
    ticket = closed_ticket(
        closed_at=datetime(2026, 3, 3, 10, tzinfo=ZONE),
        assignee=agent,
        team=agent.teams.first(),
        subject="Refund late",
    )
    Message.objects.create(
        ticket=ticket, kind=Message.Kind.NOTE, author=agent, channel="web", body="Called the bank"
    )
    services.sample_for_week(week_start=date(2026, 3, 2), size=1)
    return Review.objects.get(ticket=ticket)


def _post_scores(client, review, points: list[str], **extra):
    data = {"comment": "Clear and polite", **extra}
    for criterion, value in zip(review.scorecard.criteria.all(), points, strict=True):
        data[f"points_{criterion.pk}"] = value
    return client.post(reverse("quality:score", args=[review.pk]), data)


def test_the_inspector_sees_the_queue_and_the_timeline_beside_the_scorecard(client, review, qa):
    client.force_login(qa)
    queue = client.get("/desk/quality/")
    assert review.ticket.reference in queue.text
    page = client.get(f"/desk/quality/reviews/{review.pk}/")
    assert page.status_code == 200
    assert "Called the bank" in page.text  # the internal note: inspectors read the whole timeline
    assert "Privacy respected" in page.text
    assert 'name="points_' in page.text


def test_scoring_in_the_desk_shows_the_result(client, review, qa):
    client.force_login(qa)
    answer = _post_scores(client, review, ["5", "5", "0"])
    assert answer.status_code == 302
    page = client.get(answer.url)
    assert "80.0%" in page.text and "critical fail" in page.text


def test_a_missing_score_re_renders_the_form_with_the_message(client, review, qa):
    client.force_login(qa)
    answer = _post_scores(client, review, ["5", "", "1"])
    assert answer.status_code == 422
    assert "Score this criterion." in answer.text
    assert Review.objects.get(pk=review.pk).state == Review.State.PENDING


def test_the_agent_cannot_score_and_sees_nothing_before_scoring(client, review, agent):
    client.force_login(agent)
    assert client.get(f"/desk/quality/reviews/{review.pk}/").status_code == 404
    assert review.ticket.reference not in client.get("/desk/quality/").text


def test_the_agent_appeals_and_the_lead_decides(client, review, qa, agent, lead):
    client.force_login(qa)
    _post_scores(client, review, ["2", "2", "1"])
    client.force_login(agent)
    page = client.get(f"/desk/quality/reviews/{review.pk}/")
    assert "Send the appeal" in page.text
    empty = client.post(reverse("quality:appeal", args=[review.pk]), {"reason": ""})
    assert empty.status_code == 422
    client.post(reverse("quality:appeal", args=[review.pk]), {"reason": "The customer hung up twice."})
    assert "Send the appeal" not in client.get(f"/desk/quality/reviews/{review.pk}/").text

    client.force_login(lead)
    assert review.ticket.reference in client.get("/desk/quality/").text
    points = {
        f"points_{c.pk}": v for c, v in zip(review.scorecard.criteria.all(), ["4", "4", "1"], strict=True)
    }
    answer = client.post(
        reverse("quality:decide", args=[review.pk]), {"decision": "changed", "note": "Fair point.", **points}
    )
    assert answer.status_code == 302
    review.refresh_from_db()
    assert (review.state, review.score) == ("decided", 84)


def test_a_refusal_from_the_service_is_shown_in_the_form(client, review, qa, agent):
    client.force_login(qa)
    _post_scores(client, review, ["2", "2", "1"])
    answer = _post_scores(client, review, ["5", "5", "1"])
    assert answer.status_code == 400
    assert "scored already" in answer.text
