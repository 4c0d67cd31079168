"""What the end-to-end tests that start real Celery processes share: Redis, the test database, the
processes' environment, starting and stopping them, pointing this process at their broker, waiting
for what they do, and a real SMTP server to send to."""

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
REDIS = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


# The module marks of a test that runs real worker processes: transactional, so the worker sees the
# rows (serialized_rollback restores the seeded ones after); PostgreSQL and Redis, or skipped.
END_TO_END = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker process needs a database it can share (PostgreSQL)",
    ),
    pytest.mark.skipif(not redis_answers(), reason="needs Redis at 127.0.0.1:6379 for the broker"),
]


def shared_database_url() -> str:
    """DATABASE_URL of the test database, so a worker process sees the rows the test commits."""
    database = connection.settings_dict
    return (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )


def worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a worker or beat process: this test's keys and database, Redis as the broker
    (no cache), its own VAR_DIR; `extra` adds or overrides variables."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(django_settings.FIELD_ENCRYPTION_KEYS),
        "BLIND_INDEX_KEY": django_settings.BLIND_INDEX_KEY,
        "DATABASE_URL": shared_database_url(),
        "REDIS_URL": "",
        "CELERY_BROKER_URL": REDIS,
        "VAR_DIR": str(tmp_path / "var"),
        **extra,
    }


def celery(app: str, *arguments: str) -> list[str]:
    """A `celery -A app ...` command line run by this interpreter."""
    return [sys.executable, "-m", "celery", "-A", app, *arguments]


# A worker that starts fast and talks to no other worker.
QUIET_WORKER = ["--loglevel", "INFO", "--without-mingle", "--without-gossip"]


@contextmanager
def running(commands: dict[str, list[str]], *, env: dict[str, str], logs: Path) -> Iterator[list[Path]]:
    """Start each command (by its log file's name, under `logs`), yield the log paths; then stop them
    all (SIGTERM to each process group, SIGKILL after `STOP_SECONDS`) and close this process's
    database connection (the test database is dropped after)."""
    started: list[tuple[subprocess.Popen, object]] = []
    try:
        for name, command in commands.items():
            log = (logs / name).open("w")
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            started.append((process, log))
        yield [logs / name for name in commands]
    finally:
        for process, _log in started:
            os.killpg(process.pid, signal.SIGTERM)
        for process, log in started:
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()
        connection.close()


STOP_SECONDS = 30


@contextmanager
def publishing_to_worker(prefix: str) -> Iterator[None]:
    """This process's Celery app publishes to the worker's broker (Redis, under `prefix`) instead of the
    suite's memory://; restored after. The connection and producer pools are dropped both ways: a
    pool made earlier still points at the old broker."""
    from config.celery import app

    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = REDIS
    app.conf.broker_transport_options = {"visibility_timeout": 3600, "global_keyprefix": prefix}
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = saved
        app._pool = None
        app.amqp._producer_pool = None


def wait_for(condition: Callable[[], object], *, seconds: float, what: str, logs: list[Path]) -> None:
    """Poll a condition the other processes make true (their speed varies; this is no deadline)."""
    give_up = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > give_up:
            tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs)
            pytest.fail(f"{what} did not happen within {seconds}s\n{tails}")
        time.sleep(0.2)


class Inbox:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(message["Subject"]) for message in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a free local port (the worker processes send to it): its inbox and port."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
