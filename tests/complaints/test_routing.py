"""Rule-based routing: what a new complaint's team, category and priority become, and why."""

import pytest

from complaints import routing, services
from complaints.events import EventKind
from complaints.models import Category, RoutingRule, Team, Ticket
from complaints.services import CustomerDetails
from tests.factories import CategoryFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(db) -> dict:
    return {slug: TeamFactory(slug=slug) for slug in ("logistics", "billing", "wechat-desk", "fallback")}


def team_for(text: str, *, channel: str = "web", category: Category | None = None) -> Team | None:
    return routing.classify(channel=channel, category=category, text=text).team


def test_chinese_keywords_match_as_substrings_without_spaces(teams):
    RoutingRule.objects.create(name="快递", match_keywords="快递，物流\n包裹", set_team=teams["logistics"])
    assert team_for("我的快递三天了还没到") == teams["logistics"]
    assert team_for("包裹破损") == teams["logistics"]
    assert team_for("发票开错了") is None


def test_english_keywords_are_case_insensitive(teams):
    RoutingRule.objects.create(
        name="Refunds", match_keywords="Refund, charged twice", set_team=teams["billing"]
    )
    assert team_for("I want a REFUND now") == teams["billing"]
    assert team_for("You Charged Twice for one order") == teams["billing"]
    assert team_for("The parcel is late") is None


def test_channel_condition(teams):
    RoutingRule.objects.create(name="WeChat", match_channel="wechat", set_team=teams["wechat-desk"])
    assert team_for("anything", channel="wechat") == teams["wechat-desk"]
    assert team_for("anything", channel="email") is None


def test_category_condition_includes_subcategories(teams):
    parent = CategoryFactory(slug="delivery")
    child = CategoryFactory(slug="delivery-late", parent=parent)
    unrelated = CategoryFactory(slug="billing-cat")
    RoutingRule.objects.create(name="Delivery", match_category=parent, set_team=teams["logistics"])
    assert team_for("x", category=parent) == teams["logistics"]
    assert team_for("x", category=child) == teams["logistics"]
    assert team_for("x", category=unrelated) is None
    assert team_for("x", category=None) is None


def test_first_matching_rule_by_position_wins_and_inactive_rules_are_ignored(teams):
    RoutingRule.objects.create(name="late", position=20, match_keywords="refund", set_team=teams["logistics"])
    RoutingRule.objects.create(name="early", position=10, match_keywords="refund", set_team=teams["billing"])
    RoutingRule.objects.create(
        name="off", position=1, match_keywords="refund", set_team=teams["fallback"], is_active=False
    )
    decision = routing.classify(channel="web", category=None, text="refund please")
    assert decision.rule.name == "early" and decision.team == teams["billing"]
    assert decision.matched_keyword == "refund"


def test_category_default_team_is_the_fallback(teams):
    parent = CategoryFactory(slug="product", default_team=teams["fallback"])
    child = CategoryFactory(slug="product-broken", parent=parent)
    RoutingRule.objects.create(name="no match", match_keywords="nothing-like-this", set_team=teams["billing"])
    decision = routing.classify(channel="web", category=child, text="It broke")
    assert decision.rule is None and decision.team == teams["fallback"]
    # A matching rule without a team of its own also falls back to the (new) category's team.
    RoutingRule.objects.create(name="recat", match_keywords="broke", set_category=child, set_priority=1)
    decision = routing.classify(channel="web", category=None, text="It broke")
    assert decision.rule.name == "recat" and decision.category == child and decision.team == teams["fallback"]


def test_opening_applies_the_rule_and_names_it_on_the_timeline(teams):
    category = CategoryFactory(slug="logistics-cat")
    rule = RoutingRule.objects.create(
        name="物流关键词",
        match_keywords="快递",
        set_team=teams["logistics"],
        set_category=category,
        set_priority=Ticket.Priority.P1,
        set_kind=Ticket.Kind.COMPLAINT,
        set_complexity=Ticket.Complexity.COMPLEX,
    )
    ticket = services.open_ticket(
        actor=None,
        channel="web",
        customer=CustomerDetails(email="route@example.com"),
        subject="快递丢了",
        description="快递员说已签收，但我没有收到",
        kind=None,
    ).ticket
    assert ticket.team == teams["logistics"] and ticket.category == category
    assert ticket.priority == Ticket.Priority.P1 and ticket.complexity == Ticket.Complexity.COMPLEX
    assert ticket.routing_rule == rule
    routed = ticket.events.get(kind=EventKind.ROUTED)
    assert routed.detail == {"rule": "物流关键词", "rule_id": rule.pk, "keyword": "快递"}
