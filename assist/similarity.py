"""How alike two complaints are, for repeat detection: the shared analysis, weighted by the model.

With a trained model: half the cosine of the two texts' TF-IDF vectors (words and character n-grams,
rare words weigh more), half the chance the classifier puts both in the same category (so two wordings
of one matter meet even with few words in common). Without one: the cosine of the plain analyses.
"""

import logging
from collections.abc import Sequence

from . import classifier as learnt
from . import selectors, text

logger = logging.getLogger(__name__)

# Tuned on assist/data/eval_pairs.jsonl (manage.py evaluate_assistant prints the figures).
THRESHOLD = 0.1
PLAIN_THRESHOLD = 0.15


def scores_with(model: learnt.Classifier | None, subject: str, others: Sequence[str]) -> list[float]:
    if not others:
        return []
    if model is None:
        mine = text.analyse(subject).terms
        return [text.cosine(mine, text.analyse(other).terms) for other in others]
    vectors = model.vectorizer.transform([subject, *others])
    predictions = model.predict_many([subject, *others])
    mine = predictions[0].distributions.get("category", {})
    found = []
    for index, prediction in enumerate(predictions[1:], start=1):
        lexical = float(vectors[0].multiply(vectors[index]).sum())
        theirs = prediction.distributions.get("category", {})
        same_category = sum(p * theirs.get(label, 0.0) for label, p in mine.items())
        found.append(0.5 * lexical + 0.5 * same_category)
    return found


def repeat_scores(subject: str, others: Sequence[str]) -> list[float]:
    """Scores of `subject` against each of `others`, on the scale of `repeat_threshold()`."""
    row = selectors.current_model_row()
    model = selectors.load_classifier(row) if row is not None else None
    return scores_with(model, subject, others)


def repeat_threshold() -> float:
    row = selectors.current_model_row()
    return THRESHOLD if row is not None and selectors.load_classifier(row) is not None else PLAIN_THRESHOLD


def for_repeat_detection(subject: str, others: list[str]) -> tuple[list[float] | None, float]:
    """complaints.repeats' hook: the model's scores and threshold, or no opinion without a model (the core
    keeps its bigram Dice and REPEAT_SIMILARITY). A failure here must never stop a ticket opening."""
    try:
        row = selectors.current_model_row()
        model = selectors.load_classifier(row) if row is not None else None
        if model is None:
            return None, 0.0
        return scores_with(model, subject, others), THRESHOLD
    except Exception:
        logger.exception("assistant repeat similarity failed; the bigram Dice decides")
        return None, 0.0
