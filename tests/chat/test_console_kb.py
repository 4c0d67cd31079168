"""The console's knowledge-base search: /desk/chat/<chat>/articles/?q= for the chat's own agent."""

import pytest
from django.urls import reverse

from chat import services
from complaints.models import KBArticle
from tests.factories import AgentFactory

from .conftest import start


@pytest.fixture
def articles(topic):
    KBArticle.objects.create(
        slug="bill-explained",
        category=topic,
        is_public=True,
        title_zh="账单说明",
        title_en="Your bill explained",
        body_zh="<p>账单按月结算。</p>",
        body_en="<p>Bills are <b>monthly</b> &amp; itemised.</p>",
    )
    KBArticle.objects.create(
        slug="bill-internal",
        is_public=False,
        title_zh="内部：账单减免",
        title_en="",
        body_zh="主管可批准减免。",
        body_en="",
    )
    KBArticle.objects.create(
        slug="bill-draft", is_published=False, title_zh="草稿账单", title_en="Draft bill", body_zh="x"
    )


def _accepted(topic, chat_agent, **overrides):
    chat = start(topic, **overrides)
    services.customer_says(chat_id=chat.pk, client_id="1", text="my bill")
    chat.refresh_from_db()
    services.accept(chat_id=chat.pk, agent=chat.offered_to)
    chat.refresh_from_db()
    assert chat.agent == chat_agent
    return chat


def _url(chat, q=""):
    return reverse("chat:console_articles", args=[chat.public_id]) + (f"?q={q}" if q else "")


def test_the_agent_finds_public_and_internal_articles_in_the_customers_language(
    client, topic, chat_agent, articles
):
    chat = _accepted(topic, chat_agent)
    client.force_login(chat_agent)
    topical = client.get(_url(chat)).json()["articles"]
    assert [a["title"] for a in topical] == ["Your bill explained"]
    found = (
        client.get(_url(chat, "bill")).json()["articles"] + client.get(_url(chat, "账单")).json()["articles"]
    )
    by_title = {a["title"]: a for a in found}
    assert by_title["Your bill explained"]["body"] == "Bills are monthly & itemised."
    assert by_title["内部：账单减免"]["internal"] is True  # no English text: the Chinese one
    assert "Draft bill" not in by_title and "草稿账单" not in by_title


def test_a_chinese_chat_gets_the_chinese_text(client, topic, chat_agent, articles):
    chat = _accepted(topic, chat_agent, language="zh-hans")
    client.force_login(chat_agent)
    [article] = client.get(_url(chat)).json()["articles"]
    assert (article["title"], article["body"]) == ("账单说明", "账单按月结算。")


def test_another_agents_chat_and_strangers_are_refused(client, topic, chat_agent, chat_team, articles):
    chat = _accepted(topic, chat_agent)
    client.force_login(AgentFactory(team=chat_team))
    response = client.get(_url(chat, "bill"))
    assert response.status_code == 404 and "error" in response.json()
    client.logout()
    assert client.get(_url(chat)).status_code == 302
    client.force_login(chat_agent)
    assert client.get(_url(chat, "x" * 5000)).status_code == 200


@pytest.mark.parametrize(
    ("language", "text"), [("en", "Search the knowledge base"), ("zh-hans", "搜索知识库")]
)
def test_the_console_offers_the_search_in_both_languages(client, chat_agent, language, text):
    client.force_login(chat_agent)
    response = client.get(reverse("chat:console"), HTTP_ACCEPT_LANGUAGE=language)
    assert text in response.content.decode()
