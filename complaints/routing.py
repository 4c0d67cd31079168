"""Rule-based classification and routing of a new ticket."""

from dataclasses import dataclass

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


def _category_lineage(category: Category | None) -> set[int]:
    ids: set[int] = set()
    while category is not None:
        ids.add(category.pk)
        category = category.parent
    return ids


def rule_matches(rule: RoutingRule, *, channel: str, category: Category | None, text: str) -> str | None:
    """The keyword that made the rule match ('' when it has none), or None when it does not match."""
    if rule.match_channel and rule.match_channel != channel:
        return None
    if rule.match_category_id and rule.match_category_id not in _category_lineage(category):
        return None
    keywords = rule.keywords
    if not keywords:
        return ""
    # Substring match: Chinese has no spaces between words.
    haystack = text.lower()
    return next((word for word in keywords if word in haystack), None)


def classify(*, channel: str, category: Category | None, text: str) -> RoutingDecision:
    """Apply the first active rule (by position) that matches; fall back to the category's default team."""
    rules = RoutingRule.objects.filter(is_active=True).select_related(
        "set_category", "set_team", "match_category"
    )
    for rule in rules:
        keyword = rule_matches(rule, channel=channel, category=category, text=text)
        if keyword is None:
            continue
        chosen_category = rule.set_category or category
        return RoutingDecision(
            rule=rule,
            kind=rule.set_kind or None,
            category=chosen_category,
            team=rule.set_team or _default_team(chosen_category),
            priority=rule.set_priority,
            complexity=rule.set_complexity or None,
            matched_keyword=keyword,
        )
    return RoutingDecision(rule=None, category=category, team=_default_team(category))


def _default_team(category: Category | None) -> Team | None:
    while category is not None:
        if category.default_team_id:
            return category.default_team
        category = category.parent
    return None
