"""Two daphne processes sharing the chat through the Redis channel layer: the customer on one, the
agent on the other. Skipped only when no Redis answers (CI runs it on the PostgreSQL job)."""

import uuid

import pytest

from tests.browser.conftest import CHROMIUM, browser, open_page, screenshots, sign_in  # noqa: F401
from tests.workers import REDIS, redis_answers

from .servers import chat_site, free_port
from .test_chat_browser import start_chat

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not installed (apt-get install chromium)"
    ),
    pytest.mark.skipif(not redis_answers(), reason="no Redis at 127.0.0.1:6379"),
]


def test_a_customer_and_an_agent_on_two_processes_talk_through_redis(tmp_path, browser, screenshots):  # noqa: F811
    with chat_site(tmp_path, redis_url=REDIS) as site:
        site.env["CHANNEL_LAYER_PREFIX"] = f"test-chat-{uuid.uuid4().hex[:8]}"
        first, second = site.serve(free_port()), site.serve(free_port())
        agent = sign_in(browser, second, "chatagent")
        agent.goto(f"{second}/desk/chat/")
        agent.wait_for_selector("[data-status]:has-text('Connected')")
        customer = start_chat(browser, first)
        customer.fill("[data-text]", "Hello from process one")
        customer.click("[data-compose] button[type=submit]")
        agent.wait_for_selector("[data-offers] .offer").query_selector("button.button").click()
        agent.wait_for_selector("[data-lines] .from-customer:has-text('process one')")
        customer.wait_for_selector("[data-status]:has-text('Mei Chen')")
        agent.fill("[data-text]", "Hello from process two")
        agent.click("[data-compose] [data-send]")
        customer.wait_for_selector(".line.from-agent:has-text('process two')")
        # Idle past redis-py's default 5 s socket timeout: the sockets stay open (none reopened).
        reopened: list[str] = []
        for page in (agent, customer):
            page.on("websocket", lambda socket: reopened.append(socket.url))
        customer.wait_for_timeout(7000)
        customer.fill("[data-text]", "Still there after a quiet while")
        customer.click("[data-compose] button[type=submit]")
        agent.wait_for_selector("[data-lines] .from-customer:has-text('quiet while')")
        assert reopened == []
        customer.screenshot(path=screenshots / "chat-redis-customer.png", full_page=True)
        kinds = site.query(
            "from chat.models import Chat\nresult = list(Chat.objects.get().ticket.messages.values_list('kind', flat=True))"
        )
        assert kinds == ["reply", "customer"]
        for page in (agent, customer):
            page.context.close()
