"""The production deployment (Procfile, docs/deploy/): every task lands on a queue a production worker
consumes, the systemd units run what the Procfile runs, exactly one beat runs against a real Redis,
and the production Procfile under honcho serves the API and runs the tasks on their own workers."""

import importlib
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection

from complaints.models import Ticket
from config.celery import app
from tests.complaints.api_helpers import make_integration, ticket_payload
from tests.workers import REDIS, ROOT, redis_answers, shared_database_url

SYSTEMD = ROOT / "docs" / "deploy" / "systemd"
PROJECT_APPS = ("complaints.", "channels_intake.", "sla.", "feedback.")
needs_redis = pytest.mark.skipif(not redis_answers(), reason="needs Redis at 127.0.0.1:6379")


def procfile(name: str = "Procfile") -> dict[str, list[str]]:
    """Process type → its command split into words."""
    processes = {}
    for line in (ROOT / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            kind, command = line.split(":", 1)
            processes[kind.strip()] = shlex.split(command)
    return processes


def consumed_queues(command: list[str]) -> set[str] | None:
    """The queues a `celery worker` command consumes; None for a worker without --queues (all of them)."""
    for flag in ("--queues", "-Q"):
        if flag in command:
            return set(command[command.index(flag) + 1].split(","))
    return None


def project_tasks() -> list[str]:
    """Every task of the project's apps (the modules the worker's autodiscovery imports)."""
    for config in apps.get_app_configs():
        if f"{config.name}." not in PROJECT_APPS:
            continue
        for module in (f"{config.name}.tasks", f"{config.name}.customer.tasks"):
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as missing:
                if not module.startswith(missing.name or "?"):
                    raise
    return sorted(name for name in app.tasks if name.startswith(PROJECT_APPS))


def routed_queue(task: str) -> str:
    return app.amqp.router.route({}, task)["queue"].name


# --- the route table --------------------------------------------------------------------------


def test_tasks_are_routed_by_kind():
    assert {task: routed_queue(task) for task in project_tasks()} == {
        "channels_intake.customer.tasks.send_ticket_link": "notifications",
        "channels_intake.tasks.poll_mailboxes": "intake",
        "channels_intake.tasks.process_item": "intake",
        "channels_intake.tasks.send_delivery": "notifications",
        "complaints.tasks.close_stale_resolved_tickets": "celery",
        "complaints.tasks.notify_staff": "notifications",
        "feedback.tasks.notify_return_visit": "notifications",
        "feedback.tasks.send_due_surveys": "notifications",
        "sla.tasks.send_alert": "notifications",
        "sla.tasks.sweep": "sla",
    } | {task: "celery" for task in project_tasks() if task not in django_settings.CELERY_TASK_ROUTES}


def test_each_queue_is_bound_by_its_own_name():
    # A queue declared without its own routing key is bound with the default one ("celery"): Redis still
    # delivers by queue name, but on an AMQP broker (RabbitMQ) every worker would get a copy of every task.
    assert {name: queue.routing_key for name, queue in app.amqp.queues.items()} == {
        name: name for name in ("celery", "intake", "notifications", "sla")
    }


def test_every_task_lands_on_a_queue_a_production_worker_consumes():
    workers = {kind: consumed_queues(cmd) for kind, cmd in procfile().items() if "worker" in cmd}
    assert all(queues for queues in workers.values()), f"a production worker without --queues: {workers}"
    consumed = set().union(*workers.values())

    unconsumed = {task: routed_queue(task) for task in project_tasks() if routed_queue(task) not in consumed}
    assert not unconsumed, f"tasks no production worker would run: {unconsumed}"
    # Each queue has one worker of its own, so a flood of one kind cannot starve another.
    assert sorted(q for queues in workers.values() for q in queues) == sorted(consumed)


def test_the_development_worker_consumes_every_queue():
    [worker] = [cmd for cmd in procfile("Procfile.dev").values() if "worker" in cmd]
    # Without --queues a worker consumes every queue in CELERY_TASK_QUEUES.
    assert consumed_queues(worker) is None
    assert {routed_queue(task) for task in project_tasks()} <= set(app.amqp.queues)


def test_exactly_one_beat_in_the_procfile_and_the_units():
    beats = [kind for kind, cmd in procfile().items() if "beat" in cmd]
    assert beats == ["beat"]
    beat_unit = (SYSTEMD / "complaint-desk-beat.service").read_text()
    assert "celery --app config beat" in beat_unit and "Restart=always" in beat_unit


def test_systemd_units_run_what_the_procfile_runs():
    processes = procfile()
    target = (SYSTEMD / "complaint-desk.target").read_text()
    instances = set(re.findall(r"complaint-desk-worker@([\w-]+)\.service", target))
    worker_queues = {q for cmd in processes.values() if "worker" in cmd for q in consumed_queues(cmd)}
    assert instances == worker_queues
    worker_unit = (SYSTEMD / "complaint-desk-worker@.service").read_text()
    assert "celery --app config worker --queues %i" in worker_unit
    web_unit = (SYSTEMD / "complaint-desk-web.service").read_text()
    assert "gunicorn config.wsgi:application" in web_unit
    for unit in (
        "complaint-desk-web.service",
        "complaint-desk-worker@.service",
        "complaint-desk-beat.service",
    ):
        assert "EnvironmentFile=/etc/complaint-desk/env" in (SYSTEMD / unit).read_text()


def test_nginx_accepts_the_largest_upload_the_app_accepts():
    nginx = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    size = re.search(r"client_max_body_size\s+(\d+)m;", nginx)
    assert size and int(size.group(1)) * 1024 * 1024 > django_settings.ATTACHMENTS_TOTAL_MAX_BYTES
    # Evidence files are only served through the permission-checked views: nginx serves no files itself.
    directives = [line.split("#")[0] for line in nginx.splitlines()]
    assert not [line for line in directives if re.search(r"\b(alias|root|location\s+/media)\b", line)]


# --- processes ------------------------------------------------------------------------------------


def wait_for(condition: Callable[[], object], *, seconds: float, what: str, logs: list[Path]) -> None:
    """Poll a condition another process makes true (its speed varies with the machine's load)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs if log.exists())
            pytest.fail(f"{what} did not happen within {seconds}s\n{tails}")
        time.sleep(0.3)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


def drop_keys(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def beats(tmp_path) -> Iterator[Callable[..., tuple[subprocess.Popen, Path]]]:
    """Start `celery beat` processes of the project's app on the real Redis, under a key prefix of our own."""
    prefix = f"deploy-beat-{os.getpid()}:"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": "",
        "CELERY_BROKER_URL": REDIS,
        "BROKER_KEY_PREFIX": prefix,
        # Long enough that a beat slowed by a busy machine still renews in time, short enough to wait out.
        "BEAT_LOCK_TTL": "10",
    }
    started: list[subprocess.Popen] = []

    def start(name: str, **extra: str) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{name}.log"
        command = [sys.executable, "-m", "celery", "--app", "config", "beat", "--loglevel", "INFO"]
        command += ["--schedule", str(tmp_path / f"{name}-schedule")]
        with log.open("w") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env | extra,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)
        return process, log

    start.key = f"{prefix}complaint-desk:beat-lock"
    try:
        yield start
    finally:
        for process in started:
            stop(process, timeout=20)
        drop_keys(prefix)


