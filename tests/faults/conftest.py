"""The fault suite (`make faults`): real web, worker and beat processes on PostgreSQL and Redis, an SMTP
server of our own, and processes killed with SIGKILL at the moment that hurts.

Not part of `make test`: collected only with FAULTS=1 (the Makefile sets it). Every case records what
it lost and what it did twice in COUNTS; the run prints them at the end and writes them to
var/faults/report.json. The database is pytest-django's test database, created for the run and
dropped after it; each case is a transactional test (autocommit), so the other processes see
every row at once. Each case keeps to its own tickets and its own SMTP server, and its
Redis keys live under a prefix of their own in database 7.
"""

import asyncio
import contextlib
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings

from tests.workers import ROOT, redis_answers, shared_database_url

collect_ignore_glob = [] if os.environ.get("FAULTS") else ["test_*.py"]

REDIS_DB = "redis://127.0.0.1:6379/7"
REPORT = ROOT / "var" / "faults" / "report.json"
# name of the case -> {"lost": n, "duplicates": n, ...}
COUNTS: dict[str, dict[str, int]] = {}


def record(case: str, **counts: int) -> None:
    COUNTS[case] = counts


def pytest_terminal_summary(terminalreporter: object) -> None:
    if not COUNTS:
        return
    terminalreporter.section("faults: lost / done twice")
    for case, counts in COUNTS.items():
        terminalreporter.write_line(f"{case}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(COUNTS, indent=2, sort_keys=True) + "\n")


# Every case: committed rows the other processes see, the database emptied after it (the migrations'
# rows, such as the seeded SLA policies, restored).
FAULT_CASE = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _needs_postgres_and_redis() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "the fault suite shares its database with other processes: set DATABASE_URL to PostgreSQL"
        )
    if not redis_answers():
        pytest.skip("the fault suite needs Redis at 127.0.0.1:6379")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every accepted message; `delay` slows each DATA (a batch in flight)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[str] = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            self.recipients.extend(address.lower() for address in envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def by_recipient(self) -> Counter:
        with self.lock:
            return Counter(self.recipients)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def wait_for(
    condition: Callable[[], bool],
    *,
    seconds: float,
    what: str,
    procs: "Procs | None" = None,
    detail: Callable[[], object] = lambda: "",
) -> None:
    """Poll a condition the other processes make true; fail with `detail()` and the logs' tails."""
    give_up = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > give_up:
            tails = procs.tails() if procs else ""
            pytest.fail(f"{what} did not happen within {seconds}s: {detail()}\n{tails}")
        time.sleep(0.1)


class Procs:
    """Processes of one case, each in its own process group (SIGKILL takes a worker's children too)."""

    def __init__(self, tmp_path: Path, smtp_port: int, prefix: str) -> None:
        self.tmp_path = tmp_path
        self.running: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "1",
            "SECRET_KEY": django_settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(django_settings.FIELD_ENCRYPTION_KEYS),
            "BLIND_INDEX_KEY": django_settings.BLIND_INDEX_KEY,
            "DATABASE_URL": shared_database_url(),
            "CONN_MAX_AGE": "0",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": REDIS_DB,
            "BROKER_KEY_PREFIX": prefix,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "SITE_URL": "http://desk.example.test",
            "VAR_DIR": str(tmp_path / "var"),
            # Quiet by default; a case turns on the periodic job it is about.
            "SLA_SWEEP_SECONDS": "3600",
            "SURVEY_SEND_INTERVAL": "3600",
            "MAILBOX_POLL_INTERVAL": "3600",
            "OUTBOX_REQUEUE_INTERVAL": "3600",
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, name: str, argv: list[str], **env: str) -> subprocess.Popen:
        log = self.tmp_path / f"{name}.log"
        self.logs[name] = log
        with log.open("a") as out:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env={**self.env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running[name] = process
        return process

    def worker(self, name: str = "worker", **env: str) -> subprocess.Popen:
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.faults.celery_app",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
        ]
        argv += [
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--hostname",
            f"{name}@faults",
        ]
        process = self.start(name, argv, **env)
        wait_for(lambda: "ready." in self.log(name), seconds=40, what=f"{name} starting", procs=self)
        return process

    def beat(self, name: str = "beat", **env: str) -> subprocess.Popen:
        schedule = self.tmp_path / f"{name}-schedule"
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel",
            "INFO",
            "-s",
            str(schedule),
        ]
        return self.start(name, argv, **env)

    def web(self, name: str = "web", **env: str) -> str:
        """gunicorn with DEBUG off (the error pages a customer sees); returns its base URL."""
        port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        argv += ["--workers", "1", "--threads", "4", "--timeout", "30"]
        env = {
            "DJANGO_SETTINGS_MODULE": "tests.faults.web_settings",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "WEB_FORM_RATE_LIMIT": "10000",
            **env,
        }
        self.start(name, argv, **env)
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_for(answers, seconds=40, what=f"{name} listening", procs=self)
        return url

    def kill(self, name: str) -> None:
        """SIGKILL: no handler runs, nothing is acknowledged or released."""
        process = self.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    @contextlib.contextmanager
    def publishing_here(self, broker_url: str = REDIS_DB) -> Iterator[None]:
        """This test process publishes to the case's broker (its tasks reach the case's worker)."""
        from celery import current_app

        app = current_app._get_current_object()
        saved = app.conf.broker_url, app.conf.broker_transport_options
        app.conf.broker_url = broker_url
        app.conf.broker_transport_options = {
            "visibility_timeout": 3600,
            "global_keyprefix": self.env["BROKER_KEY_PREFIX"],
        }
        app._pool = None  # a pool made earlier in this process still points at memory://
        app.amqp._producer_pool = None
        try:
            yield
        finally:
            app.conf.broker_url, app.conf.broker_transport_options = saved
            app._pool = None
            app.amqp._producer_pool = None

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")

    def tails(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-4000:]}" for name in self.logs)

    def stop_all(self) -> None:
        for process in self.running.values():
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.running.clear()


@pytest.fixture
def procs(smtp, tmp_path, request) -> Iterator[Procs]:
    _inbox, port = smtp
    running = Procs(tmp_path, port, prefix=f"faults-{os.getpid()}-{request.node.name[:40]}:")
    try:
        yield running
    finally:
        running.stop_all()
        from django.db import connection

        connection.close()
