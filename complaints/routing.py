"""Rule-based classification and routing of a new ticket."""

from dataclasses import dataclass

from . import config_cache
from .models import Category, RoutingRule, Team


@dataclass(frozen=True)
class RoutingDecision:
    rule: RoutingRule | None
    kind: str | None = None
    category: Category | None = None
    team: Team | None = None
    priority: int | None = None
    complexity: str | None = None
    matched_keyword: str = ""


@dataclass(frozen=True)
class _Routing:
    """The active rules in order (with their parsed keywords) and every category with its default team."""

    rules: tuple[tuple[RoutingRule, tuple[str, ...]], ...]
    categories: dict[int, Category]


def _load() -> _Routing:
    rules = RoutingRule.objects.filter(is_active=True).select_related(
        "set_category", "set_team", "match_category"
    )
    categories = Category.objects.select_related("default_team")
    return _Routing(
        rules=tuple((rule, tuple(rule.keywords)) for rule in rules),
        categories={category.pk: category for category in categories},
    )


def _routing() -> _Routing:
    # Read on every new ticket, edited rarely: kept per process until a rule, category or team changes.
    return config_cache.cached("complaints.routing", _load)


def _category_lineage(category: Category | None, known: dict[int, Category]) -> set[int]:
    """The category and its ancestors, walked through `known` (parents missing there are read)."""
    ids: set[int] = set()
    while category is not None and category.pk not in ids:
        ids.add(category.pk)
        category = _parent(category, known)
    return ids


def _parent(category: Category, known: dict[int, Category]) -> Category | None:
    parent = known.get(category.parent_id)
    return parent if parent is not None else category.parent


def _matches(
    rule: RoutingRule, keywords: tuple[str, ...], *, channel: str, lineage: set[int], haystack: str
) -> str | None:
    if rule.match_channel and rule.match_channel != channel:
        return None
    if rule.match_category_id and rule.match_category_id not in lineage:
        return None
    if not keywords:
        return ""
    # Substring match: Chinese has no spaces between words.
    return next((word for word in keywords if word in haystack), None)


def rule_matches(rule: RoutingRule, *, channel: str, category: Category | None, text: str) -> str | None:
    """The keyword that made the rule match ('' when it has none), or None when it does not match."""
    return _matches(
        rule,
        tuple(rule.keywords),
        channel=channel,
        lineage=_category_lineage(category, {}),
        haystack=text.lower(),
    )


def classify(*, channel: str, category: Category | None, text: str) -> RoutingDecision:
    """Apply the first active rule (by position) that matches; fall back to the category's default team."""
    routing = _routing()
    lineage = _category_lineage(category, routing.categories)
    haystack = text.lower()
    for rule, keywords in routing.rules:
        keyword = _matches(rule, keywords, channel=channel, lineage=lineage, haystack=haystack)
        if keyword is None:
            continue
        chosen_category = rule.set_category or category
        return RoutingDecision(
            rule=rule,
            kind=rule.set_kind or None,
            category=chosen_category,
            team=rule.set_team or _default_team(chosen_category, routing.categories),
            priority=rule.set_priority,
            complexity=rule.set_complexity or None,
            matched_keyword=keyword,
        )
    return RoutingDecision(rule=None, category=category, team=_default_team(category, routing.categories))


def _default_team(category: Category | None, known: dict[int, Category]) -> Team | None:
    seen: set[int] = set()
    while category is not None and category.pk not in seen:
        seen.add(category.pk)
        if category.default_team_id:
            cached = known.get(category.pk)
            if cached is not None and cached.default_team_id == category.default_team_id:
                return cached.default_team
            return category.default_team
        category = _parent(category, known)
    return None
