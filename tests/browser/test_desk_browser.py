"""The desk in a real browser: Debian's Chromium driven by Playwright against a live server.

Screenshots are saved under var/browser/ so a person (or CI) can look at the pages.
Playwright never downloads a browser here: it launches /usr/bin/chromium.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from complaints.models import Message
from tests.factories import AgentFactory, CustomerFactory, RootCauseFactory, TeamFactory, TicketFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-first-run",
]
PASSWORD = "pass-word-123"

pytestmark = [
    # serialized_rollback: the groups and reference data from migrations survive other tests' flushes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not installed (apt-get install chromium)"
    ),
]


@pytest.fixture
def screenshots() -> Path:
    folder = Path(settings.BASE_DIR) / "var" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setenv("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def sign_in(browser, base_url: str, username: str):
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_url(f"{base_url}/desk/")
    return page


def test_an_agent_filters_opens_replies_resolves_and_sees_a_stale_edit_warning(
    live_server, browser, screenshots
):
    team = TeamFactory(slug="customer-service", name_zh="客服部", name_en="Customer service")
    agent = AgentFactory(username="li", team=team)
    AgentFactory(username="wang", team=team)
    RootCauseFactory(slug="billing-error", name_en="Billing error", name_zh="计费错误")
    customer = CustomerFactory(name="张伟", email="zhang.wei@example.com", phone="13812341234")
    ticket = TicketFactory(
        team=team, assignee=agent, customer=customer, subject="Charged twice for May", language="en"
    )
    TicketFactory(team=team, assignee=agent, subject="Router keeps rebooting", language="en")

    page = sign_in(browser, live_server.url, "li")

    # Filter the queue: the results are swapped in without reloading the page.
    page.fill("#id_q", "Charged twice")
    page.press("#id_q", "Enter")
    page.wait_for_selector("#results >> text=Router keeps rebooting", state="detached")
    assert page.locator("#rows tr").count() == 1
    page.screenshot(path=str(screenshots / "desk-queue.png"), full_page=True)

    # Open the ticket and reply; the reply appears on the timeline at once.
    page.click(f"text={ticket.reference}")
    page.wait_for_url(f"**/desk/tickets/{ticket.reference}/")
    page.keyboard.press("n")  # keyboard shortcuts: n focuses the note, r the reply
    assert page.evaluate("document.activeElement.id") == "id_note-body"
    page.locator("#id_note-body").blur()
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "id_reply-body"
    page.keyboard.type("We have refunded the second charge today.")
    page.click("button:has-text('Send reply')")
    page.wait_for_selector(".timeline .message-reply >> text=We have refunded the second charge today.")
    assert page.locator(".messages >> text=Your reply was sent to the customer.").count() == 1
    assert Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY).count() == 1
    page.screenshot(path=str(screenshots / "desk-ticket-replied.png"), full_page=True)

    # A colleague opens the same ticket and starts a note; meanwhile li resolves it.
    colleague = sign_in(browser, live_server.url, "wang")
    colleague.goto(f"{live_server.url}/desk/tickets/{ticket.reference}/")
    colleague.fill("#id_note-body", "Draft from wang that must survive")

    page.click("#action-resolve summary")
    page.select_option("#id_resolve-root_cause", label="Billing error")
    page.fill("#id_resolve-steps_taken", "Refunded the duplicate charge")
    page.select_option("#id_resolve-remedy", "refund")
    page.fill("#id_resolve-amount", "39.00")
    page.click("#action-resolve button:has-text('Resolve')")
    page.wait_for_selector(".badges >> text=Resolved")

    colleague.click("button:has-text('Add note')")
    colleague.wait_for_selector("text=Someone else changed this ticket meanwhile")
    assert colleague.input_value("#id_note-body") == "Draft from wang that must survive"
    assert colleague.locator(".version-watch >> text=Resolved by li").count() == 1
    colleague.screenshot(path=str(screenshots / "desk-stale-warning.png"), full_page=True)
    assert not Message.objects.filter(ticket=ticket, kind=Message.Kind.NOTE).exists()
    # Playwright's sync API runs this body in a greenlet, which Django gives a connection of its
    # own; closed here, or PostgreSQL's test database cannot be dropped at the end of the run.
    connections.close_all()
