"""Repeat-complaint detection: same customer (on any channel), same category family, similar words, recent.

Similarity is the Dice coefficient over character bigrams of the normalised text,
which works for Chinese (no spaces between words) and English alike.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from . import extensions
from .models import Category, Customer, Ticket
from .states import Status

_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def _bigrams(text: str) -> set[str]:
    text = _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())
    if len(text) < 2:
        return {text} if text else set()
    return {text[i : i + 2] for i in range(len(text) - 1)}


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character bigrams, 0.0 (nothing shared) to 1.0 (same)."""
    grams_a, grams_b = _bigrams(a), _bigrams(b)
    if not grams_a or not grams_b:
        return 0.0
    return 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))


def _same_family(category: Category | None) -> Q:
    """A customer who picks the parent once and a sub-category the next time writes about one matter."""
    if category is None:
        return Q(category__isnull=True)
    root = category.parent_id or category.pk
    return Q(category_id=root) | Q(category__parent_id=root)


@dataclass(frozen=True)
class RepeatMatch:
    ticket: Ticket
    score: float


def find_repeat(
    *, customer: Customer, category: Category | None, subject: str, description: str, now: datetime
) -> RepeatMatch | None:
    """The most similar earlier ticket of this customer in this category's family (its parent, the parent's
    other sub-categories) within the window, on any channel, if similar enough."""
    config = settings.COMPLAINTS
    candidates = (
        Ticket.objects.filter(
            _same_family(category),
            customer=customer,
            created_at__gte=now - timedelta(days=config["REPEAT_WINDOW_DAYS"]),
            duplicate_of__isnull=True,
            is_spam=False,
        )
        .only("pk", "subject", "description", "status", "reference", "created_at")
        .order_by("-created_at")[:20]
    )
    text = f"{subject}\n{description}"
    candidates = list(candidates)
    earlier = [f"{ticket.subject}\n{ticket.description}" for ticket in candidates]
    scores, needed = extensions.repeat_scores(text, earlier)
    if scores is None:  # no registered analysis has an opinion: the bigram Dice
        scores, needed = [similarity(text, other) for other in earlier], config["REPEAT_SIMILARITY"]
    best: RepeatMatch | None = None
    for ticket, raw in zip(candidates, scores, strict=True):
        score = round(raw, 3)
        if score >= needed and (best is None or score > best.score):
            best = RepeatMatch(ticket=ticket, score=score)
    return best


def is_foldable(match: RepeatMatch) -> bool:
    """An open earlier ticket absorbs the repeat; a closed one is only linked."""
    return match.ticket.status != Status.CLOSED
