"""The desk's word search (complaints.selectors.search_tickets, complaints.search): Chinese and English
words in subjects, descriptions and messages, on SQLite (substrings) and PostgreSQL (full-text
indexes over Chinese bigrams)."""

import pytest
from django.db import connection

from complaints import search, selectors, services
from complaints.models import Message, Ticket
from tests.factories import AgentFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the full-text indexes exist on PostgreSQL only"
)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def found(client, term: str) -> set[str]:
    response = client.get("/desk/", {"q": term})
    assert response.status_code == 200
    return {t.reference for t in response.context["page"].object_list}


def searched(term: str) -> set[str]:
    return {t.reference for t in selectors.search_tickets(Ticket.objects.all(), term)}


def test_a_chinese_word_is_found_in_the_subject_the_description_and_messages(signed_in, agent, team):
    in_subject = TicketFactory(team=team, subject="退款申请两周了还没到账")
    in_description = TicketFactory(team=team, description="订单于两周前申请退款，至今没有收到。")
    in_message = TicketFactory(team=team, subject="账单问题")
    services.add_message(ticket_id=in_message.pk, actor=None, kind="customer", body="我要求全额退款")
    in_note = TicketFactory(team=team, subject="回电")
    services.add_message(ticket_id=in_note.pk, actor=agent, kind="note", body="客户同意退款方案")
    TicketFactory(team=team, subject="家里手机没信号", description="打电话经常断线")
    # 退 and 款 apart are not the word.
    TicketFactory(team=team, subject="退货", description="付款以后")
    expected = {t.reference for t in (in_subject, in_description, in_message, in_note)}
    assert found(signed_in, "退款") == expected


def test_an_english_word_is_found_in_any_case_and_form(signed_in, team):
    refunded = TicketFactory(team=team, subject="Money back", description="They REFUNDED half of it.")
    asked = TicketFactory(team=team, subject="Refund requested two weeks ago")
    TicketFactory(team=team, subject="No signal at home", description="Calls keep dropping.")
    assert found(signed_in, "refund") == {refunded.reference, asked.reference}
    assert found(signed_in, "Refunded") == {refunded.reference}


def test_every_word_must_be_somewhere_in_the_ticket(signed_in, team):
    both = TicketFactory(team=team, subject="宽带网速慢", description="晚上特别卡")
    spread = TicketFactory(team=team, subject="宽带")
    services.add_message(ticket_id=spread.pk, actor=None, kind="customer", body="到了晚上就断")
    TicketFactory(team=team, subject="宽带安装", description="白天来装")
    assert found(signed_in, "宽带 晚上") == {both.reference, spread.reference}
    assert found(signed_in, "宽带 refund") == set()


def test_a_longer_chinese_word_must_stand_together(signed_in, team):
    together = TicketFactory(team=team, subject="家里宽带又断了")
    # Every pair of 宽带又断 is here (宽带, 带又, 又断), never the four characters together.
    TicketFactory(team=team, subject="宽带好了，网带又断了")
    assert found(signed_in, "宽带又断") == {together.reference}


def test_a_single_character_and_mixed_words_are_found(signed_in, team):
    signal = TicketFactory(team=team, subject="5G信号很差")
    letter = TicketFactory(team=team, subject="收到来信")
    TicketFactory(team=team, subject="网速慢")
    assert found(signed_in, "信") == {signal.reference, letter.reference}
    assert found(signed_in, "5G信号") == {signal.reference}


def test_a_search_finds_only_what_the_agent_may_see(signed_in, team):
    mine = TicketFactory(team=team, subject="退款没到账")
    other_team = TeamFactory(slug="billing")
    hidden = TicketFactory(team=other_team, subject="退款没到账")
    services.add_message(ticket_id=hidden.pk, actor=None, kind="customer", body="refund please")
    assert found(signed_in, "退款") == {mine.reference}
    assert found(signed_in, "refund") == set()
    assert searched("退款") == {mine.reference, hidden.reference}


def test_messages_written_in_bulk_are_found(team):
    tickets = [TicketFactory(team=team, subject=f"Complaint {n}") for n in range(3)]
    Message.objects.bulk_create(
        [
            Message(ticket=t, kind="customer", channel="web", body=f"第{n}次投诉信号问题")
            for n, t in enumerate(tickets)
        ]
    )
    assert searched("信号") == {t.reference for t in tickets}


def test_an_edited_ticket_is_found_by_its_new_words(team):
    ticket = TicketFactory(team=team, subject="网速慢", description="晚上卡")
    Ticket.objects.filter(pk=ticket.pk).update(subject="路由器坏了", description="指示灯不亮")
    assert searched("网速") == set()
    assert searched("路由") == {ticket.reference}


def test_references_and_order_numbers_still_find_their_ticket(team):
    ticket = TicketFactory(team=team, order_number="778899001122")
    TicketFactory(team=team)
    assert searched(ticket.reference.lower()) == {ticket.reference}
    assert searched("778899001122") == {ticket.reference}


@on_postgresql
def test_the_search_is_answered_by_the_full_text_indexes(team):
    ticket = TicketFactory(team=team, subject="Slow line")
    ticket.messages.create(kind="customer", channel="web", body="家里宽带又断了")
    queries = search.word_queries(["宽带"])
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in (
            Ticket.objects.filter(search.ticket_matches(queries[0])),
            Message.objects.filter(search.message_matches(queries[0])),
        ):
            sql, params = query.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert "ticket_search_vector" in plans[0]
    assert "message_search_vector" in plans[1]
    assert searched("宽带") == {ticket.reference}


@on_postgresql
def test_words_become_queries_as_the_texts_are_indexed():
    queries = search.word_queries(["退款", "Refund", "宽带网速", "信", "5G信号", "！！"])
    assert [(q.tsquery, q.single) for q in queries] == [
        ("'退款'", True),
        ("'refund':*", True),
        ("'宽带' & '带网' & '网速'", False),
        ("'信':*", True),
        ("'5g' & '信号'", False),
    ]


@on_postgresql
def test_a_common_word_lists_the_newest_matches_only(signed_in, team, monkeypatch):
    monkeypatch.setattr(search, "TICKET_MATCHES", 3)
    monkeypatch.setattr(search, "FIRST_WINDOW", 2)  # several windows, newest first
    tickets = [TicketFactory(team=team, subject=f"退款 {n}") for n in range(6)]
    TicketFactory(team=team, subject="other")
    assert found(signed_in, "退款") == {t.reference for t in tickets[-3:]}


@on_postgresql
def test_a_search_costs_the_same_queries_for_many_matches(signed_in, team, django_assert_max_num_queries):
    for n in range(30):
        TicketFactory(team=team, subject=f"信号问题 {n}", assignee=AgentFactory(team=team) if n % 2 else None)
    with django_assert_max_num_queries(30):
        assert len(found(signed_in, "信号")) == 25
