"""Sampling, scoring and appeals through quality.services, as the beat job, inspectors and agents use them."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from complaints.events import EventKind
from complaints.models import Message, Resolution, Ticket, TicketEvent
from complaints.policy import NotPermitted
from quality import services
from quality.models import QualitySettings, Review
from quality.policy import QualityError, reviews_visible_to
from quality.services import CriterionScore
from tests.factories import AgentFactory, TicketFactory

from .factories import closed_ticket, inspector, rated, resolution

WEEK = date(2026, 3, 2)  # a Monday
ZONE = timezone.get_fixed_timezone(8 * 60)


def during_week(day: int = 2, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=ZONE)


pytestmark = pytest.mark.django_db


def sampled(**kwargs) -> dict[str, Review]:
    services.sample_for_week(week_start=WEEK, **kwargs)
    return {review.ticket.subject: review for review in Review.objects.select_related("ticket")}


def test_sample_takes_only_tickets_closed_in_the_week(agent, qa, card):
    closed_ticket(closed_at=during_week(2), assignee=agent, subject="this week")
    closed_ticket(closed_at=during_week(8, 23), assignee=agent, subject="Sunday night")
    closed_ticket(closed_at=datetime(2026, 3, 1, 23, 59, tzinfo=ZONE), assignee=agent, subject="last week")
    closed_ticket(closed_at=datetime(2026, 3, 9, 0, 0, tzinfo=ZONE), assignee=agent, subject="next week")
    TicketFactory(
        status=Ticket.Status.RESOLVED, resolved_at=during_week(3), assignee=agent, subject="resolved only"
    )
    TicketFactory(status=Ticket.Status.IN_PROGRESS, assignee=agent, subject="open")

    reviews = sampled(size=10)

    assert set(reviews) == {"this week", "Sunday night"}
    assert {r.reason for r in reviews.values()} == {Review.Reason.RANDOM}
    assert {r.agent for r in reviews.values()} == {agent}
    assert {r.inspector for r in reviews.values()} == {qa}
    assert {r.scorecard for r in reviews.values()} == {card}


def test_random_sample_is_per_agent_and_of_the_configured_size(team, agent, qa, card):
    colleague = AgentFactory(username="chen", team=team)
    for n in range(5):
        closed_ticket(closed_at=during_week(3), assignee=agent, subject=f"wang {n}")
        closed_ticket(closed_at=during_week(3), assignee=colleague, subject=f"chen {n}")
    QualitySettings.objects.update_or_create(pk=1, defaults={"sample_per_agent": 2})

    reviews = sampled()

    assert sum(1 for r in reviews.values() if r.agent == agent) == 2
    assert sum(1 for r in reviews.values() if r.agent == colleague) == 2


def test_low_ratings_disputes_and_reopened_tickets_are_always_sampled(agent, qa, card):
    low = closed_ticket(closed_at=during_week(), assignee=agent, subject="rated 2")
    rated(low, 2)
    fine = closed_ticket(closed_at=during_week(), assignee=agent, subject="rated 4")
    rated(fine, 4)
    disputed = closed_ticket(closed_at=during_week(), assignee=agent, subject="disputed")
    resolution(disputed, response=Resolution.CustomerResponse.DISPUTED)
    reopened = closed_ticket(closed_at=during_week(), assignee=agent, subject="reopened")
    TicketEvent.objects.create(ticket=reopened, kind=EventKind.REOPENED)

    reviews = sampled(size=0)

    assert {name: r.reason for name, r in reviews.items()} == {
        "rated 2": Review.Reason.LOW_RATING,
        "disputed": Review.Reason.DISPUTED,
        "reopened": Review.Reason.REOPENED,
    }


def test_tickets_a_regulator_forwarded_are_always_sampled(agent, qa, card):
    from external_cases.models import ExternalCase, ExternalSource

    forwarded = closed_ticket(closed_at=during_week(), assignee=agent, subject="12315 case")
    closed_ticket(closed_at=during_week(), assignee=agent, subject="ordinary")
    ExternalCase.objects.create(
        ticket=forwarded,
        source=ExternalSource.objects.get(slug="12315-odr"),
        number="ODR-QA-1",
        received_at=during_week(1),
        due_at=during_week(6),
        state=ExternalCase.State.REPORTED,
        reported_at=during_week(2),
    )

    reviews = sampled(size=0)

    assert {name: r.reason for name, r in reviews.items()} == {"12315 case": Review.Reason.EXTERNAL_CASE}
    assert reviews["12315 case"].get_reason_display() == "External case"


def test_an_inspector_never_gets_a_ticket_they_handled(team, agent, card):
    first = inspector("qa-a", team=team)
    second = inspector("qa-b")
    closed_ticket(closed_at=during_week(), assignee=first, team=team, subject="assigned to qa-a")
    replied = closed_ticket(closed_at=during_week(), assignee=agent, team=team, subject="qa-a replied")
    Message.objects.create(ticket=replied, kind=Message.Kind.REPLY, author=first, channel="web", body="Hello")
    resolved = closed_ticket(closed_at=during_week(), assignee=agent, team=team, subject="qa-a resolved")
    resolution(resolved, by=first)

    reviews = sampled(size=5)

    assert {name: r.inspector for name, r in reviews.items()} == {
        "assigned to qa-a": second,
        "qa-a replied": second,
        "qa-a resolved": second,
    }


def test_a_ticket_only_its_own_inspector_handled_waits_in_the_pool_and_they_cannot_score_it(agent, card):
    only = inspector("qa-only")
    closed_ticket(closed_at=during_week(), assignee=only, subject="own")

    review = sampled(size=1)["own"]

    assert review.inspector is None
    with pytest.raises(NotPermitted):
        services.submit_review(review_id=review.pk, actor=only, scores=_scores(card, 5, 5, 1))


def test_sampling_a_week_twice_changes_nothing(agent, qa, card):
    for n in range(4):
        closed_ticket(closed_at=during_week(), assignee=agent, subject=f"t{n}")
    first = services.sample_for_week(week_start=WEEK, size=2, seed=1)
    second = services.sample_for_week(week_start=WEEK + timedelta(days=3), size=4, seed=2)

    assert (first.created, first.reviews) == (True, 2)
    assert (second.created, second.reviews) == (False, 0)
    assert Review.objects.count() == 2


def test_the_command_samples_the_given_week_once(agent, qa, card):
    closed_ticket(closed_at=during_week(), assignee=agent, subject="t")
    out = StringIO()
    call_command("sample_reviews", "--week", "2026-03-04", stdout=out)
    call_command("sample_reviews", "--week", "2026-03-04", stdout=out)
    assert out.getvalue().splitlines() == [
        "week of 2026-03-02: 1 tickets sampled",
        "week of 2026-03-02: already sampled (1 tickets)",
    ]


# --- scoring and appeals ------------------------------------------------------------------------


def _scores(card, courtesy: int, resolution_points: int, privacy: int) -> dict[int, CriterionScore]:
    courtesy_c, resolution_c, privacy_c = card.criteria.all()
    return {
        courtesy_c.pk: CriterionScore(courtesy, "Polite"),
        resolution_c.pk: CriterionScore(resolution_points),
        privacy_c.pk: CriterionScore(privacy),
    }


@pytest.fixture
def review(agent, qa, card):
    closed_ticket(closed_at=during_week(), assignee=agent, team=agent.teams.first(), subject="sampled")
    return sampled(size=1)["sampled"]


def test_score_is_the_weighted_share_of_the_points(review, qa, card):
    done = services.submit_review(
        review_id=review.pk, actor=qa, scores=_scores(card, 5, 4, 1), comment="Good"
    )
    # (1*5/5 + 3*4/5 + 1*1/1) / 5 = 0.88
    assert (done.state, done.score, done.passed, done.critical_failed) == (
        "scored",
        Decimal("88.0"),
        True,
        False,
    )
    assert [s.comment for s in done.scores.all()] == ["Polite", "", ""]


def test_a_failed_critical_criterion_fails_the_whole_review(review, qa, card):
    done = services.submit_review(review_id=review.pk, actor=qa, scores=_scores(card, 5, 5, 0))
    assert done.score == Decimal("80.0")
    assert (done.passed, done.critical_failed) == (False, True)


def test_scores_must_cover_every_criterion_within_its_scale(review, qa, card):
    scores = _scores(card, 5, 5, 1)
    with pytest.raises(QualityError, match="from 0 to 5"):
        services.submit_review(
            review_id=review.pk, actor=qa, scores={**scores, card.criteria.first().pk: CriterionScore(6)}
        )
    scores.pop(card.criteria.last().pk)
    with pytest.raises(QualityError, match="Privacy respected"):
        services.submit_review(review_id=review.pk, actor=qa, scores=scores)
    assert Review.objects.get(pk=review.pk).state == Review.State.PENDING


def test_only_an_inspector_scores_and_only_once(review, agent, qa, card):
    with pytest.raises(NotPermitted):
        services.submit_review(review_id=review.pk, actor=agent, scores=_scores(card, 5, 5, 1))
    services.submit_review(review_id=review.pk, actor=qa, scores=_scores(card, 5, 5, 1))
    with pytest.raises(QualityError, match="scored already"):
        services.submit_review(review_id=review.pk, actor=qa, scores=_scores(card, 1, 1, 1))


def test_the_agent_sees_a_review_only_once_it_is_scored(review, agent, qa, card):
    assert list(reviews_visible_to(agent)) == []
    services.submit_review(review_id=review.pk, actor=qa, scores=_scores(card, 5, 5, 1))
    assert list(reviews_visible_to(agent)) == [review]


def test_the_agent_appeals_once_and_a_lead_changes_the_score(review, agent, lead, qa, card):
    services.submit_review(review_id=review.pk, actor=qa, scores=_scores(card, 5, 5, 0))
    with pytest.raises(NotPermitted):
        services.appeal_review(review_id=review.pk, actor=lead, reason="Not mine")
    with pytest.raises(QualityError, match="why"):
        services.appeal_review(review_id=review.pk, actor=agent, reason="  ")
    services.appeal_review(review_id=review.pk, actor=agent, reason="The customer gave the number himself.")
    with pytest.raises(QualityError, match="appealed already"):
        services.appeal_review(review_id=review.pk, actor=agent, reason="Again")
    with pytest.raises(NotPermitted):
        services.decide_appeal(review_id=review.pk, actor=qa, decision="upheld", note="I stand by it")
    with pytest.raises(NotPermitted):
        services.decide_appeal(review_id=review.pk, actor=agent, decision="upheld", note="Me")

    decided = services.decide_appeal(
        review_id=review.pk, actor=lead, decision="changed", note="Agreed.", scores=_scores(card, 5, 5, 1)
    )

    assert (decided.state, decided.decision, decided.decided_by) == ("decided", "changed", lead)
    assert (decided.original_score, decided.score, decided.passed) == (
        Decimal("80.0"),
        Decimal("100.0"),
        True,
    )
    with pytest.raises(QualityError, match="no open appeal"):
        services.decide_appeal(review_id=review.pk, actor=lead, decision="upheld", note="Again")


def test_an_upheld_appeal_keeps_the_score(review, agent, supervisor, qa, card):
    services.submit_review(review_id=review.pk, actor=qa, scores=_scores(card, 2, 2, 1))
    services.appeal_review(review_id=review.pk, actor=agent, reason="Too strict")
    decided = services.decide_appeal(
        review_id=review.pk, actor=supervisor, decision="upheld", note="The score stands."
    )
    assert (decided.state, decided.score, decided.passed) == ("decided", Decimal("52.0"), False)


def test_the_appeal_window_closes(review, agent, qa, card, time_machine):
    time_machine.move_to("2026-03-10 10:00 +08:00", tick=False)
    services.submit_review(review_id=review.pk, actor=qa, scores=_scores(card, 5, 5, 1))
    time_machine.move_to("2026-03-18 10:00 +08:00", tick=False)
    with pytest.raises(QualityError, match="7 days"):
        services.appeal_review(review_id=review.pk, actor=agent, reason="Late")
