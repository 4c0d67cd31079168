"""The live chat in Chromium: a customer on /chat/ (phone) and an agent on /desk/chat/ (laptop) in two
browser contexts, talking through a real daphne process; then the offline path.

Screenshots go to var/browser/chat-*.png."""

import re

import pytest

from tests.browser.conftest import CHROMIUM, browser, open_page, screenshots, sign_in  # noqa: F401

from .servers import chat_site, free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not installed (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with chat_site(tmp_path_factory.mktemp("chat-site")) as site:
        site.port = free_port()
        site.base_url = site.serve(site.port)
        yield site


def start_chat(browser, base_url, *, language="en", name="Wang Fang", email="wang@example.com"):  # noqa: F811
    page = open_page(browser, viewport="phone", language=language)
    page.goto(f"{base_url}/chat/?topic=chat-demo")
    assert page.locator("#id_topic").input_value() == "chat-demo"
    page.fill("#id_name", name)
    page.fill("#id_email", email)
    page.check("#id_consent")
    page.click("form.chat-prechat button[type=submit]")
    page.wait_for_url(re.compile(r".*/chat/c/[^/]+/$"))
    return page


def test_customer_and_agent_chat_live_and_the_customer_rates_it(site, browser, screenshots):  # noqa: F811
    base = site.base_url
    colleague = sign_in(browser, base, "chatagent2")
    colleague.goto(f"{base}/desk/chat/")
    colleague.wait_for_selector("[data-status]:has-text('Connected')")
    agent = sign_in(browser, base, "chatagent")
    agent.goto(f"{base}/desk/chat/")
    agent.wait_for_selector("[data-status]:has-text('Connected')")
    agent.select_option("[data-availability]", "online")

    customer = start_chat(browser, base)
    customer.wait_for_selector("[data-status]:has-text('Waiting for an agent')")
    customer.fill("[data-text]", "Hello, my bill is 300 yuan too high <script>alert(1)</script>")
    customer.click("[data-compose] button[type=submit]")
    customer.wait_for_selector(".line.from-customer:not(.sending)")

    offer = agent.wait_for_selector("[data-offers] .offer")
    agent.screenshot(path=screenshots / "chat-desk-offer.png", full_page=True)
    offer.query_selector("button.button").click()
    agent.wait_for_selector("[data-lines] .from-customer:has-text('300 yuan')")
    customer.wait_for_selector("[data-status]:has-text('Mei Chen')")

    agent.fill("[data-text]", "Sorry about that – let me check your bill.")
    customer.wait_for_selector("[data-typing]:not([hidden])")
    agent.click("[data-compose] [data-send]")
    customer.wait_for_selector(".line.from-agent:has-text('let me check your bill')")
    agent.fill("[data-text]", "Customer is upset; check the meter reading.")
    agent.click("[data-note]")
    agent.wait_for_selector("[data-lines] .from-note:not(.sending)")

    # Transfer to the colleague: they accept, see the conversation so far, and answer.
    agent.select_option("[data-transfer-to]", label="Jun Zhao")
    agent.click("[data-transfer]")
    agent.wait_for_selector("[data-empty]:not([hidden])")
    colleague.wait_for_selector("[data-offers] .offer").query_selector("button.button").click()
    colleague.wait_for_selector("[data-lines] .from-customer:has-text('300 yuan')")
    customer.wait_for_selector("[data-status]:has-text('Jun Zhao')")
    colleague.fill("[data-text]", "I have your bill open now.")
    colleague.click("[data-compose] [data-send]")
    customer.wait_for_selector(".line.from-agent:has-text('I have your bill open now')")
    agent.context.close()
    agent = colleague

    # A dropped connection (the server restarts): the message written meanwhile waits as "sending…"
    # and is sent again, once, when the widget has reconnected.
    site.stop()
    customer.wait_for_selector("[data-status]:has-text('reconnecting')")
    customer.fill("[data-text]", "Thank you!")
    customer.click("[data-compose] button[type=submit]")
    customer.wait_for_selector(".line.from-customer.sending:has-text('Thank you!')")
    site.serve(site.port)
    agent.wait_for_selector("[data-lines] .from-customer:has-text('Thank you!')", timeout=30_000)
    customer.wait_for_selector(".line.from-customer:not(.sending):has-text('Thank you!')")
    assert customer.locator(".line:has-text('Thank you!')").count() == 1
    customer.screenshot(path=screenshots / "chat-customer-live.png", full_page=True)
    agent.screenshot(path=screenshots / "chat-desk-console.png", full_page=True)

    agent.click("[data-end]")
    customer.wait_for_selector("[data-endbox]:not([hidden])")
    customer.click("[data-rate='5']")
    customer.wait_for_selector("[data-status]:has-text('Thank you for your rating')")
    agent.wait_for_selector("[data-rating]:has-text('5/5')")
    customer.screenshot(path=screenshots / "chat-customer-rated.png", full_page=True)
    assert "VIP" not in customer.content() and "meter reading" not in customer.content()

    # The transcript: the customer's own ticket page, with the chat's messages.
    with customer.expect_popup() as popup:
        customer.click("[data-transcript-link]")
    transcript = popup.value
    transcript.wait_for_load_state()
    assert "let me check your bill" in transcript.content()
    assert "meter reading" not in transcript.content()
    transcript.screenshot(path=screenshots / "chat-transcript.png", full_page=True)

    stored = site.query(
        "from chat.models import Chat\n"
        "c = Chat.objects.select_related('ticket').get()\n"
        "result = {'state': c.state, 'rating': c.rating, 'channel': c.ticket.channel,"
        " 'kinds': list(c.ticket.messages.values_list('kind', flat=True)), 'description': c.ticket.description,"
        " 'assignee': c.ticket.assignee.username if c.ticket.assignee else None}"
    )
    assert stored["state"] == "ended" and stored["rating"] == 5 and stored["channel"] == "chat"
    assert stored["kinds"] == ["reply", "note", "reply", "customer"]
    assert "<script>" not in stored["description"] and stored["assignee"] == "chatagent2"
    for page in (agent, customer):
        page.context.close()


def test_with_no_agent_online_the_message_is_taken_as_a_ticket(site, browser, screenshots):  # noqa: F811
    site.query(
        "from chat.models import AgentPresence\nresult = AgentPresence.objects.update(status='offline')"
    )
    customer = start_chat(browser, site.base_url, language="zh-hans", name="李雷", email="lilei@example.com")
    customer.wait_for_selector("[data-status]:has-text('没有在线')")
    customer.fill("[data-text]", "电表读数不对")
    customer.click("[data-compose] button[type=submit]")
    customer.wait_for_selector("[data-status]:has-text('CMP-')")
    customer.screenshot(path=screenshots / "chat-customer-offline-zh.png", full_page=True)
    reference = re.search(r"CMP-[0-9A-Z]{8}", customer.text_content("[data-status]")).group(0)
    stored = site.query(
        "from complaints.models import Ticket\n"
        f"t = Ticket.objects.get(reference={reference!r})\n"
        "result = {'channel': t.channel, 'description': t.description, 'state': t.chats.get().state}"
    )
    assert stored == {"channel": "chat", "description": "电表读数不对", "state": "offline"}
    customer.context.close()


def test_a_claimed_contact_is_marked_unverified_and_the_typed_name_shown(site, browser, screenshots):  # noqa: F811
    base = site.base_url
    site.query(
        "from complaints.models import Customer, Team\n"
        "from tests.factories import TicketFactory\n"
        "victim = Customer.objects.create(name='林小红', email='victim@example.com')\n"
        "TicketFactory(customer=victim, subject='Refund for order 778812', team=Team.objects.get(slug='chat-desk'))\n"
        "result = victim.pk"
    )
    agent = sign_in(browser, base, "chatagent")
    agent.goto(f"{base}/desk/chat/")
    agent.wait_for_selector("[data-status]:has-text('Connected')")
    agent.select_option("[data-availability]", "online")
    customer = start_chat(browser, base, name="attacker", email="victim@example.com")
    customer.wait_for_selector("[data-status]:has-text('Waiting for an agent')")
    customer.fill("[data-text]", "What about my order?")
    customer.click("[data-compose] button[type=submit]")
    offer = agent.wait_for_selector("[data-offers] .offer:has-text('attacker')")
    assert "not verified" in offer.text_content()
    offer.query_selector("button.button").click()
    agent.wait_for_selector("[data-unverified]:not([hidden]):has-text('not verified')")
    assert "778812" not in agent.text_content("[data-open-tickets]")
    agent.screenshot(path=screenshots / "chat-desk-claimed-contact.png", full_page=True)
    customer.wait_for_selector("[data-status]:has-text('Mei Chen')")
    assert "林" not in customer.content()
    customer.screenshot(path=screenshots / "chat-customer-claimed-contact.png", full_page=True)
    for page in (agent, customer):
        page.context.close()
