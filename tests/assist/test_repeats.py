"""Repeat detection on the shared analysis, through complaints.repeats' hook, once a model is trained."""

import pytest

from assist import services
from complaints import services as complaint_services
from complaints.events import EventKind
from complaints.services import CustomerDetails

pytestmark = pytest.mark.django_db

FIRST = ("家里宽带断网5天了", "家里宽带断网5天了，一直连不上网，孩子上网课都上不了。")
REPHRASED = ("还是没网", "我上次已经反映过了，从上周开始家里就没网了，光猫亮红灯，到现在还没修好。")
DIFFERENT = ("订单一直没到", "订单SO48213377下单12天了快递还没到，物流也不更新。")


def submit(text: tuple[str, str], email: str = "same@example.com") -> complaint_services.Opened:
    subject, description = text
    return complaint_services.open_ticket(
        actor=None,
        channel="web",
        customer=CustomerDetails(email=email),
        subject=subject,
        description=description,
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
