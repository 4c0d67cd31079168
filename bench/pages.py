"""Server time and query count of the hot pages, measured in-process with Django's test client.

The time is the whole request through the middleware stack (session, auth, view, template),
what gunicorn would spend on it minus the socket. Each page is warmed up first, then timed
`runs` times without query capture; one more captured run gives its queries, which are also
run again under EXPLAIN (ANALYZE, BUFFERS) for bench/README.md.
"""

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from . import explain
from .stats import Metric, timed_metric

WARM_UP = 5
MIN_RUNS = 10
# Time per page after which timing stops (once MIN_RUNS are in): a 2-second page needs no 50 runs.
PAGE_SECONDS = float(os.environ.get("BENCH_PAGE_SECONDS", "60"))


@dataclass(frozen=True)
class Page:
    """One page the bench times: who asks for which URL, and what it must cost."""

    name: str
    user: AbstractBaseUser
    url: str
    limit_ms: float
    query_limit: int | None
    headers: dict[str, str] | None = None
    note: str = ""
    informational: bool = False  # measured for the picture, no target of its own


def _client(user: AbstractBaseUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, page: Page) -> None:
    response = client.get(page.url, headers=page.headers or {})
    if response.status_code != 200:
        raise RuntimeError(f"{page.name}: GET {page.url} answered {response.status_code}")


def measure_page(page: Page, runs: int, plans: dict[str, list[dict]]) -> Metric:
    """Time one page `runs` times; record its query count and its queries' plans under plans[page.name]."""
    client = _client(page.user)
    for _ in range(WARM_UP):
        _get(client, page)
    samples = []
    budget = time.perf_counter() + PAGE_SECONDS
    for _ in range(runs):
        started = time.perf_counter()
        _get(client, page)
        samples.append((time.perf_counter() - started) * 1000)
        if len(samples) >= MIN_RUNS and started > budget:
            break  # a slow page: its median is clear long before `runs` requests
    with CaptureQueriesContext(connection) as captured:
        _get(client, page)
    plans[page.name] = explain.explain_captured(captured.captured_queries)
    metric = timed_metric(
        page.name,
        samples,
        limit_ms=page.limit_ms,
        queries=len(captured.captured_queries),
        query_limit=page.query_limit,
        note=page.note,
    )
    if page.informational:
        metric.target, metric.passed = "(no target: for the picture)", None
    return metric


# The desk's search box at 10^6 tickets (complaints.search): a two-character Chinese word and an
# English word, over everything the user may see. 退款 and refund are in about one seed_demo
# ticket in twelve (billing's: agent1 may see almost none of them, which makes the search look
# through every window of ids); 信号 (no signal) in another twelfth.
SEARCH_TERMS = [
    ("Chinese 2-char word 退款", "退款"),
    ("Chinese 2-char word 信号", "信号"),
    ("English word", "refund"),
]
SEARCH_MS = 100


def search_pages(agent: AbstractBaseUser, supervisor: AbstractBaseUser) -> list[Page]:
    """The queue page answering a search (first page), for an agent and for a supervisor."""
    return [
        Page(f"Search: {label} ({who})", user, f"/desk/?{urlencode({'q': term})}", SEARCH_MS, None)
        for label, term in SEARCH_TERMS
        for who, user in (("agent", agent), ("supervisor", supervisor))
    ]


def measure_pages(pages: list[Page], runs: int, plans: dict[str, list[dict]]) -> list[Metric]:
    return [measure_page(page, runs, plans) for page in pages]


def measure_queue_recount(user: AbstractBaseUser, runs: int) -> Metric:
    """The queue counts with the shared team counts recomputed: what one page view pays once per
    COMPLAINTS["QUEUE_COUNTS_SECONDS"] for every agent (the pages above mostly find them cached)."""
    from django.core.cache import cache

    from complaints import selectors

    def recount() -> None:
        cache.delete(selectors.TEAM_QUEUE_COUNTS_KEY)
        selectors.queue_counts(user)

    metric = timed_metric(
        "Queue counts recomputed (shared, once per 15 s)", timed_calls(recount, runs), limit_ms=0
    )
    metric.target, metric.passed = "(no target: for the picture)", None
    return metric


def timed_calls(call: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of `runs` calls of `call` (after one warm-up call)."""
    call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def submission_form(number: int, token: str) -> dict[str, str]:
    """A complete /submit/ form from a new customer (so it opens a ticket, not a repeat)."""
    return {
        "csrfmiddlewaretoken": token,
        "name": f"测试用户 {number}",
        "email": f"inprocess.{number}.{uuid.uuid4().hex[:8]}@example.org",
        "location": "北京市朝阳区",
        "subject": f"宽带断网 {number}",
        "description": "从昨天晚上开始宽带一直掉线，重启光猫也没有用。Broadband keeps dropping.",
        "desired_outcome": "尽快修好",
        "consent": "on",
        "submission_id": str(uuid.uuid4()),
    }


def measure_submission(runs: int, plans: dict[str, list[dict]]) -> Metric:
    """POST /submit/ in-process, a new complaint each time (the ticket is opened within the request)."""
    client = Client(enforce_csrf_checks=True)
    client.get("/submit/")
    token = client.cookies["csrftoken"].value

    def post(number: int) -> None:
        response = client.post("/submit/", submission_form(number, token))
        if response.status_code != 302:
            raise RuntimeError(f"POST /submit/ answered {response.status_code}")

    for number in range(WARM_UP):
        post(number)
    samples = []
    for number in range(runs):
        started = time.perf_counter()
        post(WARM_UP + number)
        samples.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        post(WARM_UP + runs)
    plans["Public submission"] = explain.explain_captured(captured.captured_queries)
    metric = timed_metric(
        "Public submission (POST /submit/, in-process)",
        samples,
        limit_ms=0,
        queries=len(captured.captured_queries),
    )
    metric.target, metric.passed = "(throughput target: see the load test)", None
    return metric
