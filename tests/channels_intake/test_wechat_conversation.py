"""WeChat as a conversation (issue 20): replies and status updates as customer-service messages through
the WeChat API (a local fake WeChat server), the 48-hour window, media as evidence, safe (AES) mode."""

import base64
import hashlib
import struct
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from channels_intake import outbound, services, tasks, wechat
from channels_intake.models import InboundItem, OutboundMessage, WeChatAccount
from complaints import services as complaint_services
from complaints.models import Attachment, Ticket
from complaints.states import Status

from .fake_platforms import AMR, PNG, start_wechat
from .test_wechat import post, reply_content, signed, text_xml

TOKEN = "wx-token-123"
APP_ID = "wx1234567890abcdef"
APP_SECRET = "app-secret-of-the-account"
# 43 characters, as the platform's console generates them.
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.fixture
def fake_wechat(settings):
    cache.clear()
    fake = start_wechat(app_id=APP_ID, app_secret=APP_SECRET)
    settings.INTAKE = {**settings.INTAKE, "WECHAT_API_BASE": fake.base, "WECOM_API_BASE": fake.base}
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]  # the fake platform is local: allowed explicitly
    yield fake
    fake.server.shutdown()
    cache.clear()


@pytest.fixture
def account(db, fake_wechat):
    return WeChatAccount.objects.create(
        slug="service",
        name="Service account",
        original_id="gh_abc",
        token=TOKEN,
        app_id=APP_ID,
        app_secret=APP_SECRET,
        encoding_aes_key=AES_KEY,
    )


