"""Bench of a major incident at scale (issue 17): one public update fanned out to N linked tickets, and
resolve-all of them, each through the same task bodies the worker runs (incidents.tasks), in chunks.

    .venv/bin/python -m bench.incidents_fanout --database postgres://…/bench_desk --tickets 10000

Prints the request times (posting the update, resolving the incident: they only queue chunks) and the
work the chunks do (one worker process, serially; N workers divide it), with the statements each
took and the load average. It adds its own customers, tickets (with their SLA clocks, as the demo
loader makes them) and incident, marked "bench-incident", into the database given (`--database`,
else DATABASE_URL: an existing big one works, its own rows are left alone) and removes them
afterwards; the outbound deliveries the work queues are recorded, not sent (no broker or mail server
is needed).
"""

import argparse
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="database URL to run in (default: BENCH_DATABASE_URL, else DATABASE_URL)",
    )
    return parser.parse_args()


# Parsed before Django starts: the database is chosen from the environment when settings load.
ARGS = _arguments() if __name__ == "__main__" else None
if ARGS is not None and ARGS.database:
    os.environ["DATABASE_URL"] = ARGS.database

import django  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.db import transaction  # noqa: E402
from django.db.backends.base.base import BaseDatabaseWrapper  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

MARK = "bench-incident"


def _seed(count: int):
    from django.contrib.auth import get_user_model

    from complaints import pii
    from complaints.events import tickets_bulk_loaded
    from complaints.models import Customer, Resolution, RootCause, Ticket
    from complaints.states import Status
    from incidents.models import Incident, IncidentLink

    supervisor, _ = get_user_model().objects.get_or_create(
        username=f"{MARK}-supervisor-{os.getpid()}", defaults={"is_staff": True, "is_superuser": True}
    )
    cause = RootCause.objects.order_by("pk").first()
    customers = Customer.objects.bulk_create(
        [
            Customer(
                name=f"{MARK} {i}",
                email=f"{MARK}-{i}@example.com",
                email_index=pii.blind_index("email", f"{MARK}-{i}@example.com"),
                preferred_language="en" if i % 2 else "zh-hans",
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                customer=customer,
                channel=Ticket.Channel.WEB,
                subject=f"{MARK} 宽带断网",
                description="家里宽带断网了。",
                status=Status.IN_PROGRESS,
                language=customer.preferred_language,
            )
            for customer in customers
        ],
        batch_size=1000,
    )
    # Their SLA clocks, as seed_demo makes them for bulk-loaded tickets (the replies and resolutions stop them).
    for start in range(0, len(tickets), 1000):
        tickets_bulk_loaded.send(sender=Ticket, ticket_ids=[t.pk for t in tickets[start : start + 1000]])
    incident = Incident.objects.create(
        title_zh=MARK, title_en=MARK, status=Incident.Status.CONFIRMED, started_at=timezone.now()
    )
    IncidentLink.objects.bulk_create(
        [
            IncidentLink(
                incident=incident,
                ticket=ticket,
                remedy=Resolution.Remedy.COMPENSATION if i % 5 == 0 else Resolution.Remedy.APOLOGY,
                amount=Decimal("5.00") if i % 5 == 0 else Decimal("0"),
            )
            for i, ticket in enumerate(tickets)
        ],
        batch_size=1000,
    )
    return supervisor, cause, incident, tickets


def _clean(supervisor, incident, tickets) -> None:
    from complaints.models import Customer, Ticket, TicketEvent

    with transaction.atomic():
        ids = [ticket.pk for ticket in tickets]
        customer_ids = [ticket.customer_id for ticket in tickets]
        # Events are append-only through the model; the bench removes its own rows with a raw delete.
        TicketEvent.objects.filter(ticket_id__in=ids)._raw_delete(TicketEvent.objects.db)
        incident.delete()
        Ticket.objects.filter(pk__in=ids).delete()
        Customer.objects.filter(pk__in=customer_ids).delete()  # names and contacts are encrypted
        supervisor.delete()


class StatementCounter:
    """Counts the statements run on the connection (CaptureQueriesContext keeps only the last 9000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
        self.count += 1
        return execute(sql, params, many, context)

    def __len__(self) -> int:
        return self.count


def _counted(connection: BaseDatabaseWrapper) -> tuple[StatementCounter, AbstractContextManager]:
    counter = StatementCounter()
    return counter, connection.execute_wrapper(counter)


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _existing_tickets() -> int:
    from complaints.models import Ticket

    return Ticket.objects.count()


def _queued(monkeypatched: dict[str, list]) -> None:
    """Record the tasks the services queue instead of publishing them (no broker needed)."""
    from channels_intake import tasks as intake_tasks
    from incidents import tasks

    for module, name in (
        (tasks, "deliver_update"),
        (tasks, "resolve_linked"),
        (intake_tasks, "send_delivery"),
    ):
        task = getattr(module, name)
        queue = monkeypatched.setdefault(name, [])
        task.delay = lambda *args, _queue=queue: _queue.append(args)
        task.delay_on_commit = lambda *args, _queue=queue: transaction.on_commit(lambda: _queue.append(args))


def main() -> None:
    args = ARGS or _arguments()
    from django.db import connection

    print(
        f"{connection.vendor} database {connection.settings_dict['NAME']}, "
        f"{_existing_tickets()} tickets before seeding; load average {_load()}"
    )

    from incidents import services, tasks

    queued: dict[str, list] = {}
    _queued(queued)
    started = time.perf_counter()
    supervisor, cause, incident, tickets = _seed(args.tickets)
    print(f"seeded {args.tickets} linked tickets in {time.perf_counter() - started:.1f} s")
    try:
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            services.post_update(
                incident_id=incident.pk, actor=supervisor, body_zh="预计今晚恢复。", body_en="Back tonight."
            )
            request = time.perf_counter() - started
        print(
            f"post_update request: {request * 1000:.0f} ms, {len(queries)} queries, "
            f"{len(queued['deliver_update'])} chunks queued"
        )
        started = time.perf_counter()
        queries, counting = _counted(connection)
        with counting:
            sent = sum(tasks.deliver_update.run(*chunk) for chunk in queued.pop("deliver_update"))
        print(
            f"fan-out work: {sent} replies in {time.perf_counter() - started:.1f} s (one process), "
            f"{len(queries)} statements, {len(queued['send_delivery'])} deliveries queued; load average {_load()}"
        )
        queued["send_delivery"].clear()

        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            services.resolve_incident(
                incident_id=incident.pk, actor=supervisor, root_cause=cause, steps_taken="更换了基站电源。"
            )
            request = time.perf_counter() - started
        print(
            f"resolve_incident request: {request * 1000:.0f} ms, {len(queries)} queries, "
            f"{len(queued['resolve_linked'])} chunks queued"
        )
        started = time.perf_counter()
        queries, counting = _counted(connection)
        with counting:
            resolved = sum(tasks.resolve_linked.run(*chunk) for chunk in queued.pop("resolve_linked"))
        print(
            f"resolve-all work: {resolved} tickets resolved in {time.perf_counter() - started:.1f} s "
            f"(one process), {len(queries)} statements, {len(queued['send_delivery'])} resolution notices "
            f"queued; load average {_load()}"
        )
    finally:
        _clean(supervisor, incident, tickets)


if __name__ == "__main__":
    main()
