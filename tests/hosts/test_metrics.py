"""/metrics (issue 23): queue lengths, sweep lag and outbox age in Prometheus' text format, for the
operators only (METRICS_TOKEN, or the machine itself), and nothing about a ticket or a customer."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_intake.models import OutboundMessage
from config import metrics
from sla.models import SlaClock
from tests.complaints.api_helpers import open_ticket

pytestmark = pytest.mark.django_db


def sample(text: str, name: str, labels: str = "") -> float:
    found = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    assert found, (name, labels, text)
    return float(found.group(1))


def test_without_a_token_only_the_machine_itself_is_answered(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.7").status_code == 404
    # A forwarded address is not believed.
    assert (
        client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404
    )


def test_with_a_token_only_its_bearer_is_answered(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    response = client.get(
        "/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token", REMOTE_ADDR="10.0.0.7"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert client.post("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token").status_code == 405


def test_sweep_lag_and_outbox_age_are_ages_and_counts_only(client, settings, deliveries):
    settings.METRICS_TOKEN = "t"
    ticket = open_ticket(email="private.person@example.com", subject="SECRET-SUBJECT")
    now = timezone.now()
    clock = SlaClock.objects.filter(ticket=ticket, stopped_at__isnull=True).first()
    assert clock is not None
    SlaClock.objects.filter(pk=clock.pk).update(next_alert_at=now - timedelta(seconds=90))
    OutboundMessage.objects.filter(ticket=ticket).update(
        state=OutboundMessage.State.QUEUED, created_at=now - timedelta(seconds=300)
    )

    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()

    assert 90 <= sample(text, "complaint_desk_sla_sweep_lag_seconds") < 150
    assert (
        sample(text, "complaint_desk_outbox_queued") == OutboundMessage.objects.filter(ticket=ticket).count()
    )
    assert 300 <= sample(text, "complaint_desk_outbox_oldest_seconds") < 360
    assert "SECRET-SUBJECT" not in text and "private.person" not in text and ticket.reference not in text
    for line in text.splitlines():
        assert line.startswith("#") or re.match(
            r'^complaint_desk_[a-z_]+(\{queue="[a-z]+"\})? (\S+)$', line
        ), line


def test_nothing_due_and_nothing_queued_read_zero(client, settings):
    settings.METRICS_TOKEN = "t"
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert sample(text, "complaint_desk_sla_sweep_lag_seconds") == 0
    assert sample(text, "complaint_desk_outbox_queued") == 0
    assert sample(text, "complaint_desk_outbox_oldest_seconds") == 0


def test_queue_lengths_are_not_a_number_without_a_redis_broker(client, settings):
    settings.METRICS_TOKEN = "t"
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    for queue in ("celery", "intake", "notifications", "sla"):
        assert f'complaint_desk_queue_length{{queue="{queue}"}} NaN' in text


def test_queue_lengths_count_every_priority_list_of_a_redis_queue():
    import redis as redis_module

    from tests.workers import REDIS, redis_answers

    if not redis_answers():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    prefix = "metrics-test:"
    client = redis_module.Redis.from_url(REDIS)
    client.rpush(f"{prefix}sla", "a", "b")
    client.rpush(f"{prefix}sla{metrics.PRIORITY_SEPARATOR}3", "c")
    conf = metrics.app.conf
    saved = conf.broker_url, conf.broker_transport_options
    conf.broker_url, conf.broker_transport_options = REDIS, {"global_keyprefix": prefix}
    try:
        lengths = metrics.queue_lengths()
    finally:
        conf.broker_url, conf.broker_transport_options = saved
        client.delete(f"{prefix}sla", f"{prefix}sla{metrics.PRIORITY_SEPARATOR}3")
    assert lengths["sla"] == 3
    assert lengths["celery"] == 0