@pytest.fixture
def media_tasks(monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(tasks.fetch_wechat_media, "delay", lambda item_id: queued.append(item_id))
    return queued


def reply(ticket, agent, body, captured):
    with captured(execute=True):
        return complaint_services.add_message(ticket_id=ticket.pk, actor=agent, kind="reply", body=body)


@pytest.mark.django_db
def test_replies_go_out_as_customer_service_messages_with_one_cached_token(
    client, account, agent, fake_wechat, deliveries, django_capture_on_commit_callbacks
):
    post(client, text_xml("信号差", msg_id="1"))
    ticket = Ticket.objects.get()
    reply(ticket, agent, "我们正在检修基站", django_capture_on_commit_callbacks)
    reply(ticket, agent, "基站已修复", django_capture_on_commit_callbacks)
    deliveries.run()
    assert [m["touser"] for m in fake_wechat.sent] == ["oOPENID1", "oOPENID1"]
    first = fake_wechat.sent[0]
    assert first["msgtype"] == "text" and set(first) == {"touser", "msgtype", "text"}
    assert "我们正在检修基站" in first["text"]["content"] and ticket.reference in first["text"]["content"]
    assert "基站已修复" in fake_wechat.sent[1]["text"]["content"]
    assert fake_wechat.token_requests == 1  # fetched once, then taken from the cache
    assert set(OutboundMessage.objects.filter(purpose="reply").values_list("state", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_a_token_the_platform_forgot_is_fetched_again_once(
    client, account, agent, fake_wechat, deliveries, django_capture_on_commit_callbacks
):
    post(client, text_xml("信号差", msg_id="1"))
    ticket = Ticket.objects.get()
    reply(ticket, agent, "第一条", django_capture_on_commit_callbacks)
    deliveries.run()
    fake_wechat.expire_token()  # the next send answers 40001
    reply(ticket, agent, "第二条", django_capture_on_commit_callbacks)
    deliveries.run()
    assert fake_wechat.token_requests == 2 and len(fake_wechat.sent) == 2


@pytest.mark.django_db
def test_outside_the_48_hour_window_a_reply_waits_and_goes_on_the_next_message(
    client, account, agent, fake_wechat, deliveries, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    post(client, text_xml("宽带断了", msg_id="1"))
    ticket = Ticket.objects.get()
    time_machine.shift(timedelta(hours=49))
    reply(ticket, agent, "请问您方便什么时候在家", django_capture_on_commit_callbacks)
    deliveries.run()
    delivery = OutboundMessage.objects.get(purpose="reply")
    assert delivery.state == "waiting" and fake_wechat.sent == []
    # Running it again (the admin's "send again", a retried task) still waits; nothing is lost.
    outbound.send_delivery(delivery_id=delivery.pk)
    assert OutboundMessage.objects.get(pk=delivery.pk).state == "waiting"
    with django_capture_on_commit_callbacks(execute=True):
        post(client, text_xml("我明天在家", msg_id="2"))
    deliveries.run()
    delivery.refresh_from_db()
    assert delivery.state == "sent" and delivery.transport == "wechat"
    assert "请问您方便什么时候在家" in fake_wechat.sent[-1]["text"]["content"]


@pytest.mark.django_db
def test_a_message_arriving_while_the_reply_is_judged_out_of_window_still_releases_it(
    client,
    account,
    agent,
    fake_wechat,
    deliveries,
    django_capture_on_commit_callbacks,
    time_machine,
    monkeypatch,
):
    time_machine.move_to(timezone.now(), tick=False)
    post(client, text_xml("宽带断了", msg_id="1"))
    ticket = Ticket.objects.get()
    time_machine.shift(timedelta(hours=49))
    reply(ticket, agent, "请问您在家吗", django_capture_on_commit_callbacks)
    real = outbound.routing.last_wechat_message_at
    before = real(ticket.customer_id)
    calls: list[int] = []

    def stale_then_real(customer_id: int):
        calls.append(customer_id)
        return before if len(calls) == 1 else real(customer_id)

    monkeypatch.setattr(outbound.routing, "last_wechat_message_at", stale_then_real)
    # The customer's next message is stored (and its flush has run) while the task decides on the old one.
    time_machine.shift(timedelta(seconds=1))
    InboundItem.objects.create(
        channel="wechat", source_id=f"{account.pk}:2", raw="<xml/>", ticket=ticket, wechat_account=account
    )
    with django_capture_on_commit_callbacks(execute=True):
        outbound.send_delivery(delivery_id=deliveries.queued.pop())
    delivery = OutboundMessage.objects.get(purpose="reply")
    assert delivery.state == "queued" and deliveries.queued == [delivery.pk]
    deliveries.run()
    assert OutboundMessage.objects.get(pk=delivery.pk).state == "sent" and len(fake_wechat.sent) == 1


@pytest.mark.django_db
def test_within_the_window_the_reply_goes_at_once(
    client, account, agent, fake_wechat, deliveries, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    post(client, text_xml("宽带断了", msg_id="1"))
    time_machine.shift(timedelta(hours=47))
    reply(Ticket.objects.get(), agent, "马上处理", django_capture_on_commit_callbacks)
    deliveries.run()
    assert len(fake_wechat.sent) == 1


@pytest.mark.django_db
def test_outside_the_window_a_reply_goes_by_the_customers_email(
    client, account, agent, fake_wechat, deliveries, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    post(client, text_xml("宽带断了", msg_id="1"))
    ticket = Ticket.objects.get()
    customer = ticket.customer
    customer.email = "wang@example.com"
    customer.save()
    time_machine.shift(timedelta(hours=50))
    reply(ticket, agent, "已为您退款", django_capture_on_commit_callbacks)
    mail.outbox.clear()
    deliveries.run()
    delivery = OutboundMessage.objects.get(purpose="reply")
    assert delivery.state == "sent" and delivery.transport == "email" and delivery.email_message_id
    assert fake_wechat.sent == [] and mail.outbox[0].to == ["wang@example.com"]
    assert "已为您退款" in mail.outbox[0].body


@pytest.mark.django_db
def test_the_platforms_own_window_refusal_makes_the_reply_wait(
    client, account, agent, fake_wechat, deliveries, django_capture_on_commit_callbacks
):
    post(client, text_xml("宽带断了", msg_id="1"))
    fake_wechat.closed_windows.add("oOPENID1")  # 45015: the platform counts the window its own way
    reply(Ticket.objects.get(), agent, "马上处理", django_capture_on_commit_callbacks)
    deliveries.run()
    assert OutboundMessage.objects.get(purpose="reply").state == "waiting"


@pytest.mark.django_db
def test_status_updates_go_to_wechat(
    client, account, agent, fake_wechat, deliveries, django_capture_on_commit_callbacks
):
    post(client, text_xml("宽带断了", msg_id="1"))
    ticket = Ticket.objects.get()
    reply(ticket, agent, "请提供地址", django_capture_on_commit_callbacks)  # acknowledges: no status message
    Ticket.objects.filter(pk=ticket.pk).update(team=agent.memberships.first().team)
    ticket.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        complaint_services.await_customer(ticket_id=ticket.pk, actor=agent, version=ticket.version)
    deliveries.run()
    assert len(fake_wechat.sent) == 2
    status = OutboundMessage.objects.get(purpose="status")
    assert status.detail["status"] == Status.AWAITING_CUSTOMER and status.state == "sent"
    assert ticket.reference in fake_wechat.sent[-1]["text"]["content"]


@pytest.mark.django_db
def test_the_resolution_and_the_survey_link_reach_a_wechat_customer(
    client, account, agent, fake_wechat, deliveries, django_capture_on_commit_callbacks, settings
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from feedback import services as feedback_services
    from feedback.models import Survey
    from tests.factories import RootCauseFactory

    post(client, text_xml("宽带断了", msg_id="1"))
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(team=agent.memberships.first().team)
    ticket.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        complaint_services.resolve(
            ticket_id=ticket.pk,
            actor=agent,
            version=ticket.version,
            root_cause=RootCauseFactory(),
            steps_taken="更换了光猫",
        )
    survey = Survey.objects.get(ticket=ticket)
    assert survey.channel == Survey.Channel.CUSTOMER_CHANNEL
    # Within the window (a day later), at noon in the customers' time zone: outside quiet hours.
    later = (timezone.now() + timedelta(days=1)).astimezone(ZoneInfo(settings.TIME_ZONE))
    with django_capture_on_commit_callbacks(execute=True):
        feedback_services.send_due_surveys(
            now=datetime.combine(later.date(), later.time().replace(hour=12), later.tzinfo)
        )
    deliveries.run()
    texts = [m["text"]["content"] for m in fake_wechat.sent]
    purposes = list(OutboundMessage.objects.order_by("pk").values_list("purpose", "transport", "state"))
    assert purposes[-2:] == [("resolution", "wechat", "sent"), ("survey", "wechat", "sent")]
    assert ticket.reference in texts[-2] and "/t/" in texts[-2]
    assert "/survey" in texts[-1] and ticket.reference in texts[-1]


@pytest.mark.django_db
def test_an_account_without_app_secret_lets_the_reply_wait_with_a_reason(
    client, account, agent, deliveries, django_capture_on_commit_callbacks
):
    WeChatAccount.objects.filter(pk=account.pk).update(app_secret="")
    post(client, text_xml("信号差", msg_id="1"))
    reply(Ticket.objects.get(), agent, "我们正在处理", django_capture_on_commit_callbacks)
    with pytest.raises(wechat.SenderNotConfigured):
        deliveries.run()
    delivery = OutboundMessage.objects.get(purpose="reply")
    assert delivery.state == "queued" and "no AppSecret" in delivery.last_error


@pytest.mark.django_db
def test_images_and_voice_are_downloaded_as_evidence(client, account, fake_wechat, media_tasks):
    fake_wechat.media["media-1"] = ("image/jpeg", PNG)  # the platform's type claim is not believed
    assert post(client, text_xml("", msg_id="1", msg_type="image")).status_code == 200
    item = InboundItem.objects.get()
    assert services.fetch_wechat_media(item_id=item.pk) == "attached"
    attachment = Attachment.objects.get()
    assert attachment.ticket == item.ticket and attachment.content_type == "image/png"
    assert attachment.original_name.endswith(".png") and attachment.file.read() == PNG
    # Run twice (a retried task): one attachment, no second download.
    assert services.fetch_wechat_media(item_id=item.pk) == "attached"
    assert Attachment.objects.count() == 1 and fake_wechat.media_requests == 1


@pytest.mark.django_db
def test_voice_is_downloaded_as_evidence(client, account, fake_wechat, media_tasks):
    fake_wechat.media["media-1"] = ("audio/amr", AMR)
    post(client, text_xml("", msg_id="1", msg_type="voice"))
    assert services.fetch_wechat_media(item_id=InboundItem.objects.get().pk) == "attached"
    assert Attachment.objects.get().content_type == "audio/amr"


@pytest.mark.django_db
def test_the_media_task_is_queued_when_the_message_arrives_and_retries_on_failure(
    client, account, fake_wechat, media_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, text_xml("", msg_id="1", msg_type="image"))
    item = InboundItem.objects.get()
    assert media_tasks == [item.pk]
    fake_wechat.media["media-1"] = ("image/png", PNG)
    fake_wechat.fail_media_times = 1
    assert OSError in tasks.fetch_wechat_media.autoretry_for
    with pytest.raises(OSError):
        services.fetch_wechat_media(item_id=item.pk)
    assert services.fetch_wechat_media(item_id=item.pk) == "attached"


@pytest.mark.django_db
def test_media_that_fails_the_evidence_checks_is_not_attached(client, account, fake_wechat, media_tasks):
    fake_wechat.media["media-1"] = ("image/jpeg", b"<html><script>alert(1)</script></html>")
    post(client, text_xml("", msg_id="1", msg_type="image"))
    assert services.fetch_wechat_media(item_id=InboundItem.objects.get().pk) == "refused"
    assert Attachment.objects.count() == 0


# --- safe (AES) mode, checked against an encryption written here from WeChat's description ---------


def wx_encrypt(plain: bytes, *, random: bytes = b"0123456789abcdef", app_id: str = APP_ID) -> str:
    key = base64.b64decode(AES_KEY + "=")
    body = random + struct.pack(">I", len(plain)) + plain + app_id.encode()
    pad = 32 - len(body) % 32
    body += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(body) + encryptor.finalize()).decode()


def wx_decrypt(encrypted: str) -> bytes:
    key = base64.b64decode(AES_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    body = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    body = body[: -body[-1]]
    (length,) = struct.unpack(">I", body[16:20])
    assert body[20 + length :] == APP_ID.encode()
    return body[20 : 20 + length]


def safe_post(client, xml: bytes, *, signature: str | None = None, app_id: str = APP_ID):
    encrypted = wx_encrypt(xml, app_id=app_id)
    timestamp, nonce = "1700000000", "n0nce"
    given = (
        signature
        or hashlib.sha1(
            "".join(sorted([TOKEN, timestamp, nonce, encrypted])).encode(), usedforsecurity=False
        ).hexdigest()
    )
    envelope = (
        f"<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    query = (
        f"timestamp={timestamp}&nonce={nonce}&encrypt_type=aes&msg_signature={given}"
        f"&signature={wechat.signature(TOKEN, timestamp, nonce)}"
    )
    return client.post(f"/intake/wechat/service/?{query}", envelope.encode(), content_type="text/xml")


def test_the_known_vector_matches_our_encryption():
    random = b"fedcba9876543210"
    ours = wechat.encrypt(plain=b"<xml>hi</xml>", encoding_aes_key=AES_KEY, app_id=APP_ID, random=random)
    assert ours == wx_encrypt(b"<xml>hi</xml>", random=random)
    assert wechat.decrypt(encrypted=ours, encoding_aes_key=AES_KEY, app_id=APP_ID) == b"<xml>hi</xml>"
    # 32-byte padding: a message filling a block exactly gets a whole block of padding.
    assert len(base64.b64decode(ours)) % 32 == 0


@pytest.mark.django_db
def test_safe_mode_round_trip_opens_a_ticket_and_answers_encrypted(client, account):
    response = safe_post(client, text_xml("加密模式下的投诉"))
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert "加密模式下的投诉" in ticket.description
    envelope = ElementTree.fromstring(response.content)
    encrypted = envelope.find("Encrypt").text
    timestamp, nonce = envelope.find("TimeStamp").text, envelope.find("Nonce").text
    expected = hashlib.sha1(
        "".join(sorted([TOKEN, timestamp, nonce, encrypted])).encode(), usedforsecurity=False
    ).hexdigest()
    assert envelope.find("MsgSignature").text == expected
    inner = ElementTree.fromstring(wx_decrypt(encrypted))
    assert inner.find("ToUserName").text == "oOPENID1" and ticket.reference in inner.find("Content").text
    # The item keeps the decrypted message, so it can be processed again.
    assert "加密模式下的投诉" in InboundItem.objects.get().raw


@pytest.mark.django_db
def test_safe_mode_refuses_a_forged_msg_signature(client, account):
    response = safe_post(client, text_xml("伪造"), signature="0" * 40)
    assert response.status_code == 403 and InboundItem.objects.count() == 0


@pytest.mark.django_db
def test_safe_mode_message_for_another_app_is_400_and_kept(client, account):
    response = safe_post(client, text_xml("别的公众号"), app_id="wxOTHERAPP")
    assert response.status_code == 400 and Ticket.objects.count() == 0
    item = InboundItem.objects.get()
    assert item.state == "failed" and "not for this account" in item.error


@pytest.mark.django_db
def test_malformed_xml_with_a_valid_signature_is_400_and_kept_raw(client, account):
    response = post(client, b"<xml><MsgType>text</MsgType><unclosed>")
    assert response.status_code == 400
    item = InboundItem.objects.get()
    assert item.state == "failed" and item.raw.startswith("<xml><MsgType>")
    post(client, b"<xml><MsgType>text</MsgType><unclosed>")  # the same body again: one row
    assert InboundItem.objects.count() == 1


@pytest.mark.django_db
def test_a_huge_body_is_413_unread(client, account):
    response = post(client, text_xml("长" * 40000))
    assert response.status_code == 413 and Ticket.objects.count() == 0


@pytest.mark.django_db
def test_plain_mode_passive_reply_still_works_with_aes_configured(client, account):
    response = post(client, text_xml("明文"), params=signed())
    assert Ticket.objects.get().reference in reply_content(response)


# --- end to end: an agent answers on the desk ----------------------------------------------------


@pytest.mark.django_db
def test_an_agent_reply_on_the_desk_reaches_the_fake_wechat_server(
    client, account, agent, fake_wechat, deliveries, django_capture_on_commit_callbacks
):
    from tests.complaints.portal_helpers import post_action

    post(client, text_xml("手机没信号三天了", msg_id="1"))
    ticket = Ticket.objects.get()
    Ticket.objects.filter(pk=ticket.pk).update(team=agent.memberships.first().team)
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(client, ticket, "reply", body="已安排工程师上门 <script>x</script>")
    assert response.status_code in (200, 302)
    deliveries.run()
    assert len(fake_wechat.sent) == 1
    content = fake_wechat.sent[0]["text"]["content"]
    assert "已安排工程师上门" in content and "<script" not in content
    assert fake_wechat.sent[0]["touser"] == "oOPENID1"


def test_random_prefix_differs_each_time():
    a = wechat.encrypt(plain=b"x", encoding_aes_key=AES_KEY, app_id=APP_ID)
    b = wechat.encrypt(plain=b"x", encoding_aes_key=AES_KEY, app_id=APP_ID)
    assert a != b  # a fresh random prefix each time


# --- Enterprise WeChat customer service (微信客服): pushed events, messages fetched with kf/sync_msg ----

CORP_ID = "ww0123456789abcdef"


@pytest.fixture
def kf_account(db, fake_wechat):
    fake_wechat.app_id = CORP_ID
    return WeChatAccount.objects.create(
        slug="kf",
        name="微信客服",
        kind="kf",
        token=TOKEN,
        app_id=CORP_ID,
        app_secret=APP_SECRET,
        encoding_aes_key=AES_KEY,
        open_kfid="wkAJ2GCAAA",
    )


def kf_query(encrypted: str, *, signature: str | None = None) -> str:
    timestamp, nonce = "1700000000", "n0nce"
    given = (
        signature
        or hashlib.sha1(
            "".join(sorted([TOKEN, timestamp, nonce, encrypted])).encode(), usedforsecurity=False
        ).hexdigest()
    )
    return f"timestamp={timestamp}&nonce={nonce}&msg_signature={given}"


def kf_push(client, xml: bytes, *, signature: str | None = None):
    encrypted = wx_encrypt(xml, app_id=CORP_ID)
    envelope = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    return client.post(
        f"/intake/wechat/kf/?{kf_query(encrypted, signature=signature)}",
        envelope.encode(),
        content_type="text/xml",
    )


def kf_text(msgid: str, content: str, *, user: str = "wmEXTERNAL1", origin: int = 3) -> dict:
    return {
        "msgid": msgid,
        "open_kfid": "wkAJ2GCAAA",
        "external_userid": user,
        "send_time": 1700000000,
        "origin": origin,
        "msgtype": "text",
        "text": {"content": content},
    }


KF_EVENT = (
    b"<xml><ToUserName><![CDATA[ww0123456789abcdef]]></ToUserName><CreateTime>1700000000</CreateTime>"
    b"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
    b"<Token><![CDATA[ENCTOKEN]]></Token><OpenKfId><![CDATA[wkAJ2GCAAA]]></OpenKfId></xml>"
)


@pytest.mark.django_db
def test_kf_url_verification_answers_the_decrypted_echostr(client, kf_account):
    echo = wx_encrypt(b"1616140317555161061", app_id=CORP_ID)
    from urllib.parse import quote

    response = client.get(f"/intake/wechat/kf/?{kf_query(echo)}&echostr={quote(echo)}")
    assert response.status_code == 200 and response.content == b"1616140317555161061"
    forged = client.get(f"/intake/wechat/kf/?{kf_query(echo, signature='0' * 40)}&echostr={quote(echo)}")
    assert forged.status_code == 403


@pytest.mark.django_db
def test_kf_messages_are_fetched_and_become_a_conversation(
    client, kf_account, agent, fake_wechat, deliveries, django_capture_on_commit_callbacks, monkeypatch
):
    synced: list[tuple] = []
    monkeypatch.setattr(tasks.sync_kf_messages, "delay", lambda *args: synced.append(args))
    fake_wechat.kf_messages = [
        kf_text("m1", "视频会员扣费两次"),
        kf_text("m2", "您好，请稍等", origin=5),  # the servicer's own message: not the customer's
        kf_text("m3", "订单号 8812"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = kf_push(client, KF_EVENT)
    assert response.status_code == 200 and response.content == b"success"
    assert synced == [(kf_account.pk, "ENCTOKEN")]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sync_kf_messages(account_id=kf_account.pk, event_token="ENCTOKEN") == 2
    ticket = Ticket.objects.get()
    assert "视频会员扣费两次" in ticket.description and "订单号 8812" in ticket.messages.get().body
    assert [r["cursor"] for r in fake_wechat.kf_sync_requests] == ["", "2"]  # has_more followed
    assert fake_wechat.kf_sync_requests[0]["token"] == "ENCTOKEN"
    # Fetched again (a retried task, a second event): nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        services.sync_kf_messages(account_id=kf_account.pk, event_token="ENCTOKEN")
    assert Ticket.objects.count() == 1 and InboundItem.objects.count() == 2
    Ticket.objects.filter(pk=ticket.pk).update(team=agent.memberships.first().team)
    reply(ticket, agent, "已退还重复扣费", django_capture_on_commit_callbacks)
    deliveries.run()
    # The acknowledgement and the reply, through kf/send_msg to the customer's external_userid.
    assert [m["touser"] for m in fake_wechat.kf_sent] == ["wmEXTERNAL1", "wmEXTERNAL1"]
    assert ticket.reference in fake_wechat.kf_sent[0]["text"]["content"]
    assert "已退还重复扣费" in fake_wechat.kf_sent[1]["text"]["content"]
    assert fake_wechat.sent == []


@pytest.mark.django_db
def test_a_forged_kf_push_is_refused(client, kf_account, monkeypatch):
    synced: list[tuple] = []
    monkeypatch.setattr(tasks.sync_kf_messages, "delay", lambda *args: synced.append(args))
    assert kf_push(client, KF_EVENT, signature="0" * 40).status_code == 403
    assert synced == []
