"""In Chromium against a real daphne process: the console's knowledge-base search (an article's text
inserted into the reply and sent), and the one-tag embed on a page of another origin.

Screenshots go to var/browser/chat-*.png."""

import contextlib
import functools
import http.server
import re
import threading

import pytest

from tests.browser.conftest import CHROMIUM, browser, open_page, screenshots, sign_in  # noqa: F401

from .servers import chat_site, free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not installed (apt-get install chromium)"
    ),
]

ARTICLE = """
from complaints.models import Category, KBArticle
topic = Category.objects.get(slug="chat-demo")
KBArticle.objects.create(slug="meter-reading", category=topic, is_public=True,
    title_zh="如何核对电表读数", title_en="Checking your meter reading",
    body_zh="请对照账单上的电表读数。", body_en="Compare the meter reading on your bill with the meter itself.")
KBArticle.objects.create(slug="meter-internal", category=topic, is_public=False,
    title_zh="电表复核流程", title_en="Meter re-check procedure",
    body_zh="内部：提交复核工单。", body_en="Internal: file a meter re-check order <script>alert(1)</script>.")
KBArticle.objects.create(slug="meter-draft", is_public=True, is_published=False,
    title_zh="草稿", title_en="Draft meter article", body_zh="草稿", body_en="Draft")
result = 3
"""


@pytest.fixture(scope="module")
def host_page(tmp_path_factory):
    """A static HTTP server on another origin (localhost, another port), serving `embed.html`."""
    folder = tmp_path_factory.mktemp("other-site")
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://localhost:{port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory, host_page):
    _folder, origin = host_page
    with chat_site(tmp_path_factory.mktemp("chat-kb-site")) as site:
        port = free_port()
        site.env |= {"SITE_URL": f"http://127.0.0.1:{port}", "CHAT_EMBED_ORIGINS": origin}
        site.base_url = site.serve(port)
        site.query(ARTICLE)
        yield site


def test_the_agent_inserts_a_kb_article_and_sends_it(site, browser, screenshots):  # noqa: F811
    base = site.base_url
    agent = sign_in(browser, base, "chatagent")
    agent.goto(f"{base}/desk/chat/")
    agent.wait_for_selector("[data-status]:has-text('Connected')")
    agent.select_option("[data-availability]", "online")

    customer = open_page(browser, viewport="phone", language="en")
    customer.goto(f"{base}/chat/?topic=chat-demo")
    customer.fill("#id_name", "Wang Fang")
    customer.fill("#id_email", "wang@example.com")
    customer.check("#id_consent")
    customer.click("form.chat-prechat button[type=submit]")
    customer.wait_for_url(re.compile(r".*/chat/c/[^/]+/$"))
    customer.fill("[data-text]", "My meter reading looks wrong")
    customer.click("[data-compose] button[type=submit]")
    agent.wait_for_selector("[data-offers] .offer").query_selector("button.button").click()
    agent.wait_for_selector("[data-lines] .from-customer:has-text('meter reading')")

    # Without a query: the topic's articles; the internal one is marked, the draft is not there.
    agent.wait_for_selector("[data-kb-results] li:has-text('Checking your meter reading')")
    agent.fill("[data-kb-query]", "meter")
    agent.wait_for_selector("[data-kb-results] li:has-text('Meter re-check procedure'):has(.muted)")
    assert "Draft meter article" not in agent.text_content("[data-kb-results]")
    agent.fill("[data-text]", "Here is how:")
    agent.click("[data-kb-results] li:has-text('Checking your meter reading') [data-kb-insert]")
    assert agent.input_value("[data-text]") == (
        "Here is how:\n\nCompare the meter reading on your bill with the meter itself."
    )
    agent.screenshot(path=screenshots / "chat-desk-kb-article.png", full_page=True)
    agent.click("[data-compose] [data-send]")
    customer.wait_for_selector(".line.from-agent:has-text('Compare the meter reading on your bill')")
    customer.screenshot(path=screenshots / "chat-customer-kb-article.png", full_page=True)
    agent.click("[data-end]")
    for page in (agent, customer):
        page.context.close()


def test_the_embed_snippet_opens_the_widget_on_another_origin(site, host_page, browser, screenshots):  # noqa: F811
    folder, origin = host_page
    snippet = site.query("from chat.admin import embed_snippets\nresult = embed_snippets(None)['script']")
    assert snippet.count("<script") == 1 and site.base_url in snippet
    (folder / "embed.html").write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>'
        f"<body><h1>Another shop</h1>{snippet}</body></html>",
        encoding="utf-8",
    )
    agent = sign_in(browser, site.base_url, "chatagent2")
    agent.goto(f"{site.base_url}/desk/chat/")
    agent.wait_for_selector("[data-status]:has-text('Connected')")
    agent.select_option("[data-availability]", "online")

    page = open_page(browser, viewport="desktop", language="en")
    page.goto(f"{origin}/embed.html")
    page.click("button:has-text('Chat with us')")
    widget = page.frame_locator("iframe[title='Chat with us']")
    widget.locator("#id_name").fill("Zhang Min")
    widget.locator("#id_email").fill("zhang@example.com")
    widget.locator("#id_topic").select_option("chat-demo")
    widget.locator("#id_consent").check()
    widget.locator("form.chat-prechat button[type=submit]").click()
    widget.locator("[data-text]").fill("Hello from the shop page")
    widget.locator("[data-compose] button[type=submit]").click()
    agent.wait_for_selector("[data-offers] .offer").query_selector("button.button").click()
    agent.wait_for_selector("[data-lines] .from-customer:has-text('Hello from the shop page')")
    widget.locator("[data-status]:has-text('Jun Zhao')").wait_for()
    page.screenshot(path=screenshots / "chat-embed-other-origin.png", full_page=True)
    with contextlib.suppress(Exception):
        agent.click("[data-end]")
    stored = site.query(
        "from chat.models import Chat\n"
        "c = Chat.objects.select_related('ticket').order_by('-pk').first()\n"
        "result = [c.ticket.channel, c.customer.email]"
    )
    assert stored == ["chat", "zhang@example.com"]
    for p in (agent, page):
        p.context.close()
