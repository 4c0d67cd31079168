"""Every write of quality inspection: the weekly sample, scoring, the appeal and its decision.

Reviews never change a ticket; they read its timeline. Permission rules are in quality.policy.
"""

import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.events import EventKind
from complaints.models import Resolution, Ticket, TicketEvent
from complaints.states import Status
from feedback.models import SurveyAnswer

from . import policy
from .models import Criterion, QualitySettings, Review, ReviewScore, SamplingRun, Scorecard
from .policy import QualityError

# --- the week -------------------------------------------------------------------------------


def week_start_of(day: date) -> date:
    """The Monday of the week `day` is in."""
    return day - timedelta(days=day.weekday())


def week_bounds(week_start: date) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) in the site's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(week_start, time.min, tzinfo=zone)
    return start, datetime.combine(week_start + timedelta(days=7), time.min, tzinfo=zone)


def previous_week(now: datetime | None = None) -> date:
    today = timezone.localdate(now or timezone.now())
    return week_start_of(today) - timedelta(days=7)


# --- sampling -------------------------------------------------------------------------------


def closed_in(start: datetime, end: datetime) -> QuerySet[Ticket]:
    """The tickets a week's sample is drawn from: closed in [start, end), not spam, not merged away."""
    return Ticket.objects.filter(
        status=Status.CLOSED,
        closed_at__gte=start,
        closed_at__lt=end,
        is_spam=False,
        duplicate_of__isnull=True,
    )


def _low_rated(tickets: QuerySet[Ticket], at_most: int) -> set[int]:
    return set(
        SurveyAnswer.objects.filter(survey__ticket__in=tickets, rating__lte=at_most).values_list(
            "survey__ticket_id", flat=True
        )
    )


def _disputed(tickets: QuerySet[Ticket], at_most: int) -> set[int]:
    disputes = Resolution.objects.filter(
        ticket__in=tickets, customer_response=Resolution.CustomerResponse.DISPUTED
    ).values_list("ticket_id", flat=True)
    events = TicketEvent.objects.filter(ticket__in=tickets, kind=EventKind.DISPUTED).values_list(
        "ticket_id", flat=True
    )
    return set(disputes) | set(events)


def _reopened(tickets: QuerySet[Ticket], at_most: int) -> set[int]:
    return set(
        TicketEvent.objects.filter(ticket__in=tickets, kind=EventKind.REOPENED).values_list(
            "ticket_id", flat=True
        )
    )


# Tickets always inspected, in this order of precedence (a ticket is sampled once, for the first).
# An app that keeps external cases (regulator or platform complaints) adds Review.Reason.EXTERNAL_CASE
# here with register_mandatory_sample.
MANDATORY_SAMPLES: dict[str, Callable[[QuerySet[Ticket], int], set[int]]] = {
    Review.Reason.LOW_RATING: _low_rated,
    Review.Reason.DISPUTED: _disputed,
    Review.Reason.REOPENED: _reopened,
}


def register_mandatory_sample(reason: str, select: Callable[[QuerySet[Ticket], int], set[int]]) -> None:
    MANDATORY_SAMPLES[reason] = select


def scorecard_for(team_id: int | None, scorecards: list[Scorecard] | None = None) -> Scorecard | None:
    """The team's own active scorecard, else the active one for every team."""
    if scorecards is None:
        scorecards = list(Scorecard.objects.filter(is_active=True).order_by("pk"))
    own = [card for card in scorecards if card.team_id is not None and card.team_id == team_id]
    shared = [card for card in scorecards if card.team_id is None]
    return (own or shared or [None])[0]


def inspectors() -> list[AbstractBaseUser]:
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=policy.INSPECTORS_GROUP)
        .distinct()
        .order_by("pk")
    )


@dataclass
class SampleResult:
    run: SamplingRun
    created: bool
    reviews: int


