"""The assistant's writes: training a model version, storing a ticket's suggestion, applying it.

Tickets change only through `complaints.services` (reclassify, reroute); what is written here is the
assistant's own rows (AssistModel, AssistSuggestion) and the model files under VAR_DIR/assist/.
"""

import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import services as complaint_services
from complaints.errors import ComplaintError
from complaints.events import CodedReason, EventKind, SystemReason
from complaints.models import Category, Message, Team, Ticket
from complaints.states import Status

from . import classifier as learnt
from . import selectors, text
from .models import AssistModel, AssistSettings, AssistSuggestion

logger = logging.getLogger(__name__)

# A category with fewer resolved tickets than this is left out of training (the rules keep it).
MIN_PER_CATEGORY = 5
MIN_TRAINING = 40
HELD_OUT_SHARE = 0.2
ACCURACY_TOLERANCE = 0.02


class AssistantError(ComplaintError):
    code = "assistant_refused"


@dataclass(frozen=True)
class TrainingResult:
    model: AssistModel | None
    scores: dict[str, float]
    size: int
    message: str
    skipped_categories: dict[str, int] = field(default_factory=dict)

    @property
    def adopted(self) -> bool:
        return self.model is not None and self.model.is_current


def _split(
    examples: list[learnt.Example], seed: int = 22
) -> tuple[list[learnt.Example], list[learnt.Example]]:
    """Held-out share per category, so every category is measured."""
    rng = random.Random(seed)
    by_category: dict[str, list[learnt.Example]] = {}
    for example in examples:
        by_category.setdefault(example.category, []).append(example)
    train, held_out = [], []
    for group in by_category.values():
        rng.shuffle(group)
        cut = max(1, round(len(group) * HELD_OUT_SHARE))
        held_out.extend(group[:cut])
        train.extend(group[cut:])
    return train, held_out


def train(
    *, now: datetime | None = None, examples: list[learnt.Example] | None = None, force: bool = False
) -> TrainingResult:
    """Train on the desk's resolved and closed tickets (their final category, team and priority, so
    agents' corrections count) and adopt the model unless it is worse than the one in use."""
    now = now or timezone.now()
    with text.dictionary():
        if examples is None:
            examples = list(selectors.training_examples())
        counts = Counter(example.category for example in examples)
        skipped = {slug: n for slug, n in counts.items() if n < MIN_PER_CATEGORY}
        usable = [example for example in examples if example.category not in skipped]
        if len(usable) < MIN_TRAINING or len(counts) - len(skipped) < 2:
            return TrainingResult(
                model=None,
                scores={},
                size=len(usable),
                skipped_categories=skipped,
                message=_(
                    "Too few resolved tickets to learn from (%(usable)s usable, at least %(needed)s in two or "
                    "more categories with %(per)s each): the routing rules stay in charge."
                )
                % {"usable": len(usable), "needed": MIN_TRAINING, "per": MIN_PER_CATEGORY},
            )
        train_set, held_out = _split(usable)
        candidate = learnt.Classifier.train(train_set)
        scores = learnt.accuracy(candidate, held_out)
        current = selectors.current_model_row()
        if current is not None and not force:
            in_use = selectors.load_classifier(current)
            same_tickets = learnt.accuracy(in_use, held_out)["category"] if in_use is not None else 0.0
            # Worse than the one in use on the same held-out tickets, or clearly below what it scored
            # when it was adopted (a small drop is the noise of a different held-out draw).
            bar = max(same_tickets, current.accuracy - ACCURACY_TOLERANCE)
            if scores["category"] < bar:
                return TrainingResult(
                    model=None,
                    scores=scores,
                    size=len(usable),
                    skipped_categories=skipped,
                    message=_(
                        "The new model is worse than the one in use (%(new).0f %% of held-out tickets "
                        "classified right, against %(old).0f %%); the one in use stays."
                    )
                    % {"new": scores["category"] * 100, "old": bar * 100},
                )
        # The model adopted is the one measured: its accuracy is what the held-out tickets showed.
        final = candidate
    folder = Path(settings.VAR_DIR) / "assist"
    path = folder / f"model-{now:%Y%m%d-%H%M%S}-{len(usable)}.joblib"
    final.save(path)
    with transaction.atomic():
        AssistModel.objects.filter(is_current=True).update(is_current=False)
        row = AssistModel.objects.create(
            trained_at=now,
            training_size=len(train_set),
            accuracy=scores["category"],
            scores=scores,
            path=str(path),
            is_current=True,
        )
    selectors.forget_loaded_models()
    return TrainingResult(
        model=row,
        scores=scores,
        size=len(usable),
        skipped_categories=skipped,
        message=_("Model %(version)s in use: %(accuracy).0f %% of held-out tickets classified right.")
        % {"version": row.pk, "accuracy": scores["category"] * 100},
    )


