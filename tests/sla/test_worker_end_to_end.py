"""The SLA sweep through a real Celery worker and a separate beat on Redis, mailing a real SMTP server:
a ticket under a one-minute target gets its warning and its breach e-mail exactly once each, the
breach escalates it on the timeline, and further sweeps fire nothing again."""

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.template.loader import render_to_string
from django.utils import timezone, translation

from complaints.events import EventKind
from complaints.models import Ticket, TicketEvent
from sla.models import BusinessCalendar, SlaAlert, SlaClock, SlaPolicy, SlaTarget
from tests import workers
from tests.workers import smtp_server, wait_for  # noqa: F401  (the SMTP server fixture)

pytestmark = workers.END_TO_END


@pytest.fixture
def processes(smtp_server, tmp_path) -> Iterator[tuple[workers.Inbox, list[Path]]]:  # noqa: F811
    """A Celery worker and a Celery beat (sweep every second) sharing the test database and Redis."""
    inbox, port = smtp_server
    env = workers.worker_env(
        tmp_path,
        SLA_E2E_KEYPREFIX=f"sla-e2e-{os.getpid()}:",
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        SITE_URL="http://desk.example.test",
        SLA_SWEEP_SECONDS="1",
        # The other periodic tasks stay out of the way of this test.
        SURVEY_SEND_INTERVAL="3600",
        MAILBOX_POLL_INTERVAL="3600",
    )
    app = "tests.sla.celery_e2e_app"
    commands = {
        "worker.log": workers.celery(
            app, "worker", "--pool", "solo", *workers.QUIET_WORKER, "--without-heartbeat"
        ),
        "beat.log": workers.celery(app, "beat", "--loglevel", "INFO", "-s", str(tmp_path / "beat-schedule")),
    }
    with workers.running(commands, env=env, logs=tmp_path) as logs:
        yield inbox, logs


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
