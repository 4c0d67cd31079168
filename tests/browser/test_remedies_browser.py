"""An agent resolves with a 300 CNY refund in a real browser; the resolution is held, the ticket shows
"awaiting approval"; the team lead opens Approvals from the top bar and approves it, and the ticket
is resolved with the remedy on its page. Both languages. Screenshots: var/browser/remedies-*.png."""

from decimal import Decimal

import pytest

from complaints.models import RoutingRule
from complaints.states import Status
from remedies.models import ApprovalRule, Remedy
from tests.browser.conftest import browser_marks, sign_in
from tests.factories import AgentFactory, CustomerFactory, RootCauseFactory, TeamFactory, TicketFactory

pytestmark = browser_marks()

WORDS = {
    "en": {
        "held": "The resolution is held until its remedy is approved",
        "awaiting": "Awaiting approval",
        "approvals": "Approvals",
        "approve": "Approve",
        "approved": "Approved",
        "resolved": "Resolved",
        "cause": "Billing error",
    },
    "zh-hans": {
        "held": "补救措施获批前，处理结果暂不生效",
        "awaiting": "待审批",
        "approvals": "审批",
        "approve": "批准",
        "approved": "已批准",
        "resolved": "已解决",
        "cause": "计费错误",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_agent_proposes_a_refund_and_the_lead_approves_it(live_server, browser, screenshots, language):
    RoutingRule.objects.update(is_active=False)
    team = TeamFactory(slug="billing", name_zh="账务组", name_en="Billing")
    AgentFactory(username="li", team=team, first_name="丽", last_name="李")
    AgentFactory(username="wang", team=team, team__role="lead", first_name="强", last_name="王")
    ApprovalRule.objects.create(name="Money", agent_limit=Decimal("50"), lead_limit=Decimal("500"))
    RootCauseFactory(slug="billing-error", name_en="Billing error", name_zh="计费错误")
    customer = CustomerFactory(name="张伟", email="zhang.wei@example.com")
    ticket = TicketFactory(team=team, customer=customer, subject="Charged twice for May", language="en")
    words = WORDS[language]

    agent = sign_in(browser, live_server.url, "li", language=language)
    # An agent has no approvals queue in the top bar.
    assert agent.locator("nav >> a[href='/desk/approvals/']").count() == 0
    agent.goto(f"{live_server.url}/desk/tickets/{ticket.reference}/")
    agent.click("#action-resolve summary")
    agent.select_option("#id_resolve-root_cause", label=words["cause"])
    agent.fill("#id_resolve-steps_taken", "Refunded the duplicate charge <script>alert(1)</script>")
    agent.select_option("#id_resolve-remedy", "refund")
    agent.fill("#id_resolve-amount", "300.00")
    agent.click("#action-resolve button[type=submit]")
    agent.wait_for_selector(f"text={words['held']}")
    assert words["awaiting"] in agent.locator(".badges").inner_text()
    panel = agent.locator("#remedies")
    assert "300.00 CNY" in panel.inner_text() and words["awaiting"] in panel.inner_text()
    agent.screenshot(path=str(screenshots / f"remedies-held-{language}.png"), full_page=True)
    remedy = Remedy.objects.get(ticket=ticket)
    assert remedy.state == Remedy.State.AWAITING_APPROVAL

    lead = sign_in(browser, live_server.url, "wang", language=language)
    lead.click("nav >> a[href='/desk/approvals/']")
    row = lead.locator(f"#remedy-{remedy.pk}")
    assert ticket.reference in row.inner_text() and "300.00" in row.inner_text()
    assert "<script>" not in lead.content().split("<body", 1)[1].replace("&lt;script&gt;", "")
    lead.screenshot(path=str(screenshots / f"remedies-queue-{language}.png"), full_page=True)
    row.locator(f"form.approve-form button:has-text('{words['approve']}')").click()
    lead.wait_for_selector(f".messages >> text={words['approved']}")
    lead.screenshot(path=str(screenshots / f"remedies-approved-{language}.png"), full_page=True)

    remedy.refresh_from_db()
    ticket.refresh_from_db()
    assert remedy.state == Remedy.State.APPROVED and ticket.status == Status.RESOLVED
    lead.goto(f"{live_server.url}/desk/tickets/{ticket.reference}/")
    assert words["resolved"] in lead.locator(".badges").inner_text()
    assert words["approved"] in lead.locator("#remedies").inner_text()
    lead.screenshot(path=str(screenshots / f"remedies-resolved-{language}.png"), full_page=True)
