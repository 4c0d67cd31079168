"""The escalation-risk flag (升级投诉风险) on new complaints, in Chinese and English."""

import pytest

from complaints.models import Ticket
from external_cases import risk, services
from external_cases.models import EscalationRisk, RiskKeyword

from .conftest import sh

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("三天了还没人处理，再不解决我就去工信部申诉！", ["工信部"]),
        ("我已经打了12315，还要找媒体曝光", ["12315", "媒体", "曝光"]),
        ("I will take this to the regulator and my lawyer.", ["regulator", "lawyer"]),
        ("If this is not fixed I will SUE you and go to the Press", ["press", "sue"]),
    ],
)
def test_threats_to_go_outside_are_found_in_chinese_and_english(text, found):
    assert sorted(word.lower() for word in risk.words_found(text)) == sorted(word.lower() for word in found)


@pytest.mark.parametrize(
    "text",
    [
        "请回电 13812345678，谢谢",
        "My number is +86 138 1231 5000, call me back.",
        "订单号 ORD-123456 的发票开错了",
        "This is the second issue with the same pursuit of a refund.",
    ],
)
def test_a_phone_number_or_an_order_number_is_not_a_threat(text):
    assert risk.words_found(text) == []


def test_a_threatening_complaint_is_flagged_and_raised_to_high_priority(
    open_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(description="再不退款我就去12315投诉，还要找记者曝光。")
    flag = EscalationRisk.objects.get(ticket=ticket)
    assert flag.reasons == [EscalationRisk.Reason.THREAT]
    assert set(flag.keywords) == {"12315", "记者", "曝光"}
    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.P2
    assert ticket.events.filter(kind="reclassified").exists()


def test_a_plain_complaint_with_a_phone_number_is_not_flagged(
    open_ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(description="宽带断了，请打 13812345678 联系我。")
    assert not EscalationRisk.objects.filter(ticket=ticket).exists()
    assert Ticket.objects.get(pk=ticket.pk).priority == Ticket.Priority.P3


def test_a_customer_with_an_earlier_external_case_is_flagged(
    open_ticket, odr, boss, django_capture_on_commit_callbacks
):
    earlier = open_ticket()
    services.register_case(
        ticket_id=earlier.pk, actor=boss, source=odr, number="ODR-9", received_at=sh(2026, 9, 25, 10, 0)
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = open_ticket(subject="发票问题", description="发票抬头开错了。")
    assert EscalationRisk.objects.get(ticket=again).reasons == [EscalationRisk.Reason.EARLIER_CASE]


def test_keywords_are_edited_in_the_admin_and_apply_at_once(open_ticket):
    RiskKeyword.objects.create(language=RiskKeyword.Language.ZH, text="微博")
    RiskKeyword.objects.filter(text="曝光").update(is_active=False)
    ticket = open_ticket(description="不解决就发微博曝光。")
    assert EscalationRisk.objects.get(ticket=ticket).keywords == ["微博"]
