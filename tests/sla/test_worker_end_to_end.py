"""The SLA sweep through a real Celery worker and a separate beat on Redis, mailing a real SMTP server:
a ticket under a one-minute target gets its warning and its breach e-mail exactly once each, the
breach escalates it on the timeline, and further sweeps fire nothing again."""

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
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

from complaints.events import EventKind
from complaints.models import Ticket, TicketEvent
from sla.models import BusinessCalendar, SlaAlert, SlaClock, SlaPolicy, SlaTarget
from tests.workers import REDIS, ROOT, redis_answers, shared_database_url

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    # Transactional, so the worker sees the rows; serialized_rollback restores the seeded policies after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker and beat processes need a database they can share (PostgreSQL)",
    ),
    pytest.mark.skipif(not redis_answers(), reason="needs Redis at 127.0.0.1:6379 for the broker"),
]


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
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str, logs: list[Path]) -> None:
    """Poll a condition the other processes make true (their speed varies; this is no deadline)."""
    give_up = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > give_up:
            tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs)
            pytest.fail(f"{what} did not happen within {seconds}s\n{tails}")
        time.sleep(0.2)


@pytest.fixture
def processes(smtp_server, tmp_path) -> Iterator[tuple[Inbox, list[Path]]]:
    """A Celery worker and a Celery beat (sweep every second) sharing the test database and Redis."""
    inbox, port = smtp_server
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(django_settings.FIELD_ENCRYPTION_KEYS),
        "BLIND_INDEX_KEY": django_settings.BLIND_INDEX_KEY,
        "DATABASE_URL": shared_database_url(),
        "REDIS_URL": "",
        "CELERY_BROKER_URL": REDIS,
        "SLA_E2E_KEYPREFIX": f"sla-e2e-{os.getpid()}:",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "SITE_URL": "http://desk.example.test",
        "SLA_SWEEP_SECONDS": "1",
        # The other periodic tasks stay out of the way of this test.
        "SURVEY_SEND_INTERVAL": "3600",
        "MAILBOX_POLL_INTERVAL": "3600",
        "VAR_DIR": str(tmp_path / "var"),
    }
    celery = [sys.executable, "-m", "celery", "-A", "tests.sla.celery_e2e_app"]
    commands = {
        "worker.log": [
            *celery,
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ],
        "beat.log": [*celery, "beat", "--loglevel", "INFO", "-s", str(tmp_path / "beat-schedule")],
    }
    started: list[tuple[subprocess.Popen, object]] = []
    try:
        for name, command in commands.items():
            log = (tmp_path / name).open("w")
            started.append(
                (
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    ),
                    log,
                )
            )
        yield inbox, [tmp_path / name for name in commands]
    finally:
        for process, _log in started:
            os.killpg(process.pid, signal.SIGTERM)
        for process, log in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()
        connection.close()


def test_worker_and_beat_warn_breach_and_escalate_exactly_once(processes, open_ticket, agent, lead):
    inbox, logs = processes
    worker_log = logs[0]
    calendar = BusinessCalendar.objects.create(
        slug="e2e-24x7", name="24x7", always_open=True, holiday_country=""
    )
    policy = SlaPolicy.objects.create(
        name="Seconds for the end-to-end test",
        position=1,
        match_kind=Ticket.Kind.COMPLAINT,
        match_complexity=Ticket.Complexity.SIMPLE,
        match_channel=Ticket.Channel.WEB,
        calendar=calendar,
        first_response_minutes=None,
        resolution_minutes=1,
        warning_thresholds="90",
        notify_assignee=True,
        notify_team_lead=True,
        raise_escalation=True,
    )
    wait_for(lambda: "ready." in worker_log.read_text(), seconds=30, what="the worker starting", logs=logs)

    # Targets are whole business minutes: the ticket opened 50 s ago, so its 1-minute resolution
    # target warns (90 % = 54 s) in about 4 s and breaches in about 10 s of real time.
    with time_machine.travel(timezone.now() - timedelta(seconds=50), tick=True):
        ticket = open_ticket()
    clock = SlaClock.objects.get(ticket=ticket)
    assert (clock.policy, clock.target) == (policy, SlaTarget.RESOLUTION)

    def events(kind: EventKind) -> int:
        return TicketEvent.objects.filter(ticket=ticket, kind=kind).count()

    # The worker runs the real settings, whose language is Chinese (the suite's is English).
    with translation.override("zh-hans"):
        subjects = {
            name: render_to_string(
                f"emails/{name}_subject.txt",
                {"ticket": ticket, "clock": clock, "alert": SlaAlert(clock=clock, threshold=threshold)},
            ).strip()
            for name, threshold in (("sla_warning", 90), ("sla_breached", SlaAlert.BREACH))
        }
    wait_for(
        # The third mail is the complaint core's escalation notice to the team lead.
        lambda: set(subjects.values()) <= set(inbox.subjects()) and len(inbox.subjects()) >= 3,
        seconds=40,
        what="the warning, breach and escalation e-mails",
        logs=logs,
    )
    assert sorted(SlaAlert.objects.filter(clock=clock).values_list("threshold", flat=True)) == [
        90,
        SlaAlert.BREACH,
    ]
    to = {str(message["Subject"]): str(message["To"]) for message in inbox.messages}
    assignee = Ticket.objects.get(pk=ticket.pk).assignee
    assert assignee is not None
    assert to[subjects["sla_warning"]] == assignee.email  # a warning goes to whoever has the ticket
    assert {assignee.email, lead.email} <= set(to[subjects["sla_breached"]].split(", "))
    assert Ticket.objects.get(pk=ticket.pk).escalation_level == ticket.escalation_level + 1

    def fired() -> dict[str, int]:
        sent = inbox.subjects()
        return {
            "warning mails": sent.count(subjects["sla_warning"]),
            "breach mails": sent.count(subjects["sla_breached"]),
            "all mails": len(sent),  # the escalation notice to the lead included
            "warnings": events(EventKind.SLA_WARNING),
            "breaches": events(EventKind.SLA_BREACHED),
            "escalations": events(EventKind.ESCALATED),
        }

    once = {
        "warning mails": 1,
        "breach mails": 1,
        "all mails": 3,
        "warnings": 1,
        "breaches": 1,
        "escalations": 1,
    }
    assert fired() == once

    # Beat keeps sweeping every second: a few more runs fire nothing again.
    def sweeps() -> int:
        return sum(
            "sla.tasks.sweep[" in line and "succeeded" in line for line in worker_log.read_text().splitlines()
        )

    runs = sweeps()
    wait_for(
        lambda: sweeps() >= runs + 3,
        seconds=20,
        what="three more sweeps",
        logs=logs,
    )
    assert fired() == once
