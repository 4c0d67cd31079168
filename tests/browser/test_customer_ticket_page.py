"""The customer's ticket page /t/<token>/ in a real browser: every form on it, in both languages,
on a laptop and on a phone.

Django's test client sends no Origin header; Chromium does, and "Referrer-Policy: no-referrer"
made it send "Origin: null", which the CSRF check refused on every form (issue 24, item 1).
"""

import pytest
from django.utils import translation

from channels_intake.tokens import ticket_token
from complaints import services
from complaints.models import Message, Resolution, TeamMembership, Ticket
from complaints.states import Status
from tests.browser.conftest import browser_marks, open_page
from tests.factories import AgentFactory, RootCauseFactory, TeamFactory

pytestmark = browser_marks()

SCREENS = [
    pytest.param("en", "desktop", id="en-desktop"),
    pytest.param("en", "phone", id="en-phone"),
    pytest.param("zh-hans", "desktop", id="zh-desktop"),
    pytest.param("zh-hans", "phone", id="zh-phone"),
]


def words(language: str, msgid: str) -> str:
    """What the page says for `msgid` in `language`, from the project's catalog."""
    with translation.override(language):
        return translation.gettext(msgid)


def worked_ticket(language: str) -> tuple[Ticket, object]:
    """A ticket in `language` routed to billing, worked by 王芳 (Wang Fang), with one public reply."""
    team = TeamFactory(slug="billing", name_en="Billing", name_zh="账务")
    agent = AgentFactory(username="wfang", first_name="芳", last_name="王", team=team)
    lead = AgentFactory(username="lead", first_name="Lin", last_name="Zhou")
    TeamMembership.objects.create(team=team, user=lead, role=TeamMembership.Role.LEAD)
    ticket = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=services.CustomerDetails(
            name="李雷", email="li.lei@example.com", phone="13800138000", language=language
        ),
        subject="宽带每晚掉线" if language == "zh-hans" else "Broadband drops every evening",
        description="Since Monday the line drops at 8 p.m.",
        desired_outcome="A stable line.",
    ).ticket
    services.reroute(ticket_id=ticket.pk, actor=None, team=team, version=None, reason="billing")
    services.assign(ticket_id=ticket.pk, actor=agent, assignee=agent, version=None)
    services.add_message(
        ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="We are checking the line."
    )
    return ticket, agent


def resolve(ticket: Ticket, agent: object) -> None:
    services.resolve(
        ticket_id=ticket.pk,
        actor=agent,
        version=None,
        root_cause=RootCauseFactory(slug="line-fault", name_en="Line fault", name_zh="线路故障"),
        steps_taken="Replaced the faulty line card.",
        remedy=Resolution.Remedy.COMPENSATION,
        amount="20.00",
    )


def status_reads(page: object, language: str, label: str) -> None:
    assert page.locator(".status-line strong").inner_text() == words(language, label)


def no_forbidden(page: object) -> None:
    assert "CSRF" not in page.content() and "403" not in page.title()


@pytest.mark.parametrize(("language", "screen"), SCREENS)
def test_a_customer_replies_asks_for_another_team_disputes_and_confirms(
    live_server, browser, screenshots, language, screen
):
    ticket, agent = worked_ticket(language)
    url = f"{live_server.url}/t/{ticket_token(ticket)}/"
    page = open_page(browser, viewport=screen, language=language)
    shot = f"customer-ticket-{language}-{screen}"

    response = page.goto(url)
    assert response.status == 200
    assert response.headers["referrer-policy"] == "same-origin"
    status_reads(page, language, "Confirmed")
    # A Chinese name is written family name first, whatever the reader's language.
    assert "王芳" in page.locator(".next-step").inner_text()
    # The description shows once, not twice.
    assert page.locator(".public-timeline >> text=Since Monday the line drops at 8 p.m.").count() == 1
    page.screenshot(path=str(screenshots / f"{shot}-1-open.png"), full_page=True)

    # Reply: the message appears on the history, with a thank-you.
    page.fill("#id_body", "The line dropped again at 20:05 tonight.")
    page.click(f"#reply button:has-text('{words(language, 'Send')}')")
    page.wait_for_selector(".public-timeline li.customer >> text=The line dropped again at 20:05 tonight.")
    no_forbidden(page)
    assert page.locator(".messages").inner_text().strip() == words(
        language, "Thank you. We have your message and will answer here."
    )

    # Ask for another team.
    page.fill("#id_reroute_reason", "This is a network fault, not billing.")
    page.click(f"#reroute button:has-text('{words(language, 'Ask for another team')}')")
    page.wait_for_selector(".messages")
    no_forbidden(page)
    assert page.locator(".messages").inner_text().strip() == words(
        language, "We passed on your request. A team lead will decide which team handles your complaint."
    )
    assert ticket.events.filter(kind="reroute_requested").count() == 1
    page.screenshot(path=str(screenshots / f"{shot}-2-replied.png"), full_page=True)

    # The agent resolves; the customer disputes, and the complaint is reopened.
    resolve(ticket, agent)
    page.reload()
    status_reads(page, language, "Resolved")
    assert page.locator(".resolution >> text=Replaced the faulty line card.").count() == 1
    page.screenshot(path=str(screenshots / f"{shot}-3-resolved.png"), full_page=True)
    page.fill("#id_dispute_reason", "It still drops every evening.")
    page.click(f"#dispute button:has-text('{words(language, 'Tell us it is not solved')}')")
    page.wait_for_selector(".messages")
    no_forbidden(page)
    assert page.locator(".messages").inner_text().strip() == words(
        language, "We reopened your complaint and will look at it again."
    )
    status_reads(page, language, "In progress")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS

    # Resolved again; this time the customer confirms and the complaint closes.
    resolve(ticket, agent)
    page.reload()
    page.click(f".resolution-actions button:has-text('{words(language, 'Yes, my problem is solved')}')")
    page.wait_for_selector(".messages")
    no_forbidden(page)
    assert page.locator(".messages").inner_text().strip() == words(
        language, "Thank you for confirming. Your complaint is closed."
    )
    status_reads(page, language, "Closed")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    page.screenshot(path=str(screenshots / f"{shot}-4-closed.png"), full_page=True)
    page.context.close()


@pytest.mark.parametrize(("language", "screen"), SCREENS)
def test_the_language_switcher_on_the_ticket_page_changes_the_language(
    live_server, browser, screenshots, language, screen
):
    ticket, _agent = worked_ticket(language)
    other = "en" if language == "zh-hans" else "zh-hans"
    page = open_page(browser, viewport=screen, language=language)
    page.goto(f"{live_server.url}/t/{ticket_token(ticket)}/")
    status_reads(page, language, "Confirmed")

    page.select_option("#language-select", other)
    page.click(f".language button:has-text('{words(language, 'Switch')}')")
    page.wait_for_load_state()
    no_forbidden(page)
    assert "/t/" in page.url  # back on the ticket page, not on the 403 page
    assert page.locator("html").get_attribute("lang") == other
    status_reads(page, other, "Confirmed")
    page.screenshot(
        path=str(screenshots / f"customer-ticket-switched-{language}-{screen}.png"), full_page=True
    )
    page.context.close()
