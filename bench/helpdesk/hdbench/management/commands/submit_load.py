"""Public submissions under concurrent load: gunicorn on loopback, wrk POSTing django-helpdesk's form.

The same method as the project's bench/loadtest.py: gunicorn with BENCH_WORKERS (4) sync workers
and DEBUG off, wrk with 2 threads keeping BENCH_CONNECTIONS (16) requests in flight for
BENCH_DURATION (30) seconds, BENCH_LOAD_RUNS (3) times after a 3-second warm-up. Every request
carries a new title and e-mail, so each opens a ticket; the tickets created are counted in the
database, then deleted. The result is added to the JSON that measure_bench wrote.
"""

import http.cookiejar
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from helpdesk.models import Queue, Ticket

MARKER = "BENCH-JSON "
TITLE = "Bench load "
SCRIPT = Path(settings.BASE_DIR) / "wrk" / "submit.lua"


class Server:
    """gunicorn serving hdbench.wsgi for the duration of a `with` block."""

    def __init__(self, port: int, workers: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [
            str(gunicorn),
            "hdbench.wsgi",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ]
        self.process = subprocess.Popen(command, cwd=settings.BASE_DIR)  # noqa: S603 - our argv
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/", timeout=5) as response:  # noqa: S310 - http://
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise CommandError("gunicorn did not answer within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def csrf_token(self) -> str:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{self.base}/", timeout=10).close()  # only the cookie it sets is wanted
        for cookie in jar:
            if cookie.name == "csrftoken" and cookie.value:
                return cookie.value
        raise CommandError("the public home page set no csrftoken cookie")


def run_wrk(server: Server, connections: int, duration: int, env: dict[str, str]) -> dict:
    command = [
        "wrk",
        "--threads",
        "2",
        "--connections",
        str(connections),
        "--duration",
        f"{duration}s",
        "--timeout",
        "10s",
        "--script",
        str(SCRIPT),
        server.base,
    ]
    wrk_env = {**os.environ, "BENCH_RUN_TAG": str(time.time_ns() // 1000), **env}
    done = subprocess.run(command, env=wrk_env, capture_output=True, text=True, check=True)  # noqa: S603
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise CommandError(f"wrk printed no summary:\n{done.stdout}")


class Command(BaseCommand):
    help = "Public ticket submissions per second under concurrent load (gunicorn + wrk)."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="the JSON written by measure_bench, to extend")

    def handle(self, *args, **options):
        duration = int(os.environ.get("BENCH_DURATION", "30"))
        connections = int(os.environ.get("BENCH_CONNECTIONS", "16"))
        workers = int(os.environ.get("BENCH_WORKERS", "4"))
        runs = int(os.environ.get("BENCH_LOAD_RUNS", "3"))
        port = int(os.environ.get("BENCH_HELPDESK_PORT", "8765"))
        queue = Queue.objects.get(slug="billing")
        rates, p50s, p95s, errors, details = [], [], [], 0, []
        try:
            with Server(port, workers) as server:
                env = {"BENCH_CSRF": server.csrf_token(), "BENCH_QUEUE": str(queue.id)}
                run_wrk(server, connections, 3, env)  # warm-up
                for _ in range(runs):
                    before = Ticket.objects.filter(title__startswith=TITLE).count()
                    summary = run_wrk(server, connections, duration, env)
                    created = Ticket.objects.filter(title__startswith=TITLE).count() - before
                    rate = created / summary["duration_s"]
                    rates.append(rate)
                    p50s.append(summary["latency_ms"]["p50"])
                    p95s.append(summary["latency_ms"]["p95"])
                    errors += sum(summary["errors"].values())
                    details.append({**summary, "tickets_created": created, "created_per_s": round(rate, 1)})
        finally:
            Ticket.objects.filter(title__startswith=TITLE).delete()
        metric = {
            "created_per_s": round(statistics.median(rates), 1),
            "p50_ms": round(statistics.median(p50s), 1),
            "p95_ms": round(statistics.median(p95s), 1),
            "errors": errors,
            "connections": connections,
            "workers": workers,
            "duration_s": duration,
            "runs": details,
        }
        path = Path(options["out"])
        result = json.loads(path.read_text())
        result["metrics"]["public_submit_load"] = metric
        path.write_text(json.dumps(result, indent=2) + "\n")
        self.stdout.write(
            f"public_submit_load: {metric['created_per_s']} tickets/s, latency p50 {metric['p50_ms']} ms, "
            f"p95 {metric['p95_ms']} ms, {errors} errors ({connections} connections, {workers} workers)"
        )
