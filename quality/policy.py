"""Who may do what in quality inspection: the one place the desk, the API and the admin ask.

The services call the `ensure_*` checks before they write. An inspector never scores a ticket they
handled (assigned, resolved, replied or noted on it); the agent appeals their own review once; a
lead of the review's team, a supervisor or a quality lead (decide_appeal) decides, never the
inspector who scored it nor the agent who appealed.
"""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.errors import ComplaintError
from complaints.models import Message, Resolution, Ticket
from complaints.policy import NotPermitted, is_system, leads_team, may_use_desk
from complaints.selectors import is_supervisor, led_team_ids

from .models import Review

INSPECTORS_GROUP = "Inspectors"


class QualityError(ComplaintError):
    """A quality request the rules refuse, with a message a person can act on."""

    code = "quality_refused"
    http_status = 400


def is_inspector(user: AbstractBaseUser) -> bool:
    return not is_system(user) and user.has_perm("quality.inspect_review")


def may_use_quality_desk(user: AbstractBaseUser) -> bool:
    """Inspectors, and the people who work tickets (their own reviews, their team's appeals); never an
    integration account."""
    return is_inspector(user) or may_use_desk(user)


def can_decide_appeals(user: AbstractBaseUser) -> bool:
    """Whether the user decides any appeals at all (their team's, or every one)."""
    if is_system(user):
        return False
    return is_supervisor(user) or user.has_perm("quality.decide_appeal") or bool(led_team_ids(user))


def handlers_of(ticket_ids: list[int]) -> dict[int, set[int]]:
    """Who handled each ticket: its assignee, whoever resolved it, and whoever replied or noted on it."""
    handlers: dict[int, set[int]] = {pk: set() for pk in ticket_ids}
    for ticket_id, user_id in Ticket.objects.filter(pk__in=ticket_ids, assignee__isnull=False).values_list(
        "pk", "assignee_id"
    ):
        handlers[ticket_id].add(user_id)
    for ticket_id, user_id in Resolution.objects.filter(
        ticket_id__in=ticket_ids, resolved_by__isnull=False
    ).values_list("ticket_id", "resolved_by_id"):
        handlers[ticket_id].add(user_id)
    for ticket_id, user_id in (
        Message.objects.filter(ticket_id__in=ticket_ids, author__isnull=False)
        .exclude(kind=Message.Kind.CUSTOMER)
        .values_list("ticket_id", "author_id")
        .distinct()
    ):
        handlers[ticket_id].add(user_id)
    return handlers


def handled(user: AbstractBaseUser, review: Review) -> bool:
    return user.pk == review.agent_id or user.pk in handlers_of([review.ticket_id])[review.ticket_id]


def ensure_can_score(actor: AbstractBaseUser, review: Review) -> None:
    if not is_inspector(actor):
        raise NotPermitted(_("Only inspectors score reviews."))
    if review.inspector_id not in (None, actor.pk):
        raise NotPermitted(_("This review is in another inspector's queue."))
    if handled(actor, review):
        raise NotPermitted(_("You handled this ticket yourself; another inspector must review it."))


def ensure_can_appeal(actor: AbstractBaseUser, review: Review, *, appeal_within_days: int) -> None:
    if is_system(actor) or actor.pk != review.agent_id:
        raise NotPermitted(_("Only the agent whose work was reviewed may appeal."))
    if review.state != Review.State.SCORED:
        raise QualityError(
            _("This review cannot be appealed: it has not been scored, or it was appealed already.")
        )
    if review.scored_at and timezone.now() > review.scored_at + timedelta(days=appeal_within_days):
        raise QualityError(
            _("The time to appeal (%(days)s days after scoring) has passed.") % {"days": appeal_within_days}
        )


def can_decide(actor: AbstractBaseUser, review: Review) -> bool:
    if is_system(actor) or actor.pk in (review.agent_id, review.inspector_id):
        return False
    return (
        is_supervisor(actor) or actor.has_perm("quality.decide_appeal") or leads_team(actor, review.team_id)
    )


def ensure_can_decide(actor: AbstractBaseUser, review: Review) -> None:
    if not can_decide(actor, review):
        raise NotPermitted(
            _("A lead of the agent's team or a supervisor decides appeals, not the inspector or the agent.")
        )
    if review.state != Review.State.APPEALED:
        raise QualityError(_("There is no open appeal on this review."))


def can_see(user: AbstractBaseUser, review: Review) -> bool:
    if is_system(user):
        return True
    if is_supervisor(user) or user.has_perm("quality.decide_appeal"):
        return True
    if user.pk == review.inspector_id:
        return True
    # The agent sees a review once it is scored: not which of their tickets are being inspected.
    if user.pk == review.agent_id:
        return review.state != Review.State.PENDING
    if is_inspector(user) and review.inspector_id is None:
        return True
    return leads_team(user, review.team_id)


def reviews_visible_to(user: AbstractBaseUser) -> QuerySet[Review]:
    """can_see as a queryset: supervisors and quality leads all; inspectors theirs and the open pool;
    leads their teams'; agents their own once scored."""
    reviews = Review.objects.all()
    if not user.is_authenticated:
        return reviews.none()
    if is_supervisor(user) or user.has_perm("quality.decide_appeal"):
        return reviews
    condition = (
        (Q(agent=user) & ~Q(state=Review.State.PENDING))
        | Q(inspector=user)
        | Q(team_id__in=led_team_ids(user))
    )
    if is_inspector(user):
        condition |= Q(inspector__isnull=True)
    return reviews.filter(condition)


def can_see_review_pack(user: AbstractBaseUser) -> bool:
    """The management review pack covers the whole desk: supervisors only."""
    return not is_system(user) and is_supervisor(user)


def can_see_scores(user: AbstractBaseUser) -> bool:
    """The scores page shows what reviews_visible_to lets the user see; agents see theirs on the desk."""
    return can_see_review_pack(user) or can_decide_appeals(user) or is_inspector(user)
