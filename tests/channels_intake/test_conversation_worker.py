"""WeChat and an app's callback through a real Celery worker (issue 20): an agent answers on the desk,
the worker sends the customer-service message to the fake WeChat server (token fetched over HTTP) and
the signed reply to the app's callback receiver, which checks the signature itself."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from channels_intake import webhooks
from channels_intake.models import OutboundMessage, WebhookChannel, WeChatAccount
from complaints.models import Ticket
from tests.complaints.portal_helpers import post_action
from tests.workers import REDIS, ROOT, redis_answers, shared_database_url

from .fake_platforms import start_callback_receiver, start_wechat
from .test_wechat import post, text_xml

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker process needs a database it can share (PostgreSQL)",
    ),
    pytest.mark.skipif(not redis_answers(), reason="needs Redis at 127.0.0.1:6379 for the broker"),
]

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
    from config.celery import app

    # The intake tests' stand-in for the broker (conftest: deliveries) is not wanted here: the real
    # worker sends them.
    monkeypatch.delattr(tasks.send_delivery, "delay", raising=False)

    wechat, _receiver = platforms
    prefix = f"intake-e2e-{os.getpid()}:"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(django_settings.FIELD_ENCRYPTION_KEYS),
        "BLIND_INDEX_KEY": django_settings.BLIND_INDEX_KEY,
        "DATABASE_URL": shared_database_url(),
        "REDIS_URL": "",
        "CELERY_BROKER_URL": REDIS,
        "FEEDBACK_E2E_KEYPREFIX": prefix,
        "WECHAT_API_BASE": wechat.base,
        "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1",
        "VAR_DIR": str(tmp_path / "var"),
    }
    # This process publishes to the worker's broker (the suite's own is memory://); restored after.
    before = {
        "broker_url": app.conf.broker_url,
        "broker_transport_options": app.conf.broker_transport_options,
    }
    app.conf.update(broker_url=REDIS, broker_transport_options={"global_keyprefix": prefix})
    app._pool = None
    app.amqp._producer_pool = None  # a pool made earlier in this process still points at memory://
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.feedback.celery_e2e_app",
            "worker",
            "-Q",
            "celery,intake,notifications",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield platforms
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        app.conf.update(before)
        app._pool = None
        app.amqp._producer_pool = None
        connection.close()


def wait_for(condition, *, seconds: float, what: str, log) -> None:
    """Poll a condition another process makes true (not a deadline: the worker's speed varies)."""
    give_up = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > give_up:
            pytest.fail(f"{what} did not happen within {seconds}s; worker log:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


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
    wait_for(lambda: wechat.sent, seconds=90, what="the WeChat customer-service message", log=log)
    wait_for(
        lambda: any(r["event"] == "reply" for r in receiver.received),
        seconds=60,
        what="the callback",
        log=log,
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
        log=log,
    )