def suggest_for_ticket(*, ticket_id: int) -> AssistSuggestion | None:
    """Store what the assistant suggests for a new ticket; apply it when the supervisor allows and
    no routing rule decided the same field. Safe to run twice: one suggestion per ticket."""
    ticket = Ticket.objects.select_related("routing_rule").filter(pk=ticket_id).first()
    if ticket is None:
        return None
    existing = AssistSuggestion.objects.filter(ticket=ticket).first()
    if existing is not None:
        return existing
    model_row, prediction = selectors.predict(f"{ticket.subject}\n{ticket.description}")
    if prediction.is_empty:
        return None
    categories = {c.slug: c for c in Category.objects.filter(slug=_value(prediction, "category"))}
    teams = {t.slug: t for t in Team.objects.filter(slug=_value(prediction, "team"), is_active=True)}
    suggestion, created = AssistSuggestion.objects.get_or_create(
        ticket=ticket,
        defaults={
            "model": model_row,
            "category": categories.get(_value(prediction, "category")),
            "team": teams.get(_value(prediction, "team")),
            "priority": _value(prediction, "priority"),
            "confidence": {name: round(guess.confidence, 3) for name, guess in prediction.guesses.items()},
            "reasons": list(prediction.reasons),
        },
    )
    if created:
        _auto_apply(ticket, suggestion)
    return suggestion


def _value(prediction: learnt.Prediction, name: str) -> object:
    guess = prediction.guesses.get(name)
    return guess.value if guess is not None else None


def _auto_apply(ticket: Ticket, suggestion: AssistSuggestion) -> None:
    config = AssistSettings.current()
    threshold = config.auto_apply_confidence
    model = suggestion.model
    if threshold is None or model is None or model.accuracy < config.minimum_accuracy:
        return
    if (
        ticket.status not in (Status.NEW, Status.ACKNOWLEDGED)
        or ticket.events.filter(kind__in=[EventKind.RECLASSIFIED, EventKind.REROUTED]).exists()
    ):
        return  # a person has already decided
    rule = ticket.routing_rule
    confidence = suggestion.confidence
    category = suggestion.category if confidence.get("category", 0) >= threshold else None
    priority = suggestion.priority if confidence.get("priority", 0) >= threshold else None
    team = suggestion.team if confidence.get("team", 0) >= threshold else None
    # The explicit rules win: a field a matching rule set is not the assistant's to change.
    if rule is not None:
        # A rule's category brings its team (and a rule's team fits its category): both stay together.
        if rule.set_category_id or rule.set_team_id:
            category = team = None
        priority = None if rule.set_priority is not None else priority
    if category == ticket.category:
        category = None
    if priority == ticket.priority:
        priority = None
    if team is not None and team.pk == ticket.team_id:
        team = None
    if category is None and priority is None and team is None:
        return
    # Each event names the confidence of what it changed (the category's when it changes the category).
    classified = confidence.get("category", 0) if category is not None else confidence.get("priority", 0)
    try:
        with transaction.atomic():
            current = Ticket.objects.get(pk=ticket.pk)
            if category is not None or priority is not None:
                current = complaint_services.reclassify(
                    ticket_id=ticket.pk,
                    actor=None,
                    version=current.version,
                    category=category,
                    priority=priority,
                    reason=assistant_reason(classified),
                )
            if team is not None:
                complaint_services.reroute(
                    ticket_id=ticket.pk,
                    actor=None,
                    team=team,
                    version=current.version,
                    reason=assistant_reason(confidence.get("team", 0)),
                )
            AssistSuggestion.objects.filter(pk=suggestion.pk).update(
                applied=True,
                applied_from={
                    "category": ticket.category_id if category is not None else None,
                    "priority": ticket.priority if priority is not None else None,
                    "team": ticket.team_id if team is not None else None,
                    "changed": [
                        name
                        for name, value in (("category", category), ("priority", priority), ("team", team))
                        if value is not None
                    ],
                },
            )
    except ComplaintError as refused:
        # An agent changed the ticket meanwhile, or it closed: their decision stands.
        logger.info("assistant did not apply its suggestion to %s: %s", ticket.reference, refused)
        return
    suggestion.applied = True


def assistant_reason(confidence: float) -> CodedReason:
    """The timeline's reason, stored as a code: each reader sees it in their own language."""
    return CodedReason(SystemReason.ASSISTANT_CLASSIFIED, percent=round(confidence * 100))


def may_ask_for_review(ticket: Ticket) -> bool:
    """The customer's page offers a person's review while the ticket is open, the assistant's suggestion
    was applied on its own, and no review was asked for yet."""
    return (
        ticket.is_open
        and AssistSuggestion.objects.filter(ticket=ticket, applied=True, review_requested_at=None).exists()
    )