def sample_for_week(*, week_start: date, size: int | None = None, seed: int | None = None) -> SampleResult:
    """Draw the week's sample once: per agent `size` random closed tickets of the week, plus every
    low-rated, disputed or reopened one; each review goes to the least-loaded inspector who did not
    handle the ticket (none: the shared pool). A second call for the same week changes nothing."""
    week_start = week_start_of(week_start)
    config = QualitySettings.current()
    size = config.sample_per_agent if size is None else size
    rng = random.Random(seed)
    start, end = week_bounds(week_start)
    with transaction.atomic():
        run, created = SamplingRun.objects.get_or_create(week_start=week_start)
        if not created:
            return SampleResult(run=run, created=False, reviews=0)
        population = closed_in(start, end)
        rows = list(population.values_list("pk", "assignee_id", "team_id").order_by("pk"))
        reasons: dict[int, str] = {}
        for reason, select in MANDATORY_SAMPLES.items():
            for ticket_id in sorted(select(population, config.low_rating_at_most)):
                reasons.setdefault(ticket_id, reason)
        by_agent: dict[int, list[int]] = defaultdict(list)
        for ticket_id, agent_id, _team_id in rows:
            if agent_id is not None and ticket_id not in reasons:
                by_agent[agent_id].append(ticket_id)
        for _agent_id, ticket_ids in sorted(by_agent.items()):
            for ticket_id in rng.sample(ticket_ids, min(size, len(ticket_ids))):
                reasons[ticket_id] = Review.Reason.RANDOM
        chosen = [row for row in rows if row[0] in reasons]
        handlers = policy.handlers_of([row[0] for row in chosen])
        pool = inspectors()
        load = dict.fromkeys((inspector.pk for inspector in pool), 0)
        scorecards = list(Scorecard.objects.filter(is_active=True).order_by("pk"))
        reviews = []
        for ticket_id, agent_id, team_id in chosen:
            eligible = [pk for pk in load if pk not in handlers[ticket_id] and pk != agent_id]
            inspector_id = min(eligible, key=lambda pk: (load[pk], pk)) if eligible else None
            if inspector_id is not None:
                load[inspector_id] += 1
            card = scorecard_for(team_id, scorecards)
            reviews.append(
                Review(
                    ticket_id=ticket_id,
                    week_start=week_start,
                    reason=reasons[ticket_id],
                    agent_id=agent_id,
                    team_id=team_id,
                    inspector_id=inspector_id,
                    scorecard=card,
                )
            )
        Review.objects.bulk_create(reviews, ignore_conflicts=True)
        run.sampled = len(reviews)
        run.save(update_fields=["sampled"])
    return SampleResult(run=run, created=True, reviews=len(reviews))


# --- scoring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionScore:
    points: int
    comment: str = ""


@dataclass(frozen=True)
class Outcome:
    score: Decimal
    passed: bool
    critical_failed: bool


def score_of(criteria: list[Criterion], scores: Mapping[int, CriterionScore], pass_mark: int) -> Outcome:
    """Weighted share of the points in percent; any critical criterion scored 0 fails the review."""
    total_weight = sum(c.weight for c in criteria) or 1
    earned = sum(Decimal(c.weight) * Decimal(scores[c.pk].points) / Decimal(c.max_points) for c in criteria)
    score = (earned * 100 / total_weight).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    critical_failed = any(c.is_critical and scores[c.pk].points == 0 for c in criteria)
    return Outcome(
        score=score, passed=not critical_failed and score >= pass_mark, critical_failed=critical_failed
    )


def _checked_scores(review: Review, scores: Mapping[int, CriterionScore]) -> list[Criterion]:
    if review.scorecard_id is None:
        raise QualityError(_("No scorecard applies to this review; a supervisor sets one up in the console."))
    criteria = list(review.scorecard.criteria.all())
    if not criteria:
        raise QualityError(_("The scorecard has no criteria yet."))
    missing = [str(c) for c in criteria if c.pk not in scores]
    if missing:
        raise QualityError(_("Score every criterion; missing: %(names)s.") % {"names": ", ".join(missing)})
    for criterion in criteria:
        points = scores[criterion.pk].points
        if not 0 <= points <= criterion.max_points:
            raise QualityError(
                _("%(criterion)s is scored from 0 to %(max)s.")
                % {"criterion": criterion, "max": criterion.max_points}
            )
    return criteria


