"""Issue 15 item 7 in Chromium: wrong passwords typed into the real sign-in pages end on the lockout
page, in the visitor's language, and the right password is refused until the pause is over."""

import pytest

from tests.browser.conftest import PASSWORD, browser_marks, open_page
from tests.factories import SupervisorFactory

pytestmark = browser_marks()

TEXTS = {
    "en": {"wrong": "correct username and password", "paused": "Sign-in paused"},
    "zh-hans": {"wrong": "请输入一个正确的", "paused": "登录已暂停"},
}


def type_and_submit(page, username: str, password: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    # The form's own button: the header's language switcher is a form with a submit button too.
    page.click("form:has(#id_password) [type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize(
    ("language", "viewport", "url"),
    [
        ("zh-hans", "desktop", "/accounts/login/"),
        ("en", "phone", "/accounts/login/"),
        ("en", "desktop", "/admin/login/"),
    ],
)
def test_wrong_passwords_lead_to_the_lockout_page(live_server, browser, screenshots, language, viewport, url):
    SupervisorFactory(username="li")
    page = open_page(browser, viewport=viewport, language=language)
    texts = TEXTS[language]
    page.goto(f"{live_server.url}{url}")
    for _attempt in range(4):
        type_and_submit(page, "li", "wrong-guess")
        assert texts["wrong"] in page.content()

    type_and_submit(page, "li", "wrong-guess")
    heading = page.locator("h1")
    assert heading.inner_text() == texts["paused"]
    assert "15" in page.locator("[role=alert]").inner_text()
    name = f"login-locked-{url.strip('/').replace('/', '-')}-{language}-{viewport}.png"
    page.screenshot(path=str(screenshots / name), full_page=True)

    # The right password, typed on a fresh sign-in page, is refused too.
    page.goto(f"{live_server.url}{url}")
    type_and_submit(page, "li", PASSWORD)
    assert page.locator("h1").inner_text() == texts["paused"]
    assert page.url.startswith(f"{live_server.url}{url}")
    page.context.close()
