"""Server time and query count of the hot pages, measured in-process with Django's test client.

The time is the whole request through the middleware stack (session, auth, view, template),
what gunicorn would spend on it minus the socket. Each page is warmed up first, then timed
`runs` times without query capture; one more captured run gives its queries, which are also
run again under EXPLAIN (ANALYZE, BUFFERS) for bench/README.md.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from . import explain
from .stats import Metric, timed_metric

WARM_UP = 5


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
    for _ in range(runs):
        started = time.perf_counter()
        _get(client, page)
        samples.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        _get(client, page)
    plans[page.name] = explain.explain_captured(captured.captured_queries)
    return timed_metric(
        page.name,
        samples,
        limit_ms=page.limit_ms,
        queries=len(captured.captured_queries),
        query_limit=page.query_limit,
        note=page.note,
    )


def measure_pages(pages: list[Page], runs: int, plans: dict[str, list[dict]]) -> list[Metric]:
    return [measure_page(page, runs, plans) for page in pages]


def timed_calls(call: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of `runs` calls of `call` (after one warm-up call)."""
    call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples
