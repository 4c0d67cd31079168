"""Fixed-window attempt counters in the Django cache, for the public pages' rate limits.

The cache is shared by every web process (Redis, or the file cache of the embedded demo),
so a limit holds across workers.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    """`count` attempts per `window` seconds for one subject (an IP, a reference, a ticket)."""

    scope: str
    subject: str
    count: int
    window: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window that refused resets; 0 when allowed


def _key(limit: Limit, now: float) -> str:
    # Hashed so any subject (an IPv6 address, a token) makes a short, safe cache key.
    subject = hashlib.sha256(limit.subject.encode()).hexdigest()[:32]
    return f"public-rl:{limit.scope}:{subject}:{int(now // limit.window)}"


def hit(*limits: Limit) -> Verdict:
    """Count one attempt against every limit; refused when any of them is over its count."""
    now = time.time()
    retry_after = 0
    for limit in limits:
        key = _key(limit, now)
        if cache.add(key, 1, timeout=limit.window + 1):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # the window ended between add and incr
                cache.add(key, 1, timeout=limit.window + 1)
                count = 1
        if count > limit.count:
            retry_after = max(retry_after, limit.window - int(now % limit.window))
    return Verdict(allowed=retry_after == 0, retry_after=retry_after)


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind N trusted proxies (API_NUM_PROXIES), the Nth from the right."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def track_limits(request: HttpRequest, reference: str) -> list[Limit]:
    """The /track/ limits: per client IP and per reference looked up."""
    conf = settings.COMPLAINTS
    window = conf["TRACK_WINDOW_SECONDS"]
    return [
        Limit("track-ip", client_ip(request), conf["TRACK_ATTEMPTS_PER_IP"], window),
        Limit("track-ref", reference, conf["TRACK_ATTEMPTS_PER_REFERENCE"], window),
    ]


def web_form_limit(request: HttpRequest) -> Limit:
    """Complaints submitted through the public form, per client IP (behind a proxy: the forwarded one)."""
    intake = settings.INTAKE
    return Limit(
        "web-form", client_ip(request), intake["WEB_FORM_RATE_LIMIT"], intake["WEB_FORM_RATE_WINDOW"]
    )


def customer_post_limits(request: HttpRequest, reference: str) -> list[Limit]:
    """Limits on what a customer posts on a ticket page: per ticket and per client IP."""
    conf = settings.COMPLAINTS
    window, count = conf["CUSTOMER_POST_WINDOW_SECONDS"], conf["CUSTOMER_POSTS_PER_WINDOW"]
    return [
        Limit("post-ticket", reference, count, window),
        Limit("post-ip", client_ip(request), count * 3, window),
    ]
