"""The shipped evaluation set is what the README's figures are measured on: keep it honest."""

import json
from collections import Counter
from pathlib import Path

import pytest

from complaints.models import Category

DATA = Path(__file__).resolve().parents[2] / "assist" / "data"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


@pytest.mark.django_db
def test_the_ticket_set_has_600_labelled_texts_in_both_languages_for_every_category():
    rows = _rows("eval_tickets.jsonl")
    assert len(rows) >= 600
    assert len({row["description"] for row in rows}) >= 0.97 * len(rows)  # varied, not copies
    categories = set(Category.objects.values_list("slug", flat=True))
    assert {row["category"] for row in rows} == categories - {
        slug for slug in categories if Category.objects.filter(parent__slug=slug).exists()
    }
    per_language = Counter((row["category"], row["language"]) for row in rows)
    assert min(per_language.values()) >= 8
    assert {row["team"] for row in rows} <= {"customer-service", "technical", "product", "billing", "legal"}
    assert {row["priority"] for row in rows} <= {1, 2, 3, 4}
    assert 0.2 < sum(row["split"] == "test" for row in rows) / len(rows) < 0.3


def test_the_pair_set_has_200_labelled_pairs_repeats_and_different_matters():
    rows = _rows("eval_pairs.jsonl")
    assert len(rows) >= 200
    kinds = Counter(row["kind"] for row in rows)
    assert kinds["rephrased"] >= 100
    assert kinds["same parent category"] >= 50 and kinds["different category"] >= 50
    assert all(row["same_matter"] == (row["kind"] == "rephrased") for row in rows)
    assert {row["language"] for row in rows} == {"zh", "en"}
