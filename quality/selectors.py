"""Shared reads of quality inspection: the desk's queues, a review with its ticket, the API's lists."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from complaints import selectors as core_selectors
from complaints.models import Message, Resolution, Ticket

from . import policy
from .models import Review


def review_list(reviews: QuerySet[Review]) -> QuerySet[Review]:
    return reviews.select_related(
        "ticket", "ticket__category", "ticket__category__parent", "agent", "inspector", "team", "decided_by"
    )


def _handled_by(user: AbstractBaseUser) -> Q:
    """The reviews of tickets `user` handled (assigned, resolved, replied or noted): never theirs to score."""
    wrote = Message.objects.filter(ticket_id=OuterRef("ticket_id"), author=user).exclude(
        kind=Message.Kind.CUSTOMER
    )
    resolved = Resolution.objects.filter(ticket_id=OuterRef("ticket_id"), resolved_by=user)
    return Q(agent=user) | Q(ticket__assignee=user) | Exists(wrote) | Exists(resolved)


def to_inspect(user: AbstractBaseUser) -> QuerySet[Review]:
    """Pending reviews in the inspector's queue: their own first, then the shared pool they may take."""
    if not policy.is_inspector(user):
        return Review.objects.none()
    pending = Review.objects.filter(state=Review.State.PENDING).filter(
        Q(inspector=user) | Q(inspector__isnull=True)
    )
    return review_list(pending.exclude(_handled_by(user))).order_by("inspector", "week_start", "pk")


def scored_by(user: AbstractBaseUser, *, limit: int = 20) -> QuerySet[Review]:
    return review_list(Review.objects.filter(inspector=user).exclude(state=Review.State.PENDING)).order_by(
        "-scored_at"
    )[:limit]


def reviews_of_agent(user: AbstractBaseUser) -> QuerySet[Review]:
    return review_list(Review.objects.filter(agent=user).exclude(state=Review.State.PENDING)).order_by(
        "-scored_at"
    )


def appeals_to_decide(user: AbstractBaseUser) -> QuerySet[Review]:
    """Open appeals the user may decide (their team's as a lead; all as a supervisor or quality lead)."""
    if not policy.can_decide_appeals(user):
        return Review.objects.none()
    appeals = Review.objects.filter(state=Review.State.APPEALED).exclude(agent=user).exclude(inspector=user)
    if not (core_selectors.is_supervisor(user) or user.has_perm("quality.decide_appeal")):
        appeals = appeals.filter(team_id__in=core_selectors.led_team_ids(user))
    return review_list(appeals).order_by("appealed_at")


def review_with_ticket(user: AbstractBaseUser, review_id: int) -> tuple[Review, Ticket] | None:
    """The review and its ticket with the full timeline, if the user may see the review."""
    review = (
        review_list(Review.objects.filter(pk=review_id))
        .select_related("scorecard")
        .prefetch_related("scorecard__criteria", "scores__criterion")
        .first()
    )
    if review is None or not policy.can_see(user, review):
        return None
    ticket = core_selectors.ticket_detail(Ticket.objects.filter(pk=review.ticket_id)).get()
    return review, ticket
