"""The assistant's reads: training data, the model in use (loaded once per process), predictions."""

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

from complaints import config_cache
from complaints.models import Ticket
from complaints.states import Status

from . import classifier as learnt
from .models import AssistModel

logger = logging.getLogger(__name__)

_lock = threading.Lock()
# path -> loaded classifier (a process keeps the one in use; a new version is loaded on first use)
_loaded: dict[str, learnt.Classifier | None] = {}


def training_examples() -> Iterator[learnt.Example]:
    """Resolved and closed tickets with the category, team and priority they ended with."""
    rows = (
        Ticket.objects.filter(
            status__in=[Status.RESOLVED, Status.CLOSED],
            category__isnull=False,
            team__isnull=False,
            is_spam=False,
            duplicate_of__isnull=True,
        )
        .values_list("subject", "description", "category__slug", "team__slug", "priority")
        .order_by("pk")
    )
    for subject, description, category, team, priority in rows.iterator(chunk_size=5000):
        yield learnt.Example(
            text=f"{subject}\n{description}", category=category, team=team, priority=priority
        )


def current_model_row() -> AssistModel | None:
    return config_cache.cached(
        "assist.current_model", lambda: AssistModel.objects.filter(is_current=True).first()
    )


def load_classifier(row: AssistModel) -> learnt.Classifier | None:
    """The model file of `row`, loaded once per process; None when the file is missing or unreadable."""
    if row.path not in _loaded:
        with _lock:
            if row.path not in _loaded:
                try:
                    _loaded[row.path] = learnt.Classifier.load(Path(row.path))
                except Exception:  # a missing or damaged file: no suggestions, never an error on open
                    logger.exception("assistant model %s could not be loaded from %s", row.pk, row.path)
                    _loaded[row.path] = None
    return _loaded[row.path]


def forget_loaded_models() -> None:
    _loaded.clear()


def predict(raw: str) -> tuple[AssistModel | None, learnt.Prediction]:
    """The model in use and its prediction for `raw` (empty when no model is trained yet)."""
    row = current_model_row()
    if row is None:
        return None, learnt.EMPTY
    model = load_classifier(row)
    if model is None or not raw.strip():
        return row, learnt.EMPTY
    return row, model.predict(raw)
