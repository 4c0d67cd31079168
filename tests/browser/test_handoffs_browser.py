"""An agent hands a ticket off to a supplier from the desk's workspace, in a real browser, in both
languages, then closes the hand-off. Screenshots: var/browser/handoff-*.png."""

import pytest

from complaints import services
from complaints.models import Message, Ticket
from handoffs.models import Handoff, HandoffMail, Partner
from tests.browser.conftest import browser_marks, sign_in
from tests.factories import AgentFactory, TeamFactory

pytestmark = browser_marks()

WORDS = {
    "en": {
        "panel": "Hand-offs to partners",
        "open": "Hand off to a partner",
        "waiting": "Waiting on",
        "closed": "Hand-off closed.",
    },
    "zh-hans": {"panel": "转交合作方", "open": "转交给合作方", "waiting": "等待", "closed": "转交已关闭。"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_agent_hands_off_from_the_workspace_and_closes_it(live_server, browser, screenshots, language):
    team = TeamFactory(slug="recharge", name_zh="充值组", name_en="Recharge")
    AgentFactory(username="wang", team=team, first_name="芳", last_name="王")
    partner = Partner.objects.create(
        name="上游充值平台" if language == "zh-hans" else "Upstream recharge platform",
        email="ops@supplier.example.net",
        response_hours=8,
        language=language,
    )
    ticket = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=services.CustomerDetails(name="李雷", email="li.lei@example.com", phone="13900001111"),
        subject="话费充值未到账" if language == "zh-hans" else "Recharge not credited",
        description="充值 100 元三天未到账。",
        default_team=team,
    ).ticket
    words = WORDS[language]

    page = sign_in(browser, live_server.url, "wang", language=language)
    page.goto(f"{live_server.url}/desk/tickets/{ticket.reference}/")
    panel = page.locator("#handoffs")
    assert words["panel"] in panel.inner_text()
    page.click(f"#handoffs a.button:has-text('{words['open']}')")
    page.select_option("#id_partner", str(partner.pk))
    page.fill("#id_subject", "订单 8812 充值未到账" if language == "zh-hans" else "Order 8812 not credited")
    page.fill("#id_body", "<script>alert(1)</script> 订单 8812，请核查到账情况。")
    page.screenshot(path=str(screenshots / f"handoff-compose-{language}.png"), full_page=True)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/tickets/{ticket.reference}/#handoffs")
    assert "CSRF" not in page.content()
    handoff = Handoff.objects.get()
    panel = page.locator("#handoffs")
    assert handoff.reference in panel.inner_text() and words["waiting"] in panel.inner_text()
    assert partner.name in page.locator(".badges").first.inner_text() or partner.name in panel.inner_text()
    assert page.locator("#handoffs script").count() == 0  # the agent's markup shown as text
    mail = HandoffMail.objects.get()
    assert "13900001111" not in mail.body and "li.lei@example.com" not in mail.body
    assert ticket.messages.filter(kind=Message.Kind.NOTE, body__contains=handoff.reference).exists()
    page.screenshot(path=str(screenshots / f"handoff-open-{language}.png"), full_page=True)

    page.fill(f"#handoff-note-{handoff.pk}", "已到账" if language == "zh-hans" else "Credited")
    page.click("form.close-handoff button[type=submit]")
    page.wait_for_selector(f"text={words['closed']}")
    handoff.refresh_from_db()
    assert handoff.state == Handoff.State.CLOSED
    page.screenshot(path=str(screenshots / f"handoff-closed-{language}.png"), full_page=True)

    page.click("nav >> a[href='/desk/handoffs/report/']")
    row = page.locator(f"tr[data-partner='{partner.pk}']")
    assert partner.name in row.inner_text()
    page.screenshot(path=str(screenshots / f"handoff-report-{language}.png"), full_page=True)
    page.context.close()
