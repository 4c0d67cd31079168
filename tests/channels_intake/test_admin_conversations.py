"""The console's settings for conversations (issue 20): a WeChat account's AppSecret and safe-mode key,
a webhook channel's callback URL and its private-address flag, in English and Chinese."""

import pytest

from channels_intake.models import WebhookChannel, WeChatAccount

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

WECHAT = {
    "name": "Service account",
    "slug": "service",
    "kind": "official",
    "original_id": "gh_abc",
    "app_id": "wx1234567890abcdef",
    "token": "wx-token-7f3a9c",
    "app_secret": "app-secret-92ab41",
    "encoding_aes_key": AES_KEY,
    "open_kfid": "",
    "is_active": "on",
}


@pytest.fixture
def console(client, supervisor):
    client.force_login(supervisor)
    return client


@pytest.mark.django_db
def test_app_secret_and_aes_key_are_stored_write_only(console):
    assert console.post("/admin/channels_intake/wechataccount/add/", WECHAT).status_code == 302
    account = WeChatAccount.objects.get()
    assert account.app_secret == "app-secret-92ab41" and account.encoding_aes_key == AES_KEY
    url = f"/admin/channels_intake/wechataccount/{account.pk}/change/"
    html = console.get(url).content.decode()
    assert "app-secret-92ab41" not in html and AES_KEY not in html
    assert 'type="password" name="app_secret"' in html and 'type="password" name="encoding_aes_key"' in html
    # Left empty on a change: kept.
    console.post(url, {**WECHAT, "token": "", "app_secret": "", "encoding_aes_key": "", "name": "S2"})
    account.refresh_from_db()
    assert account.name == "S2" and account.app_secret == "app-secret-92ab41" and account.encoding_aes_key


@pytest.mark.parametrize(
    ("language", "field", "change", "message"),
    [
        ("en", "encoding_aes_key", {"encoding_aes_key": "short"}, "43 letters"),
        ("zh-hans", "encoding_aes_key", {"encoding_aes_key": "short"}, "43 位"),
        ("en", "app_id", {"app_id": ""}, "needs the AppID"),
        ("zh-hans", "app_id", {"app_id": ""}, "需要填写 AppID"),
        ("en", "open_kfid", {"kind": "kf"}, "needs the open_kfid"),
        ("zh-hans", "open_kfid", {"kind": "kf"}, "open_kfid"),
    ],
)
@pytest.mark.django_db
def test_account_settings_that_cannot_work_are_refused_in_both_languages(
    console, language, field, change, message
):
    response = console.post(
        "/admin/channels_intake/wechataccount/add/", {**WECHAT, **change}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200 and WeChatAccount.objects.count() == 0
    assert message in response.content.decode()


@pytest.mark.parametrize(("language", "label"), [("en", "callback URL"), ("zh-hans", "回调地址")])
@pytest.mark.django_db
def test_a_webhook_channel_takes_a_callback_url_and_the_private_flag(console, language, label):
    response = console.get("/admin/channels_intake/webhookchannel/add/", HTTP_ACCEPT_LANGUAGE=language)
    assert label.lower() in response.content.decode().lower()
    data = {
        "name": "App",
        "slug": "app",
        "channel": "app",
        "secret": "hmac-secret",
        "callback_url": "https://app.example.com/desk-callback",
        "is_active": "on",
    }
    assert console.post("/admin/channels_intake/webhookchannel/add/", data).status_code == 302
    channel = WebhookChannel.objects.get()
    assert channel.callback_url == "https://app.example.com/desk-callback"
    assert channel.callback_private_allowed is False


@pytest.mark.django_db
def test_a_script_url_is_not_a_callback(console):
    data = {
        "name": "App",
        "slug": "app",
        "channel": "app",
        "secret": "s",
        "callback_url": "javascript:alert(1)",
    }
    response = console.post("/admin/channels_intake/webhookchannel/add/", data)
    assert response.status_code == 200 and WebhookChannel.objects.count() == 0