def request_review(*, ticket_id: int) -> Ticket:
    """The customer asks for a person to review the assistant's automatic classification (PIPL Art. 24):
    what the assistant changed is put back (the ticket returns to the team and category it had, for a
    person to triage), the request is recorded on the timeline as the customer's message (so the
    assignee, or the team's leads, are told), and the assistant never applies anything to it again."""
    with transaction.atomic():
        suggestion = (
            AssistSuggestion.objects.select_for_update()
            .filter(ticket_id=ticket_id, applied=True, review_requested_at=None)
            .first()
        )
        ticket = Ticket.objects.select_related("customer").get(pk=ticket_id)
        if suggestion is None or not ticket.is_open:
            raise AssistantError(_("There is no automatic decision on this complaint to review."))
        suggestion.review_requested_at = timezone.now()
        suggestion.save(update_fields=["review_requested_at"])
        before = suggestion.applied_from or {}
        # Only what still stands as the assistant left it: a person's later decision is not undone.
        changed = {
            name
            for name, still in (
                ("category", ticket.category_id == suggestion.category_id),
                ("priority", ticket.priority == suggestion.priority),
                ("team", ticket.team_id == suggestion.team_id),
            )
            if still and name in before.get("changed", [])
        }
        reason = CodedReason(SystemReason.ASSISTANT_REVIEW_REQUESTED)
        category = (
            Category.objects.filter(pk=before.get("category")).first() if "category" in changed else None
        )
        priority = before.get("priority") if "priority" in changed else None
        if category is not None or priority is not None:
            ticket = complaint_services.reclassify(
                ticket_id=ticket_id,
                actor=None,
                version=None,
                category=category,
                priority=priority,
                reason=reason,
            )
        team = Team.objects.filter(pk=before.get("team")).first() if "team" in changed else None
        if team is not None and team.pk != ticket.team_id:
            ticket = complaint_services.reroute(
                ticket_id=ticket_id, actor=None, team=team, version=None, reason=reason
            )
        with translation.override(ticket.customer.preferred_language or settings.LANGUAGE_CODE):
            body = _(
                "I ask for a person to review the automatic classification of my complaint "
                "(Personal Information Protection Law, Art. 24)."
            )
        complaint_services.add_message(
            ticket_id=ticket_id, actor=None, kind=Message.Kind.CUSTOMER, channel=Ticket.Channel.WEB, body=body
        )
    return Ticket.objects.get(pk=ticket_id)


def record_insertion(*, ticket_id: int, actor: object, titles: dict[str, str], kind: str) -> bool:
    """An agent inserted a suggested answer into the reply: an internal note on the timeline says which
    (in both languages, once per ticket and answer). Nothing is sent: the agent still edits and sends."""
    notes = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            what = _("knowledge-base article") if kind == "kb" else _("canned reply")
            notes[language] = _(
                "Suggested answer inserted into the reply: %(title)s (%(what)s, by the assistant)"
            ) % {
                "title": titles.get(language) or next(iter(titles.values()), ""),
                "what": what,
            }
    body = "\n".join(notes.values())
    ticket = Ticket.objects.get(pk=ticket_id)
    if ticket.messages.filter(kind=Message.Kind.NOTE, body=complaint_services.sanitise(body)).exists():
        return False
    complaint_services.add_message(ticket_id=ticket_id, actor=actor, kind=Message.Kind.NOTE, body=body)
    return True


def apply_suggestion(*, ticket_id: int, actor: object, version: int, category_slug: str = "") -> Ticket:
    """An agent takes the suggestion (or, with `category_slug`, corrects it) in one click: the ticket is
    reclassified, and re-routed when the suggested team differs. The services check the agent's rights."""
    suggestion = (
        AssistSuggestion.objects.select_related("category", "team").filter(ticket_id=ticket_id).first()
    )
    if suggestion is None:
        raise AssistantError(_("The assistant has no suggestion for this ticket."))
    if category_slug:
        category = Category.objects.filter(slug=category_slug).first()
        if category is None:
            raise AssistantError(_("Choose one of the categories."))
        team, priority = None, None
        reason = CodedReason(SystemReason.ASSISTANT_CORRECTED)
    else:
        category, team, priority = suggestion.category, suggestion.team, suggestion.priority
        reason = CodedReason(
            SystemReason.ASSISTANT_SUGGESTED, percent=round(suggestion.confidence.get("category", 0) * 100)
        )
    with transaction.atomic():
        ticket = complaint_services.reclassify(
            ticket_id=ticket_id,
            actor=actor,
            version=version,
            category=category,
            priority=priority,
            reason=reason,
        )
        if team is not None and team.pk != ticket.team_id:
            ticket = complaint_services.reroute(
                ticket_id=ticket_id, actor=actor, team=team, version=ticket.version, reason=reason
            )
    return ticket
