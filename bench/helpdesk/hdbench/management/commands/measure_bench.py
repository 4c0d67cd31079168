"""Measure django-helpdesk's equivalents of the project's benchmarked operations.

Every page is requested in-process with Django's test Client (no network, no server): the
time is the server's (URL resolving, middleware, view, queries, template), the same way the
project's own bench measures itself. Queries are counted with CaptureQueriesContext.

- ticket_list: what one staff page view of a queue's open tickets costs. django-helpdesk's list
  is two requests: the HTML page /tickets/?queue=Q&status=1&status=2 (filters, saved queries,
  the table skeleton) and the DataTables request the page's script then makes,
  /datatables_ticket_list/<query>?draw=1&start=0&length=25 (the 25 rows as JSON, in its default
  order: created, oldest first). The metric is the sum of both; each part is reported too.
  ticket_list_due is the same with ?sort=due_date (its due-date order).
- ticket_page: the staff ticket view /tickets/<id>/ of the ticket with 100 follow-ups.
- public_submit: an anonymous POST of the public form /tickets/submit/ (queue, title, body,
  priority, e-mail) up to its redirect; the notification e-mails are rendered to the in-memory
  backend. The tickets it creates are deleted afterwards.
- escalation: one run of ``manage.py escalate_tickets`` in autocommit (as cron runs it) with
  the hourly steady state of shape.py; its changes are undone afterwards so reruns compare.
"""

import json
import os
import platform
import re
import statistics
import time
from importlib.metadata import version
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from helpdesk.models import Queue, Ticket

from hdbench.shape import prepare_escalation

DATATABLES_URL = re.compile(r"/datatables_ticket_list/([A-Za-z0-9+/=]+)")
SUBMIT_TITLE = "Bench submission"


def summary(times_ms: list[float], queries: int) -> dict:
    ordered = sorted(times_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "min_ms": round(ordered[0], 2),
        "queries": queries,
        "runs": len(ordered),
    }


