"""WeChat and an app's callback through a real Celery worker (issue 20): an agent answers on the desk,
the worker sends the customer-service message to the fake WeChat server (token fetched over HTTP) and
the signed reply to the app's callback receiver, which checks the signature itself."""

import json
import os

import pytest
from django.utils import timezone

from channels_intake import webhooks
from channels_intake.models import OutboundMessage, WebhookChannel, WeChatAccount
from complaints.models import Ticket
from tests import workers
from tests.complaints.portal_helpers import post_action
from tests.workers import wait_for

from .fake_platforms import start_callback_receiver, start_wechat
from .test_wechat import post, text_xml

pytestmark = workers.END_TO_END

TOKEN = "wx-token-123"
APP_ID = "wx1234567890abcdef"
APP_SECRET = "app-secret-of-the-account"
SECRET = "s3cret-webhook-key"


@pytest.fixture
def platforms():
    wechat = start_wechat(app_id=APP_ID, app_secret=APP_SECRET)
    receiver = start_callback_receiver(secret=SECRET)
    yield wechat, receiver
    wechat.server.shutdown()
    receiver.server.shutdown()


@pytest.fixture
def worker(platforms, tmp_path, monkeypatch):
    """A Celery worker on Redis sharing the test database; this process publishes to the same broker."""
    from channels_intake import tasks

    # The intake tests' stand-in for the broker (conftest: deliveries) is not wanted here: the real
    # worker sends them.
    monkeypatch.delattr(tasks.send_delivery, "delay", raising=False)

    wechat, _receiver = platforms
    prefix = f"intake-e2e-{os.getpid()}:"
    env = workers.worker_env(
        tmp_path,
        FEEDBACK_E2E_KEYPREFIX=prefix,
        WECHAT_API_BASE=wechat.base,
        OUTBOUND_ALLOWED_HOSTS="127.0.0.1",
    )
    command = workers.celery(
        "tests.feedback.celery_e2e_app",
        "worker",
        "-Q",
        "celery,intake,notifications",
        "--pool",
        "solo",
        *workers.QUIET_WORKER,
    )
    with (
        workers.publishing_to_worker(prefix),
        workers.running({"worker.log": command}, env=env, logs=tmp_path),
    ):
        yield platforms


def test_the_worker_sends_desk_replies_to_wechat_and_to_the_apps_callback(
    worker, client, agent, tmp_path, settings
):
    wechat, receiver = worker
    settings.INTAKE = {**settings.INTAKE, "WECHAT_API_BASE": wechat.base}
    WeChatAccount.objects.create(
        slug="service", name="Service", token=TOKEN, app_id=APP_ID, app_secret=APP_SECRET
    )
    WebhookChannel.objects.create(
        slug="app",
        name="App",
        channel="app",
        secret=SECRET,
        callback_url=receiver.url,
        callback_private_allowed=True,
    )
    post(client, text_xml("手机没信号三天了", msg_id="1"))
    body = json.dumps({"user_id": "u-42", "description": "支付时闪退"}).encode()
    stamp = str(int(timezone.now().timestamp()))
    client.post(
        "/intake/webhooks/app/",
        body,
        content_type="application/json",
        HTTP_X_TIMESTAMP=stamp,
        HTTP_X_SIGNATURE=webhooks.sign(secret=SECRET, timestamp=stamp, body=body),
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    team = agent.memberships.first().team
    Ticket.objects.update(team=team)
    client.force_login(agent)
    for ticket in Ticket.objects.order_by("pk"):
        post_action(client, ticket, "reply", body=f"已处理 {ticket.channel}")
    log = tmp_path / "worker.log"
    wait_for(lambda: wechat.sent, seconds=90, what="the WeChat customer-service message", logs=[log])
    wait_for(
        lambda: any(r["event"] == "reply" for r in receiver.received),
        seconds=60,
        what="the callback",
        logs=[log],
    )
    assert "已处理 wechat" in wechat.sent[0]["text"]["content"] and wechat.token_requests == 1
    reply = next(r for r in receiver.received if r["event"] == "reply")
    assert reply["user_id"] == "u-42" and "已处理 app" in reply["message"]["body"]
    assert receiver.refused == []
    wait_for(
        lambda: (
            set(OutboundMessage.objects.filter(purpose="reply").values_list("state", flat=True)) == {"sent"}
        ),
        seconds=30,
        what="the deliveries marked sent",
        logs=[log],
    )
