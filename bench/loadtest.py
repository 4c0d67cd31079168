"""Ticket creation under concurrent load: gunicorn on loopback, wrk POSTing the web form and the API.

gunicorn runs the production settings (DEBUG off) with several sync workers; wrk keeps
`connections` requests in flight for `duration` seconds, `runs` times per endpoint. Every
request carries a new customer and a new submission id, so each one opens a ticket; the
tickets actually created are counted in the database, not taken from wrk's word.
"""

import http.cookiejar
import json
import os
import signal
import statistics
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

import psycopg

from .config import BENCH_DIR, GUNICORN, ROOT, BenchSettings, django_env
from .stats import Metric, percentile

WRK_DIR = BENCH_DIR / "wrk"
MARKER = "BENCH-JSON "


@dataclass(frozen=True)
class Endpoint:
    name: str
    script: str
    channel: str  # the channel of the tickets it opens, to count them


ENDPOINTS = [
    Endpoint("Create via web form (POST /submit/)", "submit_form.lua", "web"),
    Endpoint("Create via API (POST /api/v1/tickets/)", "api_create.lua", "app"),
]


class Server:
    """gunicorn serving config.wsgi on loopback for the duration of a `with` block."""

    def __init__(self, bench: BenchSettings) -> None:
        self.bench = bench
        self.base = f"http://127.0.0.1:{bench.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        command = [
            str(GUNICORN),
            "config.wsgi",
            "--workers",
            str(self.bench.workers),
            "--bind",
            f"127.0.0.1:{self.bench.port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=django_env(self.bench))  # noqa: S603 - our argv
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/submit/", timeout=5) as response:  # noqa: S310 - http://
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise RuntimeError("gunicorn did not answer on /submit/ within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def csrf_token(self) -> str:
        """The csrftoken cookie /submit/ sets; sent back as cookie and form field by the wrk script."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{self.base}/submit/", timeout=10).close()  # only the cookie it sets is wanted
        for cookie in jar:
            if cookie.name == "csrftoken" and cookie.value:
                return cookie.value
        raise RuntimeError("/submit/ set no csrftoken cookie")


def _tickets(bench: BenchSettings, channel: str) -> int:
    with psycopg.connect(bench.database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM complaints_ticket WHERE channel = %s", [channel]
        ).fetchone()[0]


def run_wrk(
    bench: BenchSettings, server: Server, script: str, duration: int, env: dict[str, str]
) -> dict[str, Any]:
    """One wrk run; its JSON summary (requests, latency percentiles in ms, errors)."""
    command = [
        "wrk",
        "--threads",
        "2",
        "--connections",
        str(bench.connections),
        "--duration",
        f"{duration}s",
        "--timeout",
        "10s",
        "--script",
        str(WRK_DIR / script),
        server.base,
    ]
    wrk_env = {
        **os.environ,
        "BENCH_WRK_DIR": str(WRK_DIR),
        "BENCH_RUN_TAG": str(int(time.time())),
        **env,
    }
    done = subprocess.run(command, env=wrk_env, capture_output=True, text=True, check=True)  # noqa: S603
    output = done.stdout
    for line in output.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(f"wrk printed no summary:\n{output}")


def measure_endpoint(
    bench: BenchSettings, server: Server, endpoint: Endpoint, env: dict[str, str], runs: int
) -> Metric:
    run_wrk(bench, server, endpoint.script, 3, env)  # warm-up: every worker connected and imported
    rates, p95s, p50s, errors, details = [], [], [], 0, []
    for _ in range(runs):
        before = _tickets(bench, endpoint.channel)
        summary = run_wrk(bench, server, endpoint.script, bench.duration, env)
        created = _tickets(bench, endpoint.channel) - before
        rate = created / summary["duration_s"]
        rates.append(rate)
        p95s.append(summary["latency_ms"]["p95"])
        p50s.append(summary["latency_ms"]["p50"])
        errors += sum(summary["errors"].values())
        details.append({**summary, "tickets_created": created, "created_per_s": round(rate, 1)})
    rate, p95 = statistics.median(rates), statistics.median(p95s)
    return Metric(
        name=endpoint.name,
        unit="/s",
        median=round(rate, 1),
        p95=round(p95, 1),
        p95_unit="ms",
        target=">= 150 tickets/s, p95 < 150 ms",
        passed=rate >= 150 and p95 < 150 and errors == 0,
        runs=runs,
        note=(
            f"latency median {statistics.median(p50s):.1f} ms, p95 {p95:.1f} ms (worst run "
            f"{max(p95s):.1f}); {bench.connections} connections, {bench.workers} gunicorn workers; "
            f"{errors} errors; min rate {min(rates):.0f}/s, p95 of runs {percentile(rates, 0.95):.0f}/s"
        ),
        extra={"runs": details},
    )


def measure(bench: BenchSettings, token: str) -> list[Metric]:
    runs = int(os.environ.get("BENCH_LOAD_RUNS", "3"))
    with Server(bench) as server:
        env = {"BENCH_CSRF": server.csrf_token(), "BENCH_TOKEN": token}
        return [measure_endpoint(bench, server, endpoint, env, runs) for endpoint in ENDPOINTS]
