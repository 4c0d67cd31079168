"""Shared fixtures of the browser tests: Debian's Chromium driven by Playwright against a live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Screenshots go to
var/browser/ (CI keeps them as artefacts) so a person can look at the pages.

Use in a test module:

    pytestmark = browser_marks()

    def test_x(live_server, browser, screenshots):
        page = open_page(browser, viewport="phone", language="zh-hans")
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

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

# The two screens every page must work on: a common laptop and a common phone.
VIEWPORTS = {
    "desktop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}
# Browser locale for each site language: what Accept-Language the page first sees.
LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}


def browser_marks() -> list:
    """The marks every browser test module needs: a live, committed database and a skip without Chromium."""
    return [
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
def browser(monkeypatch) -> Iterator[object]:
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
    # The sync API runs the test body in a greenlet, which Django gives a connection of its own;
    # closed here, or PostgreSQL's test database cannot be dropped at the end of the run.
    connections.close_all()


def open_page(browser: object, *, viewport: str = "desktop", language: str = "en") -> object:
    """A fresh browser context (no cookies) with the given screen and Accept-Language, and its page."""
    context = browser.new_context(
        locale=LOCALES[language],
        viewport=VIEWPORTS[viewport],
        is_mobile=viewport == "phone",
        has_touch=viewport == "phone",
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_in(
    browser: object, base_url: str, username: str, *, viewport: str = "desktop", language: str = "en"
):
    """A staff member's page, signed in through the login form and landed on the desk."""
    page = open_page(browser, viewport=viewport, language=language)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    # The login form's own button: the header's language switcher is a form with a submit button too.
    page.click("form:has(#id_password) button[type=submit]")
    page.wait_for_url(f"{base_url}/desk/")
    return page
