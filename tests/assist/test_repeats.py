"""Repeat detection on the shared analysis, through complaints.repeats' hook, once a model is trained."""

import pytest

from assist import services
from complaints import services as complaint_services
from complaints.events import EventKind
from complaints.models import Category
from complaints.services import CustomerDetails

pytestmark = pytest.mark.django_db

FIRST = ("家里宽带断网5天了", "家里宽带断网5天了，一直连不上网，孩子上网课都上不了。")
REPHRASED = ("还是没网", "我上次已经反映过了，从上周开始家里就没网了，光猫亮红灯，到现在还没修好。")
DIFFERENT = ("订单一直没到", "订单SO48213377下单12天了快递还没到，物流也不更新。")


def submit(
    text: tuple[str, str], email: str = "same@example.com", *, channel: str = "web", category: str = ""
) -> complaint_services.Opened:
    subject, description = text
    return complaint_services.open_ticket(
        actor=None,
        channel=channel,
        customer=CustomerDetails(email=email),
        subject=subject,
        description=description,
        category=Category.objects.get(slug=category) if category else None,
    )


def test_without_a_model_the_old_dice_misses_the_rephrased_chinese_repeat(teams):
    first = submit(FIRST)
    again = submit(REPHRASED)
    assert again.ticket.pk != first.ticket.pk  # the bigram Dice scores this pair far below 0.45


def test_with_a_model_a_rephrased_chinese_repeat_is_folded_and_another_matter_kept_apart(history):
    assert services.train().adopted
    first = submit(FIRST)
    again = submit(REPHRASED)
    assert again.ticket.pk == first.ticket.pk
    assert first.ticket.events.filter(kind=EventKind.REPEAT_FOLDED).exists()
    other = submit(DIFFERENT)
    assert other.ticket.pk != first.ticket.pk


def test_another_customers_same_words_are_not_a_repeat(history):
    assert services.train().adopted
    first = submit(FIRST)
    assert submit(REPHRASED, email="someone.else@example.com").ticket.pk != first.ticket.pk


def test_a_rephrased_repeat_on_another_channel_under_a_sub_category_of_the_first_is_folded(history):
    """The customer filed the first under the parent on the web form, the second by e-mail under the
    sub-category: one matter, one ticket, and the timeline says it came by e-mail."""
    assert services.train().adopted
    first = submit(FIRST, category="network-quality")
    again = submit(REPHRASED, channel="email", category="network-broadband-outage")
    assert again.ticket.pk == first.ticket.pk
    folded = first.ticket.events.get(kind=EventKind.REPEAT_FOLDED)
    assert folded.detail["channel"] == "email"


def test_a_sibling_sub_category_is_the_same_family_but_another_family_is_not(history):
    assert services.train().adopted
    first = submit(FIRST, category="network-slow")
    assert submit(REPHRASED, category="network-broadband-outage").ticket.pk == first.ticket.pk
    other = submit(FIRST, email="third@example.com", category="network-slow")
    assert submit(REPHRASED, email="third@example.com", category="billing-extra-charges").ticket.pk != (
        other.ticket.pk
    )
