"""The background work at a million tickets: the SLA sweep, e-mail intake and the survey sender.

Each measurement leaves the database as it found it (bench.restore), except that the first
sweep drains whatever seed_demo's clocks have come due since loading, as beat would.
"""

import os
import statistics
import time
import uuid
from datetime import time as clock_time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels_intake import services as intake_services
from complaints import pii
from complaints.models import Customer, Resolution
from complaints.states import Status
from feedback import services as feedback_services
from feedback.models import Survey, SurveyPolicy
from sla import services as sla_services
from sla.models import SlaClock

from . import explain, restore
from .pages import timed_calls
from .stats import Metric, percentile, timed_metric

SWEEP_BATCH = 500  # sla.tasks.SWEEP_BATCH_SIZE
SURVEY_BATCH = 100  # settings.FEEDBACK["BATCH_SIZE"] default
BENCH_POLICY = "Bench: surveys without quiet hours"


# --- SLA sweep --------------------------------------------------------------------------------


def _drain(seconds: float = 0) -> tuple[int, int]:
    """Run the sweep until no batch comes back full, as the task's re-queueing does; (picked, fired).

    With `seconds`, stop after the batch that passes that time (the caller projects the rest).
    """
    picked = fired = 0
    started = time.perf_counter()
    while True:
        result = sla_services.fire_due_clocks(batch_size=SWEEP_BATCH)
        picked += result.picked
        fired += result.fired
        if result.picked < SWEEP_BATCH or not result.tickets:
            return picked, fired
        if seconds and time.perf_counter() - started > seconds:
            return picked, fired


def _time_limit(name: str) -> float:
    """BENCH_<name>_TIME_LIMIT seconds (0: none): a long run stops there and its total is projected."""
    return float(os.environ.get(f"BENCH_{name}_TIME_LIMIT", "0"))


def sweep_nothing_due(runs: int, plans: dict[str, list[dict]]) -> Metric:
    """One sweep when no clock is due: the beat's every-minute cost at rest."""
    drained, fired = _drain()
    samples = timed_calls(lambda: sla_services.fire_due_clocks(batch_size=SWEEP_BATCH), runs)
    with CaptureQueriesContext(connection) as captured:
        sla_services.fire_due_clocks(batch_size=SWEEP_BATCH)
    plans["SLA sweep, nothing due"] = explain.explain_captured(captured.captured_queries)
    metric = timed_metric(
        "SLA sweep, nothing due", samples, limit_ms=50, queries=len(captured.captured_queries)
    )
    metric.note = f"first drained {drained} clock(s) due since loading ({fired} alerts)"
    return metric