@pytest.mark.e2e
@needs_redis
def test_a_second_beat_waits_and_takes_over_and_one_told_not_to_wait_exits(beats):
    first, first_log = beats("first")
    wait_for(
        lambda: "holding the beat lock" in first_log.read_text(),
        seconds=30,
        what="the first beat",
        logs=[first_log],
    )

    second, second_log = beats("second")
    wait_for(
        lambda: "another beat is running" in second_log.read_text(),
        seconds=30,
        what="the second beat noticing the first",
        logs=[second_log],
    )
    assert "so this one waits" in second_log.read_text()

    refused, refused_log = beats("refused", BEAT_LOCK_WAIT="0")
    assert refused.wait(timeout=30) == 1
    assert "exactly one beat may run per deployment, so this one exits" in refused_log.read_text()
    # The waiting beat queued nothing while the first one ran.
    assert "holding the beat lock" not in second_log.read_text()
    assert "Sending due task" not in second_log.read_text()

    # The first beat dies without releasing its lock: the second takes over once the lock expires.
    stop(first, signal.SIGKILL)
    wait_for(
        lambda: "holding the beat lock" in second_log.read_text(),
        seconds=45,
        what="the second beat taking over",
        logs=[second_log],
    )
    # Stopped cleanly, a beat releases the lock at once.
    assert stop(second) == 0
    assert redis.Redis.from_url(REDIS).get(beats.key) is None


