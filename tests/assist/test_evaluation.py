"""The shipped evaluation in the suite: the figures the README reports must hold."""

from functools import cache
from io import StringIO

import pytest
from django.core.management import call_command

from assist import evaluation

pytestmark = pytest.mark.django_db


@cache
def _report() -> evaluation.Report:
    # Trained once for the module: the categories and rules it reads are the migrations' own rows.
    return evaluation.evaluate()


def test_the_assistant_beats_the_keyword_rules_and_the_old_dice_on_the_shipped_set():
    report = _report()
    assert report.test_size >= 150
    assert report.assistant["category"] >= report.rules["category"] + 0.15
    assert report.assistant["parent_category"] >= report.rules_all["parent_category"] + 0.15
    assert report.repeats_new.precision > 0.9
    assert report.repeats_new.recall > 0.85
    assert report.repeats_dice.recall < report.repeats_new.recall


def test_evaluate_assistant_prints_every_figure(monkeypatch):
    monkeypatch.setattr(evaluation, "evaluate", _report)
    out = StringIO()
    call_command("evaluate_assistant", stdout=out)
    printed = out.getvalue()
    for label in ["category (leaf)", "category macro-F1", "team", "priority", "old bigram Dice", "precision"]:
        assert label in printed