def _write_scores(review: Review, criteria: list[Criterion], scores: Mapping[int, CriterionScore]) -> Outcome:
    outcome = score_of(criteria, scores, review.scorecard.pass_mark)
    ReviewScore.objects.filter(review=review).delete()
    ReviewScore.objects.bulk_create(
        ReviewScore(
            review=review, criterion=c, points=scores[c.pk].points, comment=scores[c.pk].comment.strip()
        )
        for c in criteria
    )
    review.score, review.passed, review.critical_failed = (
        outcome.score,
        outcome.passed,
        outcome.critical_failed,
    )
    return outcome


def _locked(review_id: int) -> Review:
    try:
        return Review.objects.select_for_update(of=("self",)).select_related("scorecard").get(pk=review_id)
    except Review.DoesNotExist:
        raise QualityError(_("There is no such review.")) from None


def submit_review(
    *, review_id: int, actor: AbstractBaseUser, scores: Mapping[int, CriterionScore], comment: str = ""
) -> Review:
    """Score a pending review: every criterion of its scorecard, within its scale."""
    with transaction.atomic():
        review = _locked(review_id)
        policy.ensure_can_score(actor, review)
        if review.state != Review.State.PENDING:
            raise QualityError(_("This review has been scored already."))
        criteria = _checked_scores(review, scores)
        outcome = _write_scores(review, criteria, scores)
        review.original_score = outcome.score
        review.inspector = actor
        review.state = Review.State.SCORED
        review.comment = comment.strip()
        review.scored_at = timezone.now()
        review.save(
            update_fields=[
                "score",
                "passed",
                "critical_failed",
                "original_score",
                "inspector",
                "state",
                "comment",
                "scored_at",
            ]
        )
    return review


def appeal_review(*, review_id: int, actor: AbstractBaseUser, reason: str) -> Review:
    """The agent disagrees, once, within the appeal window."""
    reason = reason.strip()
    if not reason:
        raise QualityError(_("Say why you disagree with the review."))
    config = QualitySettings.current()
    with transaction.atomic():
        review = _locked(review_id)
        policy.ensure_can_appeal(actor, review, appeal_within_days=config.appeal_within_days)
        review.state = Review.State.APPEALED
        review.appeal_reason = reason
        review.appealed_at = timezone.now()
        review.save(update_fields=["state", "appeal_reason", "appealed_at"])
    return review


def decide_appeal(
    *,
    review_id: int,
    actor: AbstractBaseUser,
    decision: str,
    note: str = "",
    scores: Mapping[int, CriterionScore] | None = None,
) -> Review:
    """Uphold the score, or change it with new criterion scores; final either way."""
    if decision not in Review.Decision.values:
        raise QualityError(_("Choose whether the score is upheld or changed."))
    note = note.strip()
    if not note:
        raise QualityError(_("Write a note for the agent explaining the decision."))
    with transaction.atomic():
        review = _locked(review_id)
        policy.ensure_can_decide(actor, review)
        fields = ["state", "decision", "decision_note", "decided_by", "decided_at"]
        if decision == Review.Decision.CHANGED:
            if not scores:
                raise QualityError(_("To change the score, score the criteria again."))
            criteria = _checked_scores(review, scores)
            _write_scores(review, criteria, scores)
            fields += ["score", "passed", "critical_failed"]
        review.state = Review.State.DECIDED
        review.decision = decision
        review.decision_note = note
        review.decided_by = actor
        review.decided_at = timezone.now()
        review.save(update_fields=fields)
    return review
