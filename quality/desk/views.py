"""/desk/quality/: the inspectors' queue, a review beside the ticket's timeline, appeals and decisions.

Thin edges: the services decide (quality.policy), the views show the refusal in the form.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaints import selectors as core_selectors
from complaints.errors import ComplaintError
from complaints.models import Message
from complaints.portal.permissions import access_required
from quality import policy, selectors, services
from quality.models import QualitySettings, Review

from .forms import AppealForm, DecisionForm, ScoreForm

quality_desk = access_required(policy.may_use_quality_desk)


@quality_desk
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "is_inspector": policy.is_inspector(user),
        "to_inspect": list(selectors.to_inspect(user)[:100]),
        "scored": list(selectors.scored_by(user)),
        "mine": list(selectors.reviews_of_agent(user)[:50]),
        "appeals": list(selectors.appeals_to_decide(user)[:100]),
    }
    return TemplateResponse(request, "desk/quality/queue.html", context)


def _found(request: HttpRequest, review_id: int) -> tuple[Review, object]:
    found = selectors.review_with_ticket(request.user, review_id)
    if found is None:
        raise Http404(_("There is no review you can see with this number."))
    return found


def _criteria(review: Review) -> list:
    return list(review.scorecard.criteria.all()) if review.scorecard_id else []


def _page(request: HttpRequest, review_id: int, *, status: int = 200, **forms) -> TemplateResponse:
    review, ticket = _found(request, review_id)
    user = request.user
    criteria = _criteria(review)
    previous = {s.criterion_id: s for s in review.scores.all()}
    may_score = review.state == Review.State.PENDING and _allowed(policy.ensure_can_score, user, review)
    may_appeal = review.state == Review.State.SCORED and _allowed(
        policy.ensure_can_appeal,
        user,
        review,
        appeal_within_days=QualitySettings.current().appeal_within_days,
    )
    may_decide = review.state == Review.State.APPEALED and policy.can_decide(user, review)
    context = {
        "review": review,
        "ticket": ticket,
        # Messages and events in time order, put into words by the desk's timeline filters.
        "timeline": [(isinstance(item, Message), item) for item in core_selectors.ticket_timeline(ticket)],
        "resolution": next(iter(ticket.resolutions.all()), None),
        "scores": list(review.scores.all()),
        "score_form": forms.get("score_form") or (ScoreForm(criteria=criteria) if may_score else None),
        "appeal_form": forms.get("appeal_form") or (AppealForm() if may_appeal else None),
        "decision_form": forms.get("decision_form")
        or (DecisionForm(criteria=criteria, scores=previous) if may_decide else None),
    }
    return TemplateResponse(request, "desk/quality/review.html", context, status=status)


def _allowed(check, *args, **kwargs) -> bool:
    try:
        check(*args, **kwargs)
    except ComplaintError:
        return False
    return True


@quality_desk
@require_GET
def review(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk)


@quality_desk
@require_POST
def score(request: HttpRequest, pk: int) -> HttpResponse:
    found, _ticket = _found(request, pk)
    form = ScoreForm(request.POST, criteria=_criteria(found))
    if not form.is_valid():
        return _page(request, pk, status=422, score_form=form)
    try:
        services.submit_review(
            review_id=pk, actor=request.user, scores=form.scores(), comment=form.cleaned_data["comment"]
        )
    except ComplaintError as refusal:
        form.add_error(None, refusal.message)
        return _page(request, pk, status=refusal.http_status, score_form=form)
    messages.success(request, _("Review scored."))
    return redirect("quality:review", pk=pk)


@quality_desk
@require_POST
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    _found(request, pk)
    form = AppealForm(request.POST)
    if not form.is_valid():
        return _page(request, pk, status=422, appeal_form=form)
    try:
        services.appeal_review(review_id=pk, actor=request.user, reason=form.cleaned_data["reason"])
    except ComplaintError as refusal:
        form.add_error(None, refusal.message)
        return _page(request, pk, status=refusal.http_status, appeal_form=form)
    messages.success(request, _("Your appeal was sent to your team lead."))
    return redirect("quality:review", pk=pk)


@quality_desk
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    found, _ticket = _found(request, pk)
    form = DecisionForm(request.POST, criteria=_criteria(found))
    if not form.is_valid():
        return _page(request, pk, status=422, decision_form=form)
    changed = form.cleaned_data["decision"] == Review.Decision.CHANGED
    try:
        services.decide_appeal(
            review_id=pk,
            actor=request.user,
            decision=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
            scores=form.scores() if changed else None,
        )
    except ComplaintError as refusal:
        form.add_error(None, refusal.message)
        return _page(request, pk, status=refusal.http_status, decision_form=form)
    messages.success(request, _("Appeal decided."))
    return redirect("quality:review", pk=pk)
