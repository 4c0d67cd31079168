"""The shipped evaluation: the learnt classifier against the keyword rules, the new repeat similarity
against the old bigram Dice, on assist/data (written to resemble real complaints; see generate_eval.py)."""

import json
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from complaints import repeats, routing
from complaints.models import Category, RoutingRule

from . import classifier as learnt
from . import similarity, text

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line]


def _example(row: dict) -> learnt.Example:
    return learnt.Example(
        text=f"{row['subject']}\n{row['description']}",
        category=row["category"],
        team=row["team"],
        priority=row["priority"],
    )


@dataclass(frozen=True)
class RepeatFigures:
    threshold: float
    precision: float
    recall: float


@dataclass(frozen=True)
class Report:
    train_size: int
    test_size: int
    assistant: dict[str, float]
    rules: dict[str, float]
    # The rules learn nothing, so they are also measured on every text of the set.
    rules_all: dict[str, float]
    repeats_new: RepeatFigures
    repeats_dice: RepeatFigures
    repeats_new_best: RepeatFigures
    train_seconds: float
    suggest_ms: float


def _demo_rules() -> list[RoutingRule]:
    """The installation's active rules, or the demo's when it has none (an empty desk)."""
    rules = list(RoutingRule.objects.filter(is_active=True).select_related("set_category", "set_team"))
    if rules:
        return rules
    from complaints.demo.data import ROUTING_RULES

    categories = {c.slug: c for c in Category.objects.all()}
    built = []
    for name, position, channel, keywords, category, team, priority, complexity in ROUTING_RULES:
        rule = RoutingRule(
            name=name,
            position=position,
            match_channel=channel,
            match_keywords=keywords,
            set_category=categories.get(category),
            set_priority=priority,
            set_complexity=complexity,
        )
        rule.team_slug = team
        built.append(rule)
    return sorted(built, key=lambda r: r.position)


def _rules_guess(rules: list[RoutingRule], raw: str, parents: dict[str, str], teams: dict[str, str]) -> dict:
    """What the keyword rules alone decide for a web complaint (the customer's own choice aside)."""
    for rule in rules:
        if routing.rule_matches(rule, channel="web", category=None, text=raw) is None:
            continue
        category = rule.set_category.slug if rule.set_category else None
        team = getattr(rule, "team_slug", None) or (rule.set_team.slug if rule.set_team_id else None)
        if team is None and category is not None:
            team = teams.get(parents.get(category, category))
        return {"category": category, "team": team, "priority": rule.set_priority or 3}
    return {"category": None, "team": None, "priority": 3}


def _rules_scores(
    rules: list[RoutingRule], examples: list[learnt.Example], parents: dict[str, str], teams: dict[str, str]
) -> dict[str, float]:
    from sklearn.metrics import f1_score

    guesses = [_rules_guess(rules, e.text, parents, teams) for e in examples]
    found = {
        name: sum(g[name] == getattr(e, name) for g, e in zip(guesses, examples, strict=True)) / len(examples)
        for name in learnt.FIELDS
    }
    found["parent_category"] = sum(
        g["category"] is not None and parents.get(g["category"], g["category"]) == parents[e.category]
        for g, e in zip(guesses, examples, strict=True)
    ) / len(examples)
    found["category_macro_f1"] = float(
        f1_score(
            [e.category for e in examples],
            [str(g["category"]) for g in guesses],
            average="macro",
            zero_division=0,
        )
    )
    return found


def _repeat_figures(scores: list[float], truth: list[bool], threshold: float) -> RepeatFigures:
    hits = [s >= threshold for s in scores]
    true_positive = sum(h and t for h, t in zip(hits, truth, strict=True))
    flagged = sum(hits)
    return RepeatFigures(
        threshold=threshold,
        precision=true_positive / flagged if flagged else 1.0,
        recall=true_positive / sum(truth) if any(truth) else 0.0,
    )


def _best(scores: list[float], truth: list[bool], *, min_precision: float = 0.9) -> RepeatFigures:
    candidates = [_repeat_figures(scores, truth, t / 200) for t in range(1, 200)]
    good = [c for c in candidates if c.precision >= min_precision]
    return max(good or candidates, key=lambda c: (c.recall, c.precision))


def evaluate() -> Report:
    """Train on the set's training split, measure on its test split (wordings never seen in training)."""
    rows = _rows("eval_tickets.jsonl")
    parents = {row["category"]: row["parent"] for row in rows}
    with text.dictionary([]):  # the shipped figures do not depend on an installation's dictionary
        train = [_example(r) for r in rows if r["split"] == "train"]
        test = [_example(r) for r in rows if r["split"] == "test"]
        started = time.perf_counter()
        model = learnt.Classifier.train(train)
        train_seconds = time.perf_counter() - started
        assistant = learnt.accuracy(model, test)
        started = time.perf_counter()
        predictions = [model.predict(example.text) for example in test]
        suggest_ms = (time.perf_counter() - started) * 1000 / len(test)
        assistant["parent_category"] = sum(
            parents.get(p.guesses["category"].value) == parents[e.category]
            if "category" in p.guesses
            else False
            for p, e in zip(predictions, test, strict=True)
        ) / len(test)

        from complaints.demo.data import CATEGORY_TEAMS

        rules = _demo_rules()
        rules_scores = _rules_scores(rules, test, parents, CATEGORY_TEAMS)
        rules_all = _rules_scores(rules, train + test, parents, CATEGORY_TEAMS)

        pairs = _rows("eval_pairs.jsonl")
        truth = [bool(p["same_matter"]) for p in pairs]
        new_scores = [similarity.scores_with(model, p["a"], [p["b"]])[0] for p in pairs]
        dice_scores = [repeats.similarity(p["a"], p["b"]) for p in pairs]
    return Report(
        train_size=len(train),
        test_size=len(test),
        assistant=assistant,
        rules=rules_scores,
        rules_all=rules_all,
        repeats_new=_repeat_figures(new_scores, truth, similarity.THRESHOLD),
        repeats_dice=_repeat_figures(dice_scores, truth, settings.COMPLAINTS["REPEAT_SIMILARITY"]),
        repeats_new_best=_best(new_scores, truth),
        train_seconds=train_seconds,
        suggest_ms=suggest_ms,
    )