@needs_redis
def test_a_beat_whose_lock_was_taken_over_stops(tmp_path):
    from config.beat import BeatLock, SingleBeatScheduler

    key = f"deploy-beat-{os.getpid()}-lost:complaint-desk:beat-lock"
    client = redis.Redis.from_url(REDIS)
    lock = BeatLock(client, key=key, ttl=30)
    try:
        assert lock.acquire()
        scheduler = SingleBeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
        scheduler.lock, scheduler._renewed_at = lock, 0.0
        # Its lock expired during an outage and another beat took it.
        client.set(key, "other-host:4242:cafe")
        with pytest.raises(SystemExit):
            scheduler._renew()
        assert client.get(key) == b"other-host:4242:cafe"  # the other beat keeps its lock
    finally:
        client.delete(key)


# --- the production Procfile under honcho -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(url: str, *, body: dict | None = None, token: str = "") -> tuple[int, str]:
    """A request as nginx forwards it (TLS terminated in front, X-Forwarded-Proto: https)."""
    headers = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="web and workers share the database (PostgreSQL)"
)
@needs_redis
def test_production_procfile_serves_and_runs_each_task_on_its_queue_worker(tmp_path):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=make_integration()).key
    port = free_port()
    prefix = f"deploy-e2e-{os.getpid()}:"
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": ",".join(django_settings.FIELD_ENCRYPTION_KEYS),
        "BLIND_INDEX_KEY": django_settings.BLIND_INDEX_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://desk.example.test",
        "DATABASE_URL": shared_database_url(),
        "REDIS_URL": REDIS,
        "CELERY_BROKER_URL": "",
        "BROKER_KEY_PREFIX": prefix,
        "EMAIL_URL": f"file://{mail_dir}",
        "VAR_DIR": str(tmp_path / "var"),
        "WEB_CONCURRENCY": "3",
        "INTAKE_CONCURRENCY": "1",
        "NOTIFICATIONS_CONCURRENCY": "1",
        "SLA_SWEEP_SECONDS": "2",
    }
    env.pop("TEST_CELERY_BROKER_URL", None)
    # The release step: static files into the manifest whitenoise serves with DEBUG off.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log = tmp_path / "honcho.log"
    with log.open("w") as out:
        honcho = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "honcho"),
                "--no-colour",
                "--procfile",
                "Procfile",
                "start",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        text = log.read_text
        wait_for(lambda: text().count("ready.") >= 4, seconds=90, what="four workers starting", logs=[log])
        wait_for(lambda: http(f"{base}/healthz")[0] == 200, seconds=60, what="/healthz answering", logs=[log])
        assert json.loads(http(f"{base}/healthz")[1]) == {"status": "ok"}
        assert len(re.findall(r"Booting worker with pid", text())) == 3

        status, body = http(f"{base}/api/v1/tickets/", body=ticket_payload(channel="email"), token=token)
        assert status == 201, body
        reference = json.loads(body)["reference"]
        assert Ticket.objects.filter(reference=reference).exists()
        # The customer's form renders with the collected static files; those are served too.
        status, page = http(f"{base}/submit/")
        assert status == 200
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page).group(1)
        assert http(f"{base}{stylesheet}")[0] == 200

        def worker_lines(kind: str, task: str) -> list[str]:
            """Lines of one process about runs of a task (honcho prefixes "HH:MM:SS <process>.<n> | ")."""
            return [
                line
                for line in text().splitlines()
                if f" {kind}." in line.split("|")[0] and f"{task}[" in line
            ]

        wait_for(
            lambda: any(
                "succeeded" in line for line in worker_lines("worker-notifications", "send_delivery")
            ),
            seconds=60,
            what="the acknowledgement sent by the notifications worker",
            logs=[log],
        )
        [mail] = list(mail_dir.iterdir())
        assert reference in mail.read_text()
        wait_for(
            lambda: any("succeeded" in line for line in worker_lines("worker-sla", "sla.tasks.sweep")),
            seconds=60,
            what="the SLA sweep run by the sla worker",
            logs=[log],
        )
        # Each task ran on its queue's worker only.
        assert not worker_lines("worker-sla", "send_delivery") and not worker_lines(
            "worker-intake", "send_delivery"
        )
        assert not worker_lines("worker-notifications", "sla.tasks.sweep")
        assert any("holding the beat lock" in line for line in text().splitlines() if " beat." in line)
    finally:
        stop(honcho, timeout=40)
        drop_keys(prefix)
        connection.close()
    assert "Traceback" not in log.read_text()
