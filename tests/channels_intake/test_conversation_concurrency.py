"""Conversation work done twice at the same moment (PostgreSQL, two threads, issue 20): the media of a
WeChat message attached once, a waiting reply released and sent once."""

import pytest
from django.core.cache import cache
from django.db import connection

from channels_intake import outbound, services
from channels_intake.models import InboundItem, OutboundMessage, WeChatAccount
from complaints.models import Attachment, Ticket

from .fake_platforms import PNG, start_wechat
from .test_concurrency import run_twice_at_once
from .test_wechat import text_xml

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and concurrent connections need PostgreSQL"
    ),
]

APP_ID = "wx1234567890abcdef"
APP_SECRET = "app-secret-of-the-account"


@pytest.fixture
def fake_wechat(settings):
    cache.clear()
    fake = start_wechat(app_id=APP_ID, app_secret=APP_SECRET)
    settings.INTAKE = {**settings.INTAKE, "WECHAT_API_BASE": fake.base}
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    yield fake
    fake.server.shutdown()
    cache.clear()


@pytest.fixture
def account(fake_wechat):
    return WeChatAccount.objects.create(
        slug="service", name="Service", token="t", app_id=APP_ID, app_secret=APP_SECRET
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_media_fetched_twice_at_once_is_one_attachment(account, fake_wechat):
    fake_wechat.media["media-1"] = ("image/png", PNG)
    item = services.receive_wechat(account=account, xml=text_xml("", msg_type="image").decode())
    results = run_twice_at_once(lambda: services.fetch_wechat_media(item_id=item.pk))
    assert sorted(results) == ["attached", "attached"]
    assert Attachment.objects.count() == 1 and fake_wechat.media_requests == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delivery_sent_twice_at_once_reaches_wechat_once(account, fake_wechat, agent):
    from complaints import services as complaint_services

    item = services.receive_wechat(account=account, xml=text_xml("信号差").decode())
    ticket = Ticket.objects.get(pk=item.ticket_id)
    complaint_services.add_message(ticket_id=ticket.pk, actor=agent, kind="reply", body="已修复")
    delivery = OutboundMessage.objects.get(purpose="reply")
    run_twice_at_once(lambda: outbound.send_delivery(delivery_id=delivery.pk).state)
    assert len(fake_wechat.sent) == 1
    assert OutboundMessage.objects.get(pk=delivery.pk).state == "sent"
    assert InboundItem.objects.count() == 1
