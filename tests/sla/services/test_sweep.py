"""The sweep: each warning and each breach fires once, breach actions go through the complaint services."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from complaints import services
from complaints.events import EventKind
from complaints.models import Message, Ticket, TicketEvent
from complaints.timeline import event_reason
from sla import services as sla_services
from sla import tasks
from sla.models import BusinessCalendar, SlaAlert, SlaClock, SlaPolicy, SlaTarget
from sla.services import sweep as sla_sweep
from tests.factories import SupervisorFactory, TeamFactory

from ..conftest import fresh, sh

T0 = sh(2026, 3, 2, 10)  # a Monday


def alerts(ticket: Ticket, kind: EventKind) -> list[tuple[str, int]]:
    events = TicketEvent.objects.filter(ticket=ticket, kind=kind).order_by("pk")
    return [(e.to_value, e.detail["threshold"]) for e in events]


def sweep_at(moment, **kwargs) -> sla_services.SweepResult:
    with time_machine.travel(moment, tick=False):
        return sla_services.fire_due_clocks(**kwargs)


@pytest.fixture
def queued(monkeypatch):
    """The alert ids whose e-mail task was queued on commit (the sweep queues lists of them)."""
    sent: list[int] = []
    monkeypatch.setattr(tasks.send_alert, "delay", lambda alert_ids: sent.extend(alert_ids))
    return sent


def test_warnings_then_breach_each_fire_exactly_once(open_ticket, django_capture_on_commit_callbacks, queued):
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket(kind=Ticket.Kind.INQUIRY)  # 30 min first response, 1 h resolution
    assert sweep_at(T0 + timedelta(minutes=14)).fired == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_at(T0 + timedelta(minutes=15)).fired == 1
        assert sweep_at(T0 + timedelta(minutes=15)).fired == 0
    assert alerts(ticket, EventKind.SLA_WARNING) == [("first_response", 50)]
    assert fresh(ticket).sla_state == Ticket.SlaState.AT_RISK
    assert len(queued) == 1

    with django_capture_on_commit_callbacks(execute=True):
        sweep_at(T0 + timedelta(minutes=24))
        sweep_at(T0 + timedelta(minutes=31))
        sweep_at(T0 + timedelta(minutes=31))
    assert alerts(ticket, EventKind.SLA_WARNING) == [
        ("first_response", 50),
        ("first_response", 80),
        ("resolution", 50),
    ]
    assert alerts(ticket, EventKind.SLA_BREACHED) == [("first_response", 100)]
    # The overdue first response keeps the ticket at the top of a queue sorted by due time.
    assert (fresh(ticket).sla_state, fresh(ticket).sla_due_at) == (
        Ticket.SlaState.BREACHED,
        T0 + timedelta(minutes=30),
    )
    assert len(queued) == 4 == SlaAlert.objects.filter(clock__ticket=ticket).count()
    # The breached first-response clock has nothing left to fire; the resolution clock waits for 80 %.
    assert SlaClock.objects.get(ticket=ticket, target=SlaTarget.FIRST_RESPONSE).next_alert_at is None
    assert SlaClock.objects.get(ticket=ticket, target=SlaTarget.RESOLUTION).next_alert_at == T0 + timedelta(
        minutes=48
    )


def test_a_late_sweep_fires_every_passed_threshold_once(open_ticket):
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket(kind=Ticket.Kind.INQUIRY)
    sweep_at(T0 + timedelta(hours=2))
    sweep_at(T0 + timedelta(hours=3))
    assert sorted(alerts(ticket, EventKind.SLA_WARNING) + alerts(ticket, EventKind.SLA_BREACHED)) == [
        ("first_response", 50),
        ("first_response", 80),
        ("first_response", 100),
        ("resolution", 50),
        ("resolution", 80),
        ("resolution", 100),
    ]


def test_a_paused_clock_does_not_fire_and_resumes_with_moved_thresholds(open_ticket, agent):
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket(kind=Ticket.Kind.INQUIRY)
        services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="Which model?")
        services.await_customer(ticket_id=ticket.pk, actor=agent, version=None)
    assert sweep_at(T0 + timedelta(hours=5)).fired == 0
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        services.add_message(ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Model X.")
    resolution = SlaClock.objects.get(ticket=ticket, target=SlaTarget.RESOLUTION)
    assert resolution.due_at == T0 + timedelta(hours=6)
    assert resolution.next_alert_at == T0 + timedelta(hours=5, minutes=30)
    assert sweep_at(T0 + timedelta(hours=5, minutes=29)).fired == 0
    assert sweep_at(T0 + timedelta(hours=5, minutes=30)).fired == 1


def test_a_stopped_clock_never_fires(open_ticket, agent):
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket(kind=Ticket.Kind.INQUIRY)
        services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="Done.")
    sweep_at(T0 + timedelta(minutes=40))
    assert alerts(ticket, EventKind.SLA_BREACHED) == []
    assert [target for target, _ in alerts(ticket, EventKind.SLA_WARNING)] == ["resolution"]


def test_breach_actions_go_through_the_complaint_services(open_ticket, agent, team, lead):
    legal = TeamFactory(slug="legal-test")
    SlaPolicy.objects.filter(match_kind="inquiry", match_complexity="simple").update(
        raise_priority=True, raise_escalation=True, move_to_team=legal, notify_supervisors=True
    )
    supervisor = SupervisorFactory(email="boss@staff.example.com")
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket(kind=Ticket.Kind.INQUIRY, priority=Ticket.Priority.P3)
    result = sweep_at(T0 + timedelta(minutes=30))
    ticket = fresh(ticket)
    assert (ticket.priority, ticket.escalation_level, ticket.team) == (Ticket.Priority.P2, 1, legal)
    kinds = list(
        TicketEvent.objects.filter(
            ticket=ticket, kind__in=[EventKind.RECLASSIFIED, EventKind.ESCALATED, EventKind.REROUTED]
        ).values_list("kind", "actor")
    )
    assert kinds == [(EventKind.RECLASSIFIED, None), (EventKind.ESCALATED, None), (EventKind.REROUTED, None)]
    # The breach e-mail reaches the assignee, the team lead and the supervisors.
    breach = SlaAlert.objects.get(pk__in=result.alerts, threshold=100)
    assert tasks.send_alert(breach.pk) == 3
    assert sorted(mail.outbox[-1].to) == sorted([agent.email, lead.email, supervisor.email])
    assert ticket.reference in mail.outbox[-1].subject
    assert tasks.send_alert(breach.pk) == 0  # a second delivery of the task sends nothing


def test_a_warning_mail_goes_to_the_assignee(open_ticket, agent):
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket(kind=Ticket.Kind.INQUIRY)
    (alert_id,) = sweep_at(T0 + timedelta(minutes=15)).alerts
    assert tasks.send_alert(alert_id) == 1
    assert mail.outbox[-1].to == [agent.email]
    assert "50" in mail.outbox[-1].subject and fresh(ticket).reference in mail.outbox[-1].body


def test_an_alert_row_left_by_a_crashed_run_is_not_fired_again(open_ticket):
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket(kind=Ticket.Kind.INQUIRY)
    first = SlaClock.objects.get(ticket=ticket, target=SlaTarget.FIRST_RESPONSE)
    SlaAlert.objects.create(clock=first, threshold=50)  # fired, then the worker died before moving the clock
    sweep_at(T0 + timedelta(minutes=16))
    assert alerts(ticket, EventKind.SLA_WARNING) == []
    assert SlaClock.objects.get(pk=first.pk).next_alert_at == T0 + timedelta(minutes=24)


def test_nothing_due_costs_one_query(open_ticket):
    with time_machine.travel(T0, tick=False):
        open_ticket(kind=Ticket.Kind.INQUIRY)
    with CaptureQueriesContext(connection) as queries:
        assert sweep_at(T0 + timedelta(minutes=1)).picked == 0
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_a_batch_costs_the_same_queries_for_one_ticket_or_many(
    open_ticket, monkeypatch, django_assert_num_queries
):
    # Calendars are configuration read once per sweep (or per process): count the batch's own work.
    specs = {c.pk: c.spec() for c in BusinessCalendar.objects.prefetch_related("intervals", "days")}
    monkeypatch.setattr(
        sla_services.CalendarSpecs, "__missing__", lambda self, pk: self.setdefault(pk, specs[pk])
    )
    with time_machine.travel(T0, tick=False):
        first = open_ticket(kind=Ticket.Kind.INQUIRY)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        for n in range(3):
            open_ticket(
                kind=Ticket.Kind.INQUIRY, email=f"c{n}@example.com", subject=f"Question {n} about Wi-Fi"
            )
    # The due clocks; the batch's transaction (a savepoint here, inside the test's: 2); lock the
    # tickets (once for the whole batch), their clocks; alerts already there; move the clocks; the
    # timeline (savepoint, insert, release); the alerts; the tickets' SLA summaries.
    with django_assert_num_queries(12):
        result = sweep_at(T0 + timedelta(minutes=15))
    assert (result.tickets, result.fired) == (1, 1)
    with django_assert_num_queries(12):
        result = sweep_at(T0 + timedelta(minutes=25))  # the first's 80 %, the others' 50 %
    assert (result.tickets, result.fired, result.skipped) == (4, 4, 0)
    assert alerts(first, EventKind.SLA_WARNING) == [("first_response", 50), ("first_response", 80)]
    assert TicketEvent.objects.filter(kind=EventKind.SLA_WARNING).count() == 5
    assert set(Ticket.objects.values_list("sla_state", flat=True)) == {Ticket.SlaState.AT_RISK}


def test_alert_mails_are_queued_in_lists_and_each_goes_out_once(
    open_ticket, agent, django_capture_on_commit_callbacks, monkeypatch
):
    with time_machine.travel(T0, tick=False):
        for n in range(3):
            open_ticket(
                kind=Ticket.Kind.INQUIRY, email=f"c{n}@example.com", subject=f"Question {n} about Wi-Fi"
            )
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.send_alert, "delay", lambda alert_ids: queued.append(alert_ids))
    monkeypatch.setattr(sla_sweep, "ALERT_MAIL_CHUNK", 2)
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_at(T0 + timedelta(minutes=15))
    assert queued == [result.alerts[:2], result.alerts[2:]] and result.fired == 3
    assert tasks.send_alert(result.alerts) == 3  # one mail each, to the assignee
    assert [m.to for m in mail.outbox] == [[agent.email]] * 3
    assert tasks.send_alert(result.alerts) == 0  # a second delivery of the task sends nothing


def test_a_locked_ticket_is_left_for_the_next_run(open_ticket, monkeypatch):
    with time_machine.travel(T0, tick=False):
        tickets = [
            open_ticket(
                kind=Ticket.Kind.INQUIRY, email=f"c{n}@example.com", subject=f"Question {n} about Wi-Fi"
            )
            for n in range(2)
        ]
    # What SKIP LOCKED does while another transaction holds the first ticket (for real on PostgreSQL below).
    real = Ticket.objects.select_for_update

    def held_elsewhere(**kwargs):
        locked = real(**kwargs)
        return locked.exclude(pk=tickets[0].pk) if kwargs.get("skip_locked") else locked

    monkeypatch.setattr(Ticket.objects, "select_for_update", held_elsewhere)
    result = sweep_at(T0 + timedelta(minutes=15))
    assert (result.picked, result.tickets, result.skipped, result.fired) == (2, 1, 1, 1)
    assert alerts(tickets[0], EventKind.SLA_WARNING) == []
    monkeypatch.undo()
    assert sweep_at(T0 + timedelta(minutes=15)).fired == 1
    assert alerts(tickets[0], EventKind.SLA_WARNING) == [("first_response", 50)]


def test_the_task_requeues_itself_while_batches_come_back_full(open_ticket, monkeypatch):
    with time_machine.travel(T0, tick=False):
        for n in range(3):
            open_ticket(
                kind=Ticket.Kind.INQUIRY, email=f"c{n}@example.com", subject=f"Question {n} about Wi-Fi"
            )
    requeued: list[bool] = []
    monkeypatch.setattr(tasks, "SWEEP_BATCH_SIZE", 2)
    monkeypatch.setattr(tasks.sweep, "delay", lambda: requeued.append(True))
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        assert tasks.sweep() == 2
        assert requeued == [True]
        assert tasks.sweep() == 1
        assert requeued == [True]


def test_the_command_drains_every_batch(open_ticket):
    with time_machine.travel(T0, tick=False):
        for n in range(3):
            open_ticket(
                kind=Ticket.Kind.INQUIRY, email=f"c{n}@example.com", subject=f"Question {n} about Wi-Fi"
            )
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        call_command("sla_sweep", batch_size=1)
    assert TicketEvent.objects.filter(kind=EventKind.SLA_WARNING).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks with SKIP LOCKED need PostgreSQL")
def test_two_concurrent_sweeps_fire_each_alert_once(open_ticket):
    with time_machine.travel(T0, tick=False):
        tickets = [
            open_ticket(
                kind=Ticket.Kind.INQUIRY, email=f"c{n}@example.com", subject=f"Question {n} about Wi-Fi"
            )
            for n in range(12)
        ]
    barrier = threading.Barrier(2)
    results: list[sla_services.SweepResult] = []
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            barrier.wait()
            results.append(sla_services.fire_due_clocks(now=T0 + timedelta(minutes=40), batch_size=500))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    # Per ticket: first response 50, 80, breach; resolution 50 (40 minutes into a 1-hour target).
    assert sum(r.fired for r in results) == 4 * len(tickets)
    for ticket in tickets:
        assert len(alerts(ticket, EventKind.SLA_WARNING)) == 3
        assert len(alerts(ticket, EventKind.SLA_BREACHED)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks with SKIP LOCKED need PostgreSQL")
def test_a_ticket_another_transaction_holds_is_skipped_then_fired_by_the_next_run(open_ticket):
    with time_machine.travel(T0, tick=False):
        held, free = (
            open_ticket(
                kind=Ticket.Kind.INQUIRY, email=f"c{n}@example.com", subject=f"Question {n} about Wi-Fi"
            )
            for n in range(2)
        )
    locked, release = threading.Event(), threading.Event()

    def agent_holding_the_ticket() -> None:
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=agent_holding_the_ticket)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        result = sla_services.fire_due_clocks(now=T0 + timedelta(minutes=15))
    finally:
        release.set()
        thread.join(timeout=30)
    assert (result.picked, result.tickets, result.skipped, result.fired) == (2, 1, 1, 1)
    assert (alerts(held, EventKind.SLA_WARNING), alerts(free, EventKind.SLA_WARNING)) == (
        [],
        [("first_response", 50)],
    )
    assert sla_services.fire_due_clocks(now=T0 + timedelta(minutes=15)).fired == 1
    assert alerts(held, EventKind.SLA_WARNING) == [("first_response", 50)]


def test_breach_escalations_cost_the_same_queries_for_one_ticket_or_many_and_reach_the_supervisors(
    open_ticket, lead, monkeypatch, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from complaints import tasks as complaint_tasks

    SlaPolicy.objects.filter(match_kind="inquiry", match_complexity="simple").update(raise_escalation=True)
    supervisor = SupervisorFactory(email="boss@staff.example.com")
    specs = {c.pk: c.spec() for c in BusinessCalendar.objects.prefetch_related("intervals", "days")}
    monkeypatch.setattr(
        sla_services.CalendarSpecs, "__missing__", lambda self, pk: self.setdefault(pk, specs[pk])
    )
    queued: list[list[int]] = []
    monkeypatch.setattr(complaint_tasks.notify_staff, "delay", lambda event_ids: queued.append(event_ids))
    with time_machine.travel(T0, tick=False):
        first = open_ticket(kind=Ticket.Kind.INQUIRY)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        others = [
            open_ticket(
                kind=Ticket.Kind.INQUIRY, email=f"c{n}@example.com", subject=f"Question {n} about Wi-Fi"
            )
            for n in range(3)
        ]
    # 12 as for warnings alone (see above) and the escalations on the tickets the batch locked:
    # savepoint, one UPDATE, the events' insert, release.
    with django_assert_num_queries(16), django_capture_on_commit_callbacks(execute=True):
        result = sweep_at(T0 + timedelta(minutes=30))  # the first's breach
    assert (result.tickets, fresh(first).escalation_level) == (1, 1)
    with django_assert_num_queries(16), django_capture_on_commit_callbacks(execute=True):
        result = sweep_at(T0 + timedelta(minutes=50))  # the others' breaches
    assert result.tickets == 4  # and the first's 80 % on resolution
    assert [fresh(t).escalation_level for t in [first, *others]] == [1, 1, 1, 1]
    escalated = list(TicketEvent.objects.filter(kind=EventKind.ESCALATED).order_by("pk"))
    assert [e.actor for e in escalated] == [None] * 4
    assert event_reason(escalated[0]).startswith("SLA breached:") and escalated[0].to_value == "1"
    # One notify_staff task per batch: the team lead and the supervisors hear of each escalation.
    assert queued == [[escalated[0].pk], [e.pk for e in escalated[1:]]]
    mail.outbox.clear()
    assert complaint_tasks.notify_staff(queued[1]) == 6
    assert {tuple(sorted(m.to)) for m in mail.outbox} == {tuple(sorted([lead.email, supervisor.email]))}
