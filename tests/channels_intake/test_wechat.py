"""The WeChat official-account endpoint /intake/wechat/<slug>/."""

import pytest
from defusedxml import ElementTree
from django.utils import timezone

from channels_intake import outbound, wechat
from channels_intake.models import CustomerIdentity, InboundItem, OutboundMessage, WeChatAccount
from complaints import services as complaint_services
from complaints.models import Message, Ticket

TOKEN = "wx-token-123"


@pytest.fixture
def account(db):
    return WeChatAccount.objects.create(
        slug="service", name="Service account", original_id="gh_abc", token=TOKEN
    )


def signed(timestamp: str = "1700000000", nonce: str = "n0nce") -> dict:
    return {"timestamp": timestamp, "nonce": nonce, "signature": wechat.signature(TOKEN, timestamp, nonce)}


def text_xml(
    content: str, *, msg_id: str = "6001", openid: str = "oOPENID1", msg_type: str = "text"
) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><PicUrl><![CDATA[http://mmbiz.example/pic.jpg]]></PicUrl>"
        f"<MediaId><![CDATA[media-1]]></MediaId><MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def post(client, body: bytes, slug: str = "service", params: dict | None = None):
    query = "&".join(f"{k}={v}" for k, v in (params or signed()).items())
    return client.post(f"/intake/wechat/{slug}/?{query}", body, content_type="text/xml")


def reply_content(response) -> str:
    return ElementTree.fromstring(response.content).find("Content").text


def test_signature_is_sha1_of_the_sorted_parts():
    import hashlib

    expected = hashlib.sha1(b"".join(sorted([b"tok", b"123", b"abc"])), usedforsecurity=False).hexdigest()
    assert wechat.signature("tok", "123", "abc") == expected


@pytest.mark.django_db
def test_handshake_answers_echostr_only_when_signed(client, account):
    params = {**signed(), "echostr": "hello-echo"}
    response = client.get("/intake/wechat/service/", params)
    assert response.status_code == 200 and response.content == b"hello-echo"
    bad = client.get("/intake/wechat/service/", {**params, "signature": "0" * 40})
    assert bad.status_code == 403 and b"hello-echo" not in bad.content


@pytest.mark.django_db
def test_unknown_account_is_404(client, account):
    assert client.get("/intake/wechat/nope/", {**signed(), "echostr": "x"}).status_code == 404
    assert post(client, text_xml("hi"), slug="nope").status_code == 404


@pytest.mark.django_db
def test_text_message_opens_a_ticket_and_replies_passively_with_the_reference(
    client, account, django_capture_on_commit_callbacks, deliveries
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, text_xml("我的话费被多扣了50元"))
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == "wechat" and "多扣了50元" in ticket.description
    root = ElementTree.fromstring(response.content)
    assert root.find("ToUserName").text == "oOPENID1" and root.find("FromUserName").text == "gh_abc"
    assert ticket.reference in reply_content(response)
    assert CustomerIdentity.objects.get(channel="wechat", external_id="oOPENID1").customer == ticket.customer
    ack = OutboundMessage.objects.get()
    assert ack.transport == "wechat_passive" and ack.state == "sent"
    assert deliveries.queued == []  # the passive reply was the acknowledgement


@pytest.mark.django_db
def test_duplicate_msgid_is_ignored_with_the_same_reply(client, account, time_machine):
    # WeChat retries within seconds; the clock held still so the link's signed time is the same.
    time_machine.move_to(timezone.now(), tick=False)
    first = post(client, text_xml("重复消息"))
    second = post(client, text_xml("重复消息"))
    assert Ticket.objects.count() == 1 and InboundItem.objects.count() == 1
    assert reply_content(first) == reply_content(second)


@pytest.mark.django_db
def test_next_message_from_the_same_openid_joins_the_open_ticket(client, account):
    post(client, text_xml("宽带断了", msg_id="1"))
    response = post(client, text_xml("", msg_id="2", msg_type="image"))
    ticket = Ticket.objects.get()
    message = ticket.messages.get()
    assert message.kind == Message.Kind.CUSTOMER and "pic.jpg" in message.body and message.channel == "wechat"
    assert ticket.reference in reply_content(response)


@pytest.mark.django_db
def test_bad_signature_on_post_is_refused(client, account):
    response = post(client, text_xml("hi"), params={**signed(), "signature": "f" * 40})
    assert response.status_code == 403
    assert InboundItem.objects.count() == 0


@pytest.mark.django_db
def test_malformed_and_entity_bomb_xml_are_400(client, account):
    assert post(client, b"<xml><unclosed>").status_code == 400
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><MsgType>&b;</MsgType></xml>'
    assert post(client, bomb).status_code == 400
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_events_are_answered_success_without_a_ticket(client, account):
    body = (
        b"<xml><ToUserName>gh_abc</ToUserName><FromUserName>oX</FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType>event</MsgType><Event>subscribe</Event></xml>"
    )
    response = post(client, body)
    assert response.content == b"success" and Ticket.objects.count() == 0


@pytest.mark.django_db
def test_script_in_a_wechat_message_is_stripped(client, account):
    post(client, text_xml("<script>alert(1)</script>网速太慢"))
    assert "<script" not in Ticket.objects.get().description


class RecordingSender:
    sent: list[tuple[str, str]] = []

    def send(self, *, openid: str, text: str) -> None:
        self.sent.append((openid, text))


@pytest.mark.django_db
def test_a_configured_sender_delivers_replies(
    client, account, agent, settings, django_capture_on_commit_callbacks
):
    settings.INTAKE = {
        **settings.INTAKE,
        "WECHAT_SENDER": "tests.channels_intake.test_wechat.RecordingSender",
    }
    post(client, text_xml("信号差"))
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        complaint_services.add_message(ticket_id=ticket.pk, actor=agent, kind="reply", body="已修复")
    delivery = OutboundMessage.objects.get(purpose="reply")
    outbound.send_delivery(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "sent"
    assert RecordingSender.sent[-1][0] == "oOPENID1" and "已修复" in RecordingSender.sent[-1][1]