class QueryCounter:
    """An execute wrapper that only counts: for runs of far more than 9,000 queries."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(func):
    """Run func once; return (milliseconds, number of queries, result)."""
    # CaptureQueriesContext keeps the connection's query log across requests and the log holds
    # 9,000 entries at most: empty it first, or counts read 0 once 30 runs of 300 queries filled it.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = func()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, len(captured.captured_queries), result


class Command(BaseCommand):
    help = "Measure django-helpdesk's ticket list, ticket page, public submission and escalation."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=50)
        parser.add_argument("--out", default=None, help="write the results as JSON to this file")
        parser.add_argument("--skip-escalation", action="store_true")
        parser.add_argument(
            "--api-runs",
            type=int,
            default=int(os.environ.get("BENCH_HELPDESK_API_RUNS", "0")),
            help="time GET /api/tickets/ this many times (default 0: minutes per request at 1M)",
        )

    def handle(self, *args, **options):
        runs = options["runs"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT key, value FROM hdbench_meta")
            meta = dict(cursor.fetchall())
        if "loaded_tickets" not in meta:
            raise CommandError("no complete load recorded: run load_bench first")
        n = int(meta["loaded_tickets"])
        staff = get_user_model().objects.get(username="agent1")
        queue = Queue.objects.get(slug="billing")
        client = Client()
        client.force_login(staff)

        metrics = {}
        metrics["ticket_list"] = self._ticket_list(client, queue, runs, "")
        metrics["ticket_list_due"] = self._ticket_list(client, queue, runs, "&sort=due_date")
        metrics["ticket_page"] = self._ticket_page(client, runs)
        metrics["public_submit"] = self._public_submit(queue, runs)
        if options["api_runs"]:
            metrics["api_list"] = self._api_list(options["api_runs"])
        if not options["skip_escalation"]:
            metrics["escalation"] = self._escalation()

        result = {
            "meta": {
                "system": "django-helpdesk",
                "versions": {
                    "django-helpdesk": version("django-helpdesk"),
                    "django": version("django"),
                    "psycopg": version("psycopg"),
                    "python": platform.python_version(),
                    "postgresql": connection.cursor().connection.info.server_version,
                },
                "N": n,
                "runs": runs,
                "machine": {
                    "platform": platform.platform(),
                    "processor": platform.machine(),
                    "cpus": _cpus(),
                },
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "timing": "server time in-process (django.test.Client), PostgreSQL on 127.0.0.1",
            },
            "metrics": metrics,
            "load_seconds": float(meta["load_seconds"]),
        }
        self._print_table(result)
        if options["out"]:
            path = Path(options["out"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result, indent=2) + "\n")
            self.stdout.write(f"wrote {path}")

    def _ticket_list(self, client, queue, runs, extra):
        page_url = f"/tickets/?queue={queue.id}&status=1&status=2{extra}"

        def page():
            response = client.get(page_url)
            if response.status_code != 200:
                raise CommandError(f"{page_url} answered {response.status_code}")
            match = DATATABLES_URL.search(response.content.decode())
            if not match:
                raise CommandError("the ticket list page has no datatables URL")
            return match.group(0)

        data_url = page()
        params = {"draw": "1", "start": "0", "length": "25", "search[value]": "", "search[regex]": "false"}

        def data():
            response = client.get(data_url, params)
            if response.status_code != 200:
                raise CommandError(f"{data_url} answered {response.status_code}")
            rows = response.json()["data"]
            if len(rows) != 25:
                raise CommandError(f"expected 25 rows, got {len(rows)}")
            return rows

        for _ in range(3):  # warm-up: templates compiled, connection open
            page()
            data()
        html_ms, data_ms, total_ms = [], [], []
        html_q = data_q = 0
        for _ in range(runs):
            h_ms, html_q, _ = timed(page)
            d_ms, data_q, _ = timed(data)
            html_ms.append(h_ms)
            data_ms.append(d_ms)
            total_ms.append(h_ms + d_ms)
        return {
            **summary(total_ms, html_q + data_q),
            "html": {"url": page_url, **summary(html_ms, html_q)},
            "data": {"url": f"{data_url}?draw=1&start=0&length=25", **summary(data_ms, data_q)},
        }

    def _ticket_page(self, client, runs):
        ticket = Ticket.objects.get(id=1)
        followups = ticket.followup_set.count()
        url = f"/tickets/{ticket.id}/"

        def get():
            response = client.get(url)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}")
            return response

        for _ in range(3):
            get()
        times, queries = [], 0
        for _ in range(runs):
            ms, queries, _ = timed(get)
            times.append(ms)
        return {**summary(times, queries), "url": url, "followups": followups}

    def _public_submit(self, queue, runs):
        client = Client()  # anonymous, like a customer
        client.get("/")
        counter = iter(range(10**9))

        def post():
            number = next(counter)
            response = client.post(
                "/tickets/submit/",
                {
                    "queue": str(queue.id),
                    "title": f"{SUBMIT_TITLE} {number}",
                    "body": "I was charged twice for order 123456 and nobody answers my e-mails. "
                    "Please refund the second payment.",
                    "priority": "3",
                    "submitter_email": f"bench.customer{number}@example.com",
                },
            )
            if response.status_code != 302:
                raise CommandError(f"public submission answered {response.status_code}")
            return response

        try:
            for _ in range(3):
                post()
            times, queries = [], 0
            for _ in range(runs):
                ms, queries, _ = timed(post)
                times.append(ms)
        finally:
            Ticket.objects.filter(title__startswith=SUBMIT_TITLE).delete()
            mail.outbox = []
        return {**summary(times, queries), "url": "/tickets/submit/"}

    def _api_list(self, runs):
        """GET /api/tickets/ (its REST list, 25 a page) as a superuser; its queryset touches every ticket."""
        admin = get_user_model().objects.get(username="benchadmin")
        client = Client()
        client.force_login(admin)
        times, queries = [], 0
        for _ in range(runs):
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                response = client.get("/api/tickets/")
                times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise CommandError(f"/api/tickets/ answered {response.status_code}")
            queries = counter.count
        return {**summary(times, queries), "url": "/api/tickets/"}

    def _escalation(self):
        due = prepare_escalation()
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM helpdesk_followup")
            last_followup = cursor.fetchone()[0]
            cursor.execute("DROP TABLE IF EXISTS hdbench_escalation_before")
            cursor.execute(
                "CREATE TABLE hdbench_escalation_before AS "
                "SELECT id, priority, modified FROM helpdesk_ticket WHERE status IN (1, 2)"
            )
        mail.outbox = []
        # A counting wrapper, not CaptureQueriesContext: that one keeps only the last 9,000.
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            call_command("escalate_tickets")
            seconds = time.perf_counter() - started
        emails = len(getattr(mail, "outbox", []))
        mail.outbox = []
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM helpdesk_followup WHERE id > %s", [last_followup])
            escalated = cursor.fetchone()[0]
            # Undo the run: priorities back, its follow-ups and change rows gone, steady state again.
            cursor.execute(
                "UPDATE helpdesk_ticket t SET priority = b.priority, modified = b.modified "
                "FROM hdbench_escalation_before b WHERE t.id = b.id AND t.priority <> b.priority"
            )
            cursor.execute("DELETE FROM helpdesk_ticketchange WHERE followup_id > %s", [last_followup])
            cursor.execute("DELETE FROM helpdesk_followup WHERE id > %s", [last_followup])
            cursor.execute("DROP TABLE hdbench_escalation_before")
        prepare_escalation()
        return {
            "seconds": round(seconds, 2),
            "due": due,
            "escalated": escalated,
            "emails": emails,
            "queries": counter.count,
            "ms_per_escalated": round(seconds * 1000 / escalated, 2) if escalated else None,
        }

    def _print_table(self, result):
        metrics = result["metrics"]
        self.stdout.write(
            f"\ndjango-helpdesk {result['meta']['versions']['django-helpdesk']}, "
            f"N = {result['meta']['N']:,}, load {result['load_seconds']} s"
        )
        self.stdout.write(f"{'operation':<22}{'median ms':>11}{'p95 ms':>10}{'queries':>9}")
        for name in ("ticket_list", "ticket_list_due", "ticket_page", "public_submit", "api_list"):
            if name not in metrics:
                continue
            m = metrics[name]
            self.stdout.write(f"{name:<22}{m['median_ms']:>11.1f}{m['p95_ms']:>10.1f}{m['queries']:>9}")
            for part in ("html", "data"):
                if part in m:
                    p = m[part]
                    self.stdout.write(
                        f"  {part:<20}{p['median_ms']:>11.1f}{p['p95_ms']:>10.1f}{p['queries']:>9}"
                    )
        if "escalation" in metrics:
            e = metrics["escalation"]
            self.stdout.write(
                f"{'escalation':<22}{e['seconds']:>10.1f}s  ({e['escalated']} escalated of {e['due']} due, "
                f"{e['queries']} queries, {e['emails']} e-mails)"
            )


def _cpus() -> int:
    return os.cpu_count() or 0
