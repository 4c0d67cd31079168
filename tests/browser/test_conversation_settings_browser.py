"""A supervisor sets up conversations in a real browser, in both languages (issue 20): a WeChat account
with its AppSecret and safe-mode key, and a webhook channel with its callback URL. The secrets are
never shown again. Screenshots: var/browser/conversation-settings-*.png."""

import pytest

from channels_intake.models import WebhookChannel, WeChatAccount
from tests.browser.conftest import PASSWORD, browser_marks, open_page
from tests.factories import SupervisorFactory

pytestmark = browser_marks()

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WORDS = {
    "en": {"save": "Save", "callback": "Callback URL", "private": "Callback may be a private address"},
    "zh-hans": {"save": "保存", "callback": "回调地址", "private": "回调地址可为内网地址"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_supervisor_sets_up_wechat_sending_and_an_app_callback(live_server, browser, screenshots, language):
    SupervisorFactory(username="sun", first_name="慧敏", last_name="孙")
    page = open_page(browser, language=language)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "sun")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/channels_intake/wechataccount/add/")
    page.fill("#id_name", "服务号")
    page.fill("#id_slug", "service")
    page.fill("#id_app_id", "wx1234567890abcdef")
    page.fill("#id_token", "wx-token-7f3a9c")
    page.fill("#id_app_secret", "app-secret-92ab41")
    page.fill("#id_encoding_aes_key", AES_KEY)
    page.screenshot(path=screenshots / f"conversation-settings-wechat-{language}.png", full_page=True)
    page.click("input[name=_continue]")
    page.wait_for_url("**/change/")
    account = WeChatAccount.objects.get()
    assert account.app_secret == "app-secret-92ab41" and account.encoding_aes_key == AES_KEY
    html = page.content()
    assert "app-secret-92ab41" not in html and AES_KEY not in html

    page.goto(f"{live_server.url}/admin/channels_intake/webhookchannel/add/")
    assert page.get_by_text(WORDS[language]["callback"], exact=False).first.is_visible()
    assert page.get_by_text(WORDS[language]["private"], exact=False).first.is_visible()
    page.fill("#id_name", "App")  # the admin fills the slug from the name
    page.fill("#id_secret", "hmac-secret")
    page.fill("#id_callback_url", "https://app.example.com/desk-callback")
    page.screenshot(path=screenshots / f"conversation-settings-callback-{language}.png", full_page=True)
    page.click("input[name=_save]")
    page.wait_for_url("**/webhookchannel/")
    channel = WebhookChannel.objects.get()
    assert (
        channel.callback_url == "https://app.example.com/desk-callback"
        and not channel.callback_private_allowed
    )
