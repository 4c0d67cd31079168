"""The desk as an agent works it, in a real browser, in both languages: search, bulk actions, canned
replies with their placeholders filled, Ctrl+Enter, the shortcut overlay, the timeline in words, a
re-route that takes the ticket out of sight, and invalid fields outlined. Screenshots: var/browser/."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import CannedReply, Message, Ticket
from complaints.states import Status
from tests.browser.conftest import browser_marks, sign_in
from tests.factories import AgentFactory, CustomerFactory, TeamFactory, TicketFactory

pytestmark = browser_marks()

WORDS = {
    "en": {
        "found": "tickets found for",
        "done": "2 tickets done: Take them.",
        "take": "Take them",
        "sent": "Your reply was sent to the customer.",
        "shortcuts": "Keyboard shortcuts",
        "rerouted": "is no longer in your view",
        "opened": "Opened: Web form",
        "first_reply": "First reply to the customer.",
        "others": "The customer's other tickets",
        "technical": "Technical",
    },
    "zh-hans": {
        "found": "张工单",
        "done": "已处理 2 张工单：由我接手。",
        "take": "由我接手",
        "sent": None,
        "shortcuts": "键盘快捷键",
        "rerouted": "已不在您的视野内",
        "opened": None,
        "first_reply": None,
        "others": "该客户的其他工单",
        "technical": "技术部",
    },
}


def _people():
    team = TeamFactory(slug="customer-service", name_zh="客服部", name_en="Customer service")
    technical = TeamFactory(slug="technical", name_zh="技术部", name_en="Technical")
    agent = AgentFactory(username="li", team=team, first_name="芳", last_name="王")
    colleague = AgentFactory(username="wang", team=team)
    AgentFactory(username="zhao", team=technical)
    return team, technical, agent, colleague


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_agent_searches_everything_and_takes_tickets_in_bulk(live_server, browser, screenshots, language):
    team, _technical, agent, colleague = _people()
    words = WORDS[language]
    customer = CustomerFactory(email="li.lei@example.com", phone="13900001234")
    old = TicketFactory(
        team=team,
        assignee=colleague,
        customer=customer,
        subject="宽带断网三天",
        status=Status.CLOSED,
        resolved_at=timezone.now() - timedelta(days=40),
    )
    in_message = TicketFactory(team=team, assignee=colleague, subject="Slow line")
    in_message.messages.create(kind="customer", channel="web", body="家里的宽带又断了")
    TicketFactory(team=TeamFactory(slug="legal"), subject="宽带合同")  # another team's: never shown
    first, second = (
        TicketFactory(team=team, subject="退款未到账"),
        TicketFactory(team=team, subject="退款两次"),
    )

    page = sign_in(browser, live_server.url, "li", language=language)
    # A word finds a colleague's ticket and one closed weeks ago, from "My open tickets".
    page.fill("#id_q", "宽带")
    page.press("#id_q", "Enter")
    page.wait_for_selector(f"#results >> text={old.reference}")
    rows = page.locator("#rows tr")
    assert rows.count() == 2
    assert page.locator(f"#rows >> text={in_message.reference}").count() == 1
    assert page.locator("#rows >> text=宽带合同").count() == 0
    assert words["found"] in page.inner_text(".search-scope")
    assert "q=%E5%AE%BD%E5%B8%A6" in page.url  # a word search can be bookmarked
    page.screenshot(path=str(screenshots / f"desk-search-words-{language}.png"), full_page=True)

    # An e-mail address is searched without ever being in the address bar (or the access log).
    page.fill("#id_q", "li.lei@example.com")
    page.press("#id_q", "Enter")
    page.wait_for_function("() => new URL(location.href).searchParams.has('s')")
    page.wait_for_selector("#rows tr >> nth=0")
    assert page.locator("#rows tr").count() == 1 and old.reference in page.inner_text("#rows")
    assert "li.lei" not in page.url and "example.com" not in page.url
    page.reload()
    assert page.input_value("#id_q") == "li.lei@example.com"  # kept in the session for this search
    assert old.reference in page.inner_text("#rows")

    # Bulk: the team's unassigned queue, tick two, take them.
    page.goto(f"{live_server.url}/desk/?queue=team")
    page.check(f"input.bulk-pick[value^='{first.reference}:']")
    page.check(f"input.bulk-pick[value^='{second.reference}:']")
    page.select_option("#bulk-action", "take")
    page.screenshot(path=str(screenshots / f"desk-bulk-{language}.png"), full_page=True)
    page.click("#bulk button[type=submit]")
    page.wait_for_selector(f".messages >> text={words['done']}")
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.assignee == agent
    # The queue uses the whole width of a laptop screen.
    width = page.evaluate("document.querySelector('main').getBoundingClientRect().width")
    assert width > 1300, width
    page.screenshot(path=str(screenshots / f"desk-bulk-done-{language}.png"), full_page=True)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_agent_replies_with_a_canned_reply_and_reroutes_the_ticket_away(
    live_server, browser, screenshots, language
):
    team, technical, agent, _colleague = _people()
    words = WORDS[language]
    customer = CustomerFactory(name="李雷", email="li.lei@example.com")
    ticket_language = "en" if language == "en" else "zh-hans"
    ticket = TicketFactory(
        team=team,
        assignee=agent,
        customer=customer,
        subject="Router keeps rebooting",
        language=ticket_language,
        sla_due_at=timezone.now() + timedelta(hours=3),
    )
    ticket.events.create(kind="opened", to_value="new", detail={"channel": "web"})
    earlier = TicketFactory(
        team=team, customer=customer, subject="Earlier bill question", status=Status.CLOSED
    )
    CannedReply.objects.create(
        title="Received",
        language=ticket_language,
        body="Dear {customer_name}, reference {reference}; {agent_name} will answer by {due_time}.",
    )

    page = sign_in(browser, live_server.url, "li", language=language)
    page.goto(f"{live_server.url}/desk/tickets/{ticket.reference}/")
    # The customer's other tickets, beside this one.
    assert words["others"] in page.inner_text(".other-tickets")
    assert earlier.reference in page.inner_text(".other-tickets")

    # "?" shows the shortcuts; Escape closes them.
    page.keyboard.press("Shift+Slash")
    page.wait_for_selector("#shortcut-help[open]")
    assert words["shortcuts"] in page.inner_text("#shortcut-help")
    page.screenshot(path=str(screenshots / f"desk-shortcuts-{language}.png"))
    page.keyboard.press("Escape")
    page.wait_for_selector("#shortcut-help:not([open])", state="attached")

    # The canned reply goes in with its placeholders filled, and Ctrl+Enter sends it.
    page.select_option("#insert-canned", label="Received")
    body = page.input_value("#id_reply-body")
    assert body.startswith(f"Dear 李雷, reference {ticket.reference}; 王芳 will answer by ")
    assert "{" not in body and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+08:00\)", body)
    page.focus("#id_reply-body")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(f".timeline .message-reply >> text=Dear 李雷, reference {ticket.reference}")
    if words["sent"]:
        assert page.locator(f".messages >> text={words['sent']}").count() == 1
    reply = Message.objects.get(ticket=ticket, kind=Message.Kind.REPLY)
    assert "{" not in reply.body
    timeline = page.inner_text("#timeline")
    for code in ("→ new", "new →", "acknowledged", "→ technical"):
        assert code not in timeline, code
    if words["opened"]:
        assert words["opened"] in timeline and words["first_reply"] in timeline
    page.screenshot(path=str(screenshots / f"desk-ticket-timeline-{language}.png"), full_page=True)

    # An invalid field is outlined and says why.
    page.click("#action-escalate summary")
    page.eval_on_selector("#id_escalate-reason", "el => el.removeAttribute('required')")
    page.click("#action-escalate button[type=submit]")
    page.wait_for_selector("#action-escalate .has-error")
    outline = page.eval_on_selector("#id_escalate-reason", "el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
    page.screenshot(path=str(screenshots / f"desk-invalid-field-{language}.png"), full_page=True)

    # Re-routed to another team (where zhao gets it): back in the queue, told why.
    page.click("#action-reroute summary")
    page.select_option("#id_reroute-team", str(technical.pk))
    page.fill("#id_reroute-reason", "Line fault")
    page.click("#action-reroute button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    assert words["rerouted"] in page.inner_text(".messages")
    ticket.refresh_from_db()
    assert ticket.team == technical and ticket.assignee.username == "zhao"
    page.screenshot(path=str(screenshots / f"desk-rerouted-away-{language}.png"), full_page=True)

    # A supervisor reads the same timeline in words.
    assert Ticket.objects.get(pk=ticket.pk).events.filter(kind="rerouted").exists()


@pytest.mark.parametrize("language", ["zh-hans"])
def test_an_agent_on_a_phone_works_the_queue_and_replies(live_server, browser, screenshots, language):
    team, _technical, agent, _colleague = _people()
    ticket = TicketFactory(team=team, assignee=agent, subject="手机上网很慢", language="zh-hans")
    ticket.events.create(kind="opened", to_value="new", detail={"channel": "web"})

    page = sign_in(browser, live_server.url, "li", viewport="phone", language=language)
    # The page itself never scrolls sideways on a phone (a wide table scrolls inside its own box).
    overflow = "document.documentElement.scrollWidth - window.innerWidth"
    assert page.evaluate(overflow) <= 1
    assert page.locator(f"a:has-text('{ticket.reference}')").is_visible()
    page.screenshot(path=str(screenshots / f"desk-phone-queue-{language}.png"), full_page=True)

    page.click(f"a:has-text('{ticket.reference}')")
    page.wait_for_selector("#id_reply-body")
    assert page.evaluate(overflow) <= 1
    page.fill("#id_reply-body", "您好，我们正在检查您所在小区的网络。")
    page.focus("#id_reply-body")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".timeline .message-reply >> text=我们正在检查您所在小区的网络")
    page.screenshot(path=str(screenshots / f"desk-phone-ticket-{language}.png"), full_page=True)
    assert Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY).count() == 1
