"""Repeat complaints: the same customer saying the same thing again is folded, not a second ticket."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from complaints import repeats, services
from complaints.events import EventKind
from complaints.models import Category, Message, Ticket
from complaints.services import CustomerDetails
from complaints.states import Status
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

ZH_FIRST = ("快递三天没送到", "我的快递已经三天了还没有送到，请尽快处理。订单号 A123")
ZH_AGAIN = ("快递还是没送到", "我的快递已经三天了还是没有送到，请你们尽快处理！订单号 A123")
EN_FIRST = ("Parcel not delivered", "My parcel has not been delivered after three days, order A123.")
EN_AGAIN = (
    "PARCEL STILL NOT DELIVERED",
    "my parcel still has not been delivered after three days (order A123)",
)
UNRELATED = ("发票金额错误", "上个月的账单多收了两百元，要求退还差额。")


@pytest.fixture
def category(db):
    return CategoryFactory(slug="delivery")


def submit(
    text: tuple[str, str], *, email: str = "same@example.com", category: Category | None = None
) -> services.Opened:
    subject, description = text
    return services.open_ticket(
        actor=None,
        channel="web",
        customer=CustomerDetails(email=email),
        subject=subject,
        description=description,
        category=category,
    )


@pytest.mark.parametrize(("first", "again"), [(ZH_FIRST, ZH_AGAIN), (EN_FIRST, EN_AGAIN)], ids=["zh", "en"])
def test_a_similar_complaint_is_folded_into_the_open_ticket(category, first, again):
    original = submit(first, category=category).ticket
    expected_score = round(repeats.similarity("\n".join(again), "\n".join(first)), 3)
    assert expected_score >= 0.45
    opened = submit(again, category=category, email=original.customer.email.upper())
    assert opened.is_repeat and opened.ticket == original and opened.repeat_score == expected_score
    assert Ticket.objects.count() == 1
    assert opened.message.kind == Message.Kind.CUSTOMER and again[1] in opened.message.body
    original.refresh_from_db()
    assert original.version == 2
    folded = original.events.get(kind=EventKind.REPEAT_FOLDED)
    assert folded.detail["score"] == expected_score and folded.detail["message_id"] == opened.message.pk


def test_different_customer_is_not_a_repeat(category):
    submit(ZH_FIRST, category=category)
    opened = submit(ZH_AGAIN, category=category, email="someone-else@example.com")
    assert not opened.is_repeat and Ticket.objects.count() == 2


def test_different_category_is_not_a_repeat(category):
    submit(EN_FIRST, category=category)
    opened = submit(EN_AGAIN, category=CategoryFactory(slug="product"))
    assert not opened.is_repeat and Ticket.objects.count() == 2


def test_dissimilar_text_is_not_a_repeat(category):
    assert repeats.similarity("\n".join(ZH_FIRST), "\n".join(UNRELATED)) < 0.45
    submit(ZH_FIRST, category=category)
    opened = submit(UNRELATED, category=category)
    assert not opened.is_repeat and opened.ticket.related_to is None
    assert Ticket.objects.count() == 2


def test_outside_the_window_is_not_a_repeat(category, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = submit(ZH_FIRST, category=category).ticket
    with time_machine.travel(start + timedelta(days=settings.COMPLAINTS["REPEAT_WINDOW_DAYS"], hours=1)):
        opened = submit(ZH_AGAIN, category=category)
    assert not opened.is_repeat and opened.ticket != first and opened.ticket.related_to is None


def test_a_closed_earlier_ticket_is_linked_not_merged(category):
    first = submit(EN_FIRST, category=category).ticket
    services.transition(ticket_id=first.pk, actor=None, to=Status.CLOSED, version=1, reason="Withdrawn")
    opened = submit(EN_AGAIN, category=category)
    assert not opened.is_repeat and opened.ticket != first
    assert opened.ticket.related_to == first and opened.ticket.status == Status.NEW
    linked = opened.ticket.events.get(kind=EventKind.LINKED)
    assert linked.to_value == first.reference and linked.detail["score"] >= 0.45
    first.refresh_from_db()
    assert first.status == Status.CLOSED and not first.messages.exists()


def test_similarity_is_symmetric_and_bounded():
    assert repeats.similarity("快递没到", "快递没到") == 1.0
    assert repeats.similarity("abc", "xyz") == 0.0
    assert repeats.similarity("", "abc") == 0.0
    a, b = "\n".join(ZH_FIRST), "\n".join(ZH_AGAIN)
    assert repeats.similarity(a, b) == repeats.similarity(b, a)
