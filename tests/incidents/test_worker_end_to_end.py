"""Resolve-all at 500 linked tickets through a real Celery worker on Redis and a real SMTP server: the
request returns at once, the worker resolves every ticket with its own remedy and mails every customer
their resolution exactly once, in their language. (PostgreSQL: DATABASE_URL=postgres://… pytest …)"""

import os
import time
from collections import Counter
from decimal import Decimal

import pytest

from complaints.models import Resolution, Ticket
from complaints.states import Status
from incidents import services
from incidents.models import Incident, IncidentLink
from tests import workers
from tests.factories import CustomerFactory, RootCauseFactory, TicketFactory
from tests.workers import smtp_server, wait_for  # noqa: F401  (the SMTP server fixture)

pytestmark = workers.END_TO_END

TICKETS = 500


@pytest.fixture
def worker(smtp_server, tmp_path):  # noqa: F811
    """A Celery worker (two processes) on Redis under a key prefix of its own, sharing the test database
    and sending to the SMTP server; this process publishes to the same broker while the test runs."""
    inbox, port = smtp_server
    prefix = f"incidents-e2e-{os.getpid()}:"
    env = workers.worker_env(
        tmp_path,
        BROKER_KEY_PREFIX=prefix,
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        SITE_URL="http://desk.example.test",
    )
    commands = {"worker.log": workers.celery("config", "worker", "--concurrency", "2", *workers.QUIET_WORKER)}
    with workers.running(commands, env=env, logs=tmp_path) as logs, workers.publishing_to_worker(prefix):
        yield inbox, logs[0]


def test_resolve_all_at_500_tickets_tells_each_customer_once_with_their_own_remedy(worker, supervisor):
    inbox, log = worker
    cause = RootCauseFactory(slug="base-station", name_zh="基站故障", name_en="Base station failure")
    incident = services.create_incident(
        actor=supervisor,
        title_zh="海淀区基站故障",
        title_en="Base station failure in Haidian",
        notice_zh="海淀区部分用户无法上网。",
        status=Incident.Status.CONFIRMED,
    )
    customers = [
        CustomerFactory(email=f"c{i}@example.com", preferred_language="en" if i % 2 else "zh-hans")
        for i in range(TICKETS)
    ]
    tickets = [TicketFactory(customer=customer, status=Status.IN_PROGRESS) for customer in customers]
    IncidentLink.objects.bulk_create(
        [
            IncidentLink(
                incident=incident,
                ticket=ticket,
                remedy=Resolution.Remedy.COMPENSATION if i % 5 == 0 else Resolution.Remedy.APOLOGY,
                amount=Decimal("5.00") if i % 5 == 0 else Decimal("0"),
            )
            for i, ticket in enumerate(tickets)
        ]
    )

    started = time.monotonic()
    services.resolve_incident(
        incident_id=incident.pk, actor=supervisor, root_cause=cause, steps_taken="更换了基站电源。"
    )
    assert time.monotonic() - started < 2  # the request only queues the chunks

    wait_for(lambda: len(inbox.messages) >= TICKETS, seconds=120, what="500 resolution e-mails", logs=[log])
    elapsed = time.monotonic() - started
    time.sleep(1)  # anything sent twice would arrive now
    recipients = Counter(str(message["To"]) for message in inbox.messages)
    assert len(recipients) == TICKETS and set(recipients.values()) == {1}  # each customer once
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], status=Status.RESOLVED).count() == TICKETS
    resolutions = Resolution.objects.filter(ticket__in=tickets)
    assert resolutions.count() == TICKETS
    assert resolutions.filter(remedy=Resolution.Remedy.COMPENSATION, amount=Decimal("5.00")).count() == 100
    assert set(resolutions.values_list("root_cause_id", flat=True)) == {cause.pk}
    english = next(m for m in inbox.messages if str(m["To"]) == "c1@example.com")
    chinese = next(m for m in inbox.messages if str(m["To"]) == "c0@example.com")
    assert "Base station failure" in english.get_body(preferencelist=("plain",)).get_content()
    assert "基站故障" in chinese.get_body(preferencelist=("plain",)).get_content()
    # The target is under 60 s on an idle machine (two worker processes); measured 111 s at a load
    # average of 8.8 on two cores. Printed, not asserted: a busy CI machine is no measurement.
    print(f"resolve-all of {TICKETS} linked tickets, all mailed: {elapsed:.1f} s")
