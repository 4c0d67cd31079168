import pytest
from django.utils import translation

from assist import services, tasks
from assist.models import AssistModel, AssistSettings, AssistSuggestion
from complaints import services as complaint_services
from complaints import timeline
from complaints.events import EventKind
from complaints.models import Category, RoutingRule, Ticket
from complaints.services import CustomerDetails
from complaints.states import Status
from tests.assist.conftest import CATEGORIES, eval_rows, resolved_tickets

pytestmark = pytest.mark.django_db

BROADBAND = ("宽带又断了", "家里的宽带从昨天晚上开始就连不上网，光猫一直亮红灯，在家办公完全没法进行。")


def open_web(subject: str, description: str) -> Ticket:
    return complaint_services.open_ticket(
        actor=None,
        channel="web",
        customer=CustomerDetails(email="c@example.com"),
        subject=subject,
        description=description,
    ).ticket


def test_training_on_resolved_tickets_adopts_a_versioned_model_measured_on_held_out_ones(history):
    result = services.train()
    assert result.adopted, result.message
    model = AssistModel.objects.get(is_current=True)
    assert 0.7 * len(history) < model.training_size < len(history)  # the rest was held out
    assert model.accuracy > 0.7
    assert set(model.scores) >= {"category", "team", "priority", "category_macro_f1"}
    assert model.path.endswith(".joblib")


def test_too_few_resolved_tickets_say_so_and_leave_the_rules_in_charge(teams):
    resolved_tickets(eval_rows("train", CATEGORIES)[:12], teams)
    result = services.train()
    assert not result.adopted
    assert "Too few resolved tickets" in result.message
    assert not AssistModel.objects.exists()
    ticket = open_web(*BROADBAND)
    assert services.suggest_for_ticket(ticket_id=ticket.pk) is None


def test_a_worse_model_is_refused_and_the_one_in_use_stays(history):
    first = services.train().model
    # The same texts with their categories shuffled: a model that learnt nonsense.
    categories = list(Category.objects.filter(slug__in=CATEGORIES))
    for index, ticket in enumerate(history):
        ticket.category = categories[index % len(categories)]
        ticket.save(update_fields=["category"])
    result = services.train()
    assert not result.adopted
    assert "worse" in result.message
    assert AssistModel.objects.get(is_current=True) == first


def test_a_category_an_agent_corrected_is_what_the_next_training_learns(history, supervisor):
    ticket = history[0]
    billing = Category.objects.get(slug="billing-refund-difficulty")
    assert ticket.category != billing
    complaint_services.reclassify(
        ticket_id=ticket.pk, actor=supervisor, version=ticket.version, category=billing, reason="wrong"
    )
    from assist import selectors

    learnt = {example.text: example.category for example in selectors.training_examples()}
    assert learnt[f"{ticket.subject}\n{ticket.description}"] == "billing-refund-difficulty"


@pytest.fixture
def trained(history):
    assert services.train().adopted


def test_opening_a_ticket_stores_a_suggestion_after_commit_and_applies_nothing_by_default(
    trained, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.suggest_for_ticket, "delay", tasks.suggest_for_ticket)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_web(*BROADBAND)
    suggestion = AssistSuggestion.objects.get(ticket=ticket)
    assert suggestion.category.slug == "network-broadband-outage"
    assert suggestion.team.slug == "technical"
    assert 0 < suggestion.confidence["category"] <= 1
    assert suggestion.reasons and any(word in suggestion.reasons for word in ["宽带", "光猫", "连不上", "网"])
    assert not suggestion.applied
    ticket.refresh_from_db()
    assert ticket.category is None
    assert not ticket.events.filter(kind=EventKind.RECLASSIFIED).exists()


def test_above_the_threshold_the_suggestion_is_applied_and_the_timeline_says_so(trained):
    AssistSettings.objects.update_or_create(
        pk=1, defaults={"auto_apply_confidence": 0.3, "minimum_accuracy": 0.5}
    )
    ticket = open_web(*BROADBAND)
    suggestion = services.suggest_for_ticket(ticket_id=ticket.pk)
    assert suggestion.applied
    ticket.refresh_from_db()
    assert ticket.category.slug == "network-broadband-outage"
    assert ticket.team.slug == "technical"
    event = ticket.events.get(kind=EventKind.RECLASSIFIED)
    # Stored as a code, so each reader sees the reason in their own language.
    percent = round(suggestion.confidence["category"] * 100)
    assert (event.reason, event.reason_code) == ("", "assistant_classified")
    with translation.override("en"):
        assert timeline.event_reason(event) == f"classified by the assistant ({percent} %)"
    with translation.override("zh-hans"):
        assert str(percent) in timeline.event_reason(event) and "助手" in timeline.event_reason(event)
    assert event.actor is None


def test_below_the_threshold_or_with_a_weak_model_nothing_is_applied(trained):
    AssistSettings.objects.update_or_create(
        pk=1, defaults={"auto_apply_confidence": 0.999, "minimum_accuracy": 0.5}
    )
    ticket = open_web(*BROADBAND)
    assert not services.suggest_for_ticket(ticket_id=ticket.pk).applied
    AssistSettings.objects.filter(pk=1).update(auto_apply_confidence=0.1, minimum_accuracy=0.999)
    ticket = open_web(*BROADBAND)
    assert not services.suggest_for_ticket(ticket_id=ticket.pk).applied
    assert not Ticket.objects.filter(category__isnull=False).exclude(status=Status.CLOSED).exists()


def test_a_matching_routing_rule_wins_over_the_assistant(trained):
    product = Category.objects.get(slug="product-fault")
    RoutingRule.objects.create(name="broadband", position=1, match_keywords="光猫", set_category=product)
    AssistSettings.objects.update_or_create(
        pk=1, defaults={"auto_apply_confidence": 0.1, "minimum_accuracy": 0.5}
    )
    ticket = open_web(*BROADBAND)
    assert ticket.category == product
    services.suggest_for_ticket(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.category == product  # the rule's category stays, and the team it brought
    assert ticket.team is None or ticket.team.slug != "technical"
    assert not ticket.events.filter(kind__in=[EventKind.REROUTED]).exists()
    for event in ticket.events.filter(kind=EventKind.RECLASSIFIED):
        assert "category" not in event.detail["changes"]


def test_suggesting_twice_keeps_one_suggestion(trained):
    ticket = open_web(*BROADBAND)
    first = services.suggest_for_ticket(ticket_id=ticket.pk)
    assert services.suggest_for_ticket(ticket_id=ticket.pk) == first
    assert AssistSuggestion.objects.count() == 1