def _make_due(count: int) -> list[int]:
    """Put `count` running clocks 30 days back, so each owes its warning(s) and its breach now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM sla_slaclock WHERE stopped_at IS NULL AND paused_at IS NULL "
            "AND next_alert_at > now() ORDER BY md5(id::text) LIMIT %s",
            [count],
        )
        ids = [row[0] for row in cursor.fetchall()]
    ticket_ids = list(SlaClock.objects.filter(pk__in=ids).values_list("ticket_id", flat=True).distinct())
    restore.snapshot("complaints_ticket", "id = ANY(%s)", [ticket_ids])
    restore.snapshot("sla_slaclock", "ticket_id = ANY(%s)", [ticket_ids])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sla_slaclock SET started_at = started_at - interval '30 days', "
            "due_at = due_at - interval '30 days', next_alert_at = now() - interval '1 minute' "
            "WHERE id = ANY(%s)",
            [ids],
        )
    return ids


def sweep_due(count: int, runs: int, plans: dict[str, list[dict]]) -> Metric:
    """Fire `count` due clocks (1 % of the tickets), draining batch after batch; restored after each run."""
    samples, fired, tickets, picked, projected = [], 0, 0, 0, False
    for run in range(runs):
        marks = restore.watermarks()
        ids = _make_due(count)
        tickets = SlaClock.objects.filter(pk__in=ids).values("ticket_id").distinct().count()
        if run == 0:
            due = SlaClock.objects.filter(next_alert_at__lte=timezone.now()).order_by("next_alert_at")
            plans[f"SLA sweep, {count} due"] = [
                explain.explain_queryset(due.values_list("ticket_id", flat=True)[:SWEEP_BATCH])
            ]
        try:
            started = time.perf_counter()
            picked, fired = _drain(_time_limit("SWEEP"))
            seconds = time.perf_counter() - started
            # Stopped early: the whole drain at the rate measured (clocks are alike, batches too).
            projected = picked < count
            samples.append(seconds * count / picked if projected else seconds)
        finally:
            restore.remove_rows_above(marks)
            restore.restore_snapshot("sla_slaclock")
            restore.restore_snapshot("complaints_ticket")
    median = statistics.median(samples)
    return Metric(
        name=f"SLA sweep, {count} clocks due",
        unit="s",
        median=round(median, 2),
        p95=round(percentile(samples, 0.95), 2),
        target="< 5 s",
        passed=median < 5,
        runs=runs,
        note=(
            f"{fired} alerts on {tickets} tickets; {count / median:.0f} clocks/s"
            + (f"; PROJECTED from {picked} clocks swept within the time limit" if projected else "")
        ),
        extra={
            "clocks": count,
            "tickets": tickets,
            "alerts": fired,
            "ms_per_clock": round(median * 1000 / count, 2),
        },
    )


# --- e-mail intake ------------------------------------------------------------------------------


def _raw_email(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Bench Sender {number} <bench.sender{number}.{uuid.uuid4().hex[:8]}@example.net>"
    message["To"] = "complaints@demo.example.com"
    message["Subject"] = f"宽带又断网了 / broadband down again ({number})"
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain="bench.example.net")
    message.set_content(
        "从昨天晚上开始家里宽带一直掉线，重启光猫也没有用，请尽快派人检修。\n"
        "Since last night the broadband keeps dropping; restarting the modem does not help.\n"
        f"Account {number:011d}.\n\n-- \nSent from my phone\n"
    )
    message.add_alternative(
        "<p>从昨天晚上开始家里宽带一直掉线，重启光猫也没有用，请尽快派人检修。</p>"
        "<p>Since last night the broadband keeps dropping.</p>",
        subtype="html",
    )
    return message.as_bytes()


def _intake_one(raw: bytes) -> str:
    """What the IMAP poller does per fetched message: store it raw and turn it into a ticket (one transaction)."""
    return intake_services.take_email(raw=raw, mailbox=None).state


def email_intake(count: int) -> Metric:
    """Parse and store `count` new e-mails, one after another in one worker: e-mails per second."""
    marks = restore.watermarks()
    messages = [_raw_email(number) for number in range(count + 1)]
    _intake_one(messages.pop())  # warm-up
    samples, states = [], {}
    started = time.perf_counter()
    for index, raw in enumerate(messages):
        begun = time.perf_counter()
        if index == 0:
            with CaptureQueriesContext(connection) as captured:
                state = _intake_one(raw)
        else:
            state = _intake_one(raw)
        samples.append((time.perf_counter() - begun) * 1000)
        states[str(state)] = states.get(str(state), 0) + 1
    rate = count / (time.perf_counter() - started)
    restore.remove_rows_above(marks)
    return Metric(
        name="E-mail intake (parse and store, 1 worker)",
        unit="/s",
        median=round(rate, 1),
        p95=None,
        queries=len(captured.captured_queries),
        target=">= 100 e-mails/s",
        passed=rate >= 100,
        runs=count,
        note=(
            f"per e-mail median {statistics.median(samples):.1f} ms, p95 {percentile(samples, 0.95):.1f} ms; "
            f"states {states}"
        ),
        extra={"per_message_ms": {"median": statistics.median(samples), "p95": percentile(samples, 0.95)}},
    )


# --- surveys --------------------------------------------------------------------------------------


def _bench_policy() -> SurveyPolicy:
    # Not active, so no real ticket matches it; set on the bench's surveys so night hours do not postpone them.
    policy, _ = SurveyPolicy.objects.get_or_create(
        name=BENCH_POLICY,
        defaults={"is_active": False, "quiet_start": clock_time(0), "quiet_end": clock_time(0)},
    )
    return policy


def _due_surveys(count: int) -> int:
    """`count` scheduled e-mail surveys, due now, on resolved tickets of customers with an e-mail address."""
    with_email = [c.pk for c in Customer.objects.exclude(email_index=pii.blind_index("email", "")) if c.email]
    resolutions = (
        Resolution.objects.filter(
            ticket__status__in=[Status.RESOLVED, Status.CLOSED],
            ticket__customer_id__in=with_email,
            survey__isnull=True,
        )
        .order_by("-pk")
        .values_list("pk", "ticket_id", "ticket__customer_id")[:count]
    )
    policy = _bench_policy()
    send_after = timezone.now() - timedelta(minutes=5)
    surveys = [
        Survey(
            resolution_id=resolution_id,
            ticket_id=ticket_id,
            customer_id=customer_id,
            policy=policy,
            channel=Survey.Channel.EMAIL,
            send_after=send_after,
        )
        for resolution_id, ticket_id, customer_id in resolutions
    ]
    Survey.objects.bulk_create(surveys, batch_size=2000)
    return len(surveys)


def send_surveys(count: int, plans: dict[str, list[dict]]) -> Metric:
    """Send `count` due surveys to the SMTP server EMAIL_URL names, in the task's batches of 100."""
    marks = restore.watermarks()
    try:
        made = _due_surveys(count)
        now = timezone.now()
        due = Survey.objects.filter(feedback_services._due(now, reminder=False)).order_by("pk")
        # The sender claims a batch per query (feedback.services._claim); its shape without the joins.
        plans["Survey sender, claim query"] = [
            explain.explain_queryset(due.select_for_update(skip_locked=True, of=("self",))[:SURVEY_BATCH])
        ]
        sent = failed = 0
        batch_seconds = []
        limit = _time_limit("SURVEY")
        started = time.perf_counter()
        while not limit or time.perf_counter() - started < limit:
            begun = time.perf_counter()
            report = feedback_services.send_due_surveys(batch_size=SURVEY_BATCH)
            batch_seconds.append(time.perf_counter() - begun)
            sent += report.sent
            failed += report.failed + report.cancelled + report.postponed
            if report.handled < SURVEY_BATCH or report.stopped_early:
                break
        seconds = time.perf_counter() - started
    finally:
        restore.remove_rows_above(marks)
    rate = sent / seconds if seconds else 0.0
    projected = sent + failed < made
    if projected:  # stopped at the time limit: the whole run at the rate measured
        seconds = seconds * made / max(sent + failed, 1)
    return Metric(
        name=f"Send {made} due surveys over SMTP",
        unit="s",
        median=round(seconds, 2),
        p95=None,
        target="< 60 s",
        passed=seconds < 60 and (sent == made or projected),
        note=(
            f"{sent} sent, {failed} not sent; {rate:.0f} surveys/s; batch of {SURVEY_BATCH}: "
            f"median {statistics.median(batch_seconds) * 1000:.0f} ms"
            + ("; PROJECTED from those sent within the time limit" if projected else "")
        ),
    )
