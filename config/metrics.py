"""/metrics: what an operator of several hosts watches, in Prometheus' text format.

- complaint_desk_queue_length{queue=...}: messages waiting in each Celery queue (Redis LLEN);
  growing while the workers are away or too few.
- complaint_desk_sla_sweep_lag_seconds: how long the oldest SLA clock that is due (a warning or a
  breach to fire) has waited for the sweep; a few sweep intervals at most when beat and the sla
  worker run.
- complaint_desk_outbox_queued / complaint_desk_outbox_oldest_seconds: outbound messages not yet
  delivered and the age of the oldest; growing when the notifications worker or the mail server is
  away.

Counts and ages only, never a ticket or a customer. Protected: with METRICS_TOKEN set, only a
request carrying `Authorization: Bearer <token>` is answered; without one, only the machine itself
(a loopback peer address; a forwarded header is not believed). Anyone else gets a plain 404.
"""

import hmac
import ipaddress

from django.conf import settings
from django.db.models import Min
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from channels_intake.models import OutboundMessage
from sla.models import SlaClock

from .celery import app

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Kombu's Redis transport keeps a message sent with a priority in a list of its own: name + sep + step.
PRIORITY_SEPARATOR = "\x06\x16"


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def queue_lengths() -> dict[str, int | None]:
    """LLEN of every Celery queue in the broker's Redis; None for each when the broker is not Redis
    or does not answer."""
    names = [queue.name for queue in app.conf.task_queues or []] or [app.conf.task_default_queue]
    if not str(app.conf.broker_url or "").startswith("redis"):
        return dict.fromkeys(names)
    import redis

    prefix = (app.conf.broker_transport_options or {}).get("global_keyprefix", "")
    steps = (app.conf.broker_transport_options or {}).get("priority_steps", [0, 3, 6, 9])
    try:
        client = redis.Redis.from_url(app.conf.broker_url, socket_connect_timeout=2, socket_timeout=2)
        pipe = client.pipeline()
        for name in names:
            for step in steps:
                pipe.llen(f"{prefix}{name}{PRIORITY_SEPARATOR}{step}" if step else f"{prefix}{name}")
        lengths = pipe.execute()
    except redis.RedisError:
        return dict.fromkeys(names)
    per_queue = len(steps)
    return {name: sum(lengths[i * per_queue : (i + 1) * per_queue]) for i, name in enumerate(names)}


def sweep_lag_seconds(now) -> float:
    oldest = SlaClock.objects.filter(stopped_at__isnull=True, next_alert_at__lte=now).aggregate(
        oldest=Min("next_alert_at")
    )["oldest"]
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def outbox(now) -> tuple[int, float]:
    undelivered = OutboundMessage.objects.filter(state=OutboundMessage.State.QUEUED)
    found = undelivered.aggregate(oldest=Min("created_at"))["oldest"]
    return undelivered.count(), max(0.0, (now - found).total_seconds()) if found else 0.0


def _gauge(name: str, help_text: str, samples: list[tuple[str, float | None]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in samples:
        lines.append(f"{name}{labels} {'NaN' if value is None else format(value, 'g')}")
    return lines


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        raise Http404
    now = timezone.now()
    queued, oldest = outbox(now)
    lines = [
        *_gauge(
            "complaint_desk_queue_length",
            "Messages waiting in a Celery queue.",
            [(f'{{queue="{name}"}}', length) for name, length in queue_lengths().items()],
        ),
        *_gauge(
            "complaint_desk_sla_sweep_lag_seconds",
            "Age of the oldest due SLA alert the sweep has not handled.",
            [("", round(sweep_lag_seconds(now), 3))],
        ),
        *_gauge("complaint_desk_outbox_queued", "Outbound messages not yet delivered.", [("", queued)]),
        *_gauge(
            "complaint_desk_outbox_oldest_seconds",
            "Age of the oldest outbound message not yet delivered.",
            [("", round(oldest, 3))],
        ),
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type=CONTENT_TYPE)
