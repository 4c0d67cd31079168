"""complaints.services.lifecycle: status moves, resolution, the customer's confirmation or dispute, reopen, auto-close."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from complaints import services
from complaints.errors import ComplaintError, IllegalTransition
from complaints.events import EventKind
from complaints.models import Message, Resolution, Ticket
from complaints.states import Status

from .conftest import core_events, kinds, make

pytestmark = pytest.mark.django_db


def test_acknowledge(agent):
    ticket = services.acknowledge(ticket_id=make().pk, actor=agent, version=1)
    assert ticket.status == Status.ACKNOWLEDGED and ticket.acknowledged_at and ticket.version == 2
    assert kinds(ticket) == [EventKind.ACKNOWLEDGED]
    with pytest.raises(IllegalTransition):
        services.acknowledge(ticket_id=ticket.pk, actor=agent, version=2)


def test_transition_and_await_customer(team, agent):
    ticket = services.transition(ticket_id=make(team=team).pk, actor=agent, to=Status.IN_PROGRESS, version=1)
    ticket = services.await_customer(ticket_id=ticket.pk, actor=agent, version=2, reason="Need the receipt")
    assert ticket.status == Status.AWAITING_CUSTOMER and ticket.version == 3
    assert kinds(ticket) == [EventKind.STATUS_CHANGED, EventKind.STATUS_CHANGED]
    assert core_events(ticket).last().reason == "Need the receipt"


def test_closing_an_open_ticket_needs_a_reason(supervisor):
    # Closing by hand is a supervisor's decision (complaints.policy).
    ticket = make()
    with pytest.raises(ComplaintError):
        services.transition(ticket_id=ticket.pk, actor=supervisor, to=Status.CLOSED, version=1)
    ticket = services.transition(
        ticket_id=ticket.pk, actor=supervisor, to=Status.CLOSED, version=1, reason="spam"
    )
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None


def test_resolve_validates_the_remedy(agent, cause):
    ticket = make(Status.IN_PROGRESS)
    for remedy, amount in ((Resolution.Remedy.REFUND, 0), (Resolution.Remedy.COMPENSATION, "")):
        with pytest.raises(ComplaintError):
            services.resolve(
                ticket_id=ticket.pk,
                actor=agent,
                version=1,
                root_cause=cause,
                steps_taken="x",
                remedy=remedy,
                amount=amount,
            )
    with pytest.raises(ComplaintError):
        services.resolve(
            ticket_id=ticket.pk, actor=agent, version=1, root_cause=cause, steps_taken="x", amount=-5
        )
    with pytest.raises(ComplaintError):
        services.resolve(ticket_id=ticket.pk, actor=agent, version=1, root_cause=cause, steps_taken=" ")
    assert not Resolution.objects.exists()
    resolution = services.resolve(
        ticket_id=ticket.pk,
        actor=agent,
        version=1,
        root_cause=cause,
        steps_taken="Refunded the order",
        remedy=Resolution.Remedy.REFUND,
        amount="88.50",
    )
    ticket.refresh_from_db()
    assert resolution.amount == Decimal("88.50") and resolution.resolved_by == agent
    assert ticket.status == Status.RESOLVED and ticket.resolved_at and ticket.version == 2
    event = core_events(ticket).get()
    assert event.kind == EventKind.RESOLVED and event.detail["amount"] == "88.50"


def resolved(agent, cause) -> Ticket:
    ticket = make(Status.IN_PROGRESS)
    services.resolve(ticket_id=ticket.pk, actor=agent, version=1, root_cause=cause, steps_taken="Fixed")
    ticket.refresh_from_db()
    return ticket


def test_confirm_resolution_closes(agent, cause):
    ticket = resolved(agent, cause)
    ticket = services.confirm_resolution(ticket_id=ticket.pk)
    assert ticket.status == Status.CLOSED and ticket.closed_at and ticket.version == 3
    assert ticket.resolutions.get().customer_response == Resolution.CustomerResponse.CONFIRMED
    assert kinds(ticket) == [EventKind.RESOLVED, EventKind.CONFIRMED]
    with pytest.raises(IllegalTransition):
        services.confirm_resolution(ticket_id=ticket.pk)


def test_dispute_reopens_with_the_customers_message(agent, cause):
    ticket = resolved(agent, cause)
    with pytest.raises(ComplaintError):
        services.dispute(ticket_id=ticket.pk, reason=" ")
    ticket = services.dispute(ticket_id=ticket.pk, reason="The refund never arrived")
    assert ticket.status == Status.IN_PROGRESS and ticket.version == 3
    resolution = ticket.resolutions.get()
    assert resolution.customer_response == Resolution.CustomerResponse.DISPUTED
    message = ticket.messages.get()
    assert message.kind == Message.Kind.CUSTOMER and message.body == "The refund never arrived"
    assert kinds(ticket) == [EventKind.RESOLVED, EventKind.DISPUTED, EventKind.REOPENED]


def test_reopen(agent, cause):
    with pytest.raises(IllegalTransition):
        services.reopen(ticket_id=make(Status.IN_PROGRESS).pk, actor=agent, version=1, reason="x")
    ticket = make(Status.CLOSED, closed_at=timezone.now())
    with pytest.raises(ComplaintError):
        services.reopen(ticket_id=ticket.pk, actor=agent, version=1, reason="")
    ticket = services.reopen(ticket_id=ticket.pk, actor=agent, version=1, reason="Customer called back")
    assert ticket.status == Status.IN_PROGRESS and ticket.closed_at is None and ticket.version == 2
    assert kinds(ticket) == [EventKind.REOPENED]


def test_close_stale_resolved_closes_only_old_undisputed_resolutions(agent, cause, settings):
    days = settings.COMPLAINTS["AUTO_CLOSE_RESOLVED_AFTER_DAYS"]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        old = resolved(agent, cause)
        disputed = resolved(agent, cause)
        services.dispute(ticket_id=disputed.pk, reason="Not fixed")
    with time_machine.travel(start + timedelta(days=days - 1), tick=False):
        recent = resolved(agent, cause)
        assert services.close_stale_resolved() == 0
    with time_machine.travel(start + timedelta(days=days, minutes=1), tick=False):
        assert services.close_stale_resolved() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    disputed.refresh_from_db()
    assert old.status == Status.CLOSED and old.version == 3
    assert kinds(old) == [EventKind.RESOLVED, EventKind.AUTO_CLOSED]
    assert recent.status == Status.RESOLVED and disputed.status == Status.IN_PROGRESS


# --- resolve_many: many tickets at once, resolve being its one-ticket case -------------------------


def _resolution(ticket, cause, **fields):
    return services.NewResolution(
        ticket_id=ticket.pk, root_cause=cause, steps_taken="Replaced the PSU", **fields
    )


def test_resolve_many_resolves_each_ticket_with_its_own_remedy(agent, cause):
    first, second = make(Status.IN_PROGRESS), make(Status.AWAITING_CUSTOMER)
    results = services.resolve_many(
        actor=agent,
        resolutions=[
            _resolution(first, cause, remedy=Resolution.Remedy.COMPENSATION, amount="5"),
            _resolution(second, cause, remedy=Resolution.Remedy.APOLOGY),
        ],
        consult_holds=False,
    )
    assert [r.ticket_id for r in results] == [first.pk, second.pk]
    assert [(r.remedy, r.amount) for r in results] == [
        (Resolution.Remedy.COMPENSATION, Decimal("5")),
        (Resolution.Remedy.APOLOGY, Decimal("0")),
    ]
    for ticket, resolution, before in (
        (first, results[0], Status.IN_PROGRESS),
        (second, results[1], Status.AWAITING_CUSTOMER),
    ):
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED and ticket.resolved_at and ticket.version == 2
        assert resolution.resolved_by == agent and resolution.steps_taken == "Replaced the PSU"
        event = core_events(ticket).get(kind=EventKind.RESOLVED)
        assert (event.from_value, event.to_value) == (before, Status.RESOLVED)
        assert event.detail["resolution_id"] == resolution.pk and event.detail["remedy"] == resolution.remedy


def test_resolve_many_refuses_the_whole_batch(agent, cause):
    open_ticket, closed = make(Status.IN_PROGRESS), make(Status.CLOSED)
    with pytest.raises(IllegalTransition):
        services.resolve_many(
            actor=agent, resolutions=[_resolution(open_ticket, cause), _resolution(closed, cause)]
        )
    with pytest.raises(IllegalTransition):  # the same ticket twice: the second finds it resolved
        services.resolve_many(actor=agent, resolutions=[_resolution(open_ticket, cause)] * 2)
    with pytest.raises(ComplaintError):
        services.resolve_many(
            actor=agent,
            resolutions=[
                _resolution(open_ticket, cause),
                _resolution(closed, cause, remedy=Resolution.Remedy.REFUND),
            ],
        )
    assert not Resolution.objects.exists()
    open_ticket.refresh_from_db()
    assert open_ticket.status == Status.IN_PROGRESS and open_ticket.version == 1


def test_resolve_many_costs_the_same_statements_for_two_tickets_or_twenty(
    agent, cause, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """The core's own statements (lock, resolutions, tickets, events) do not grow with the batch; the
    other apps' reactions are measured with the incidents' resolve-all."""
    from complaints.events import events_recorded, ticket_event

    saved = ticket_event.receivers, events_recorded.receivers
    ticket_event.receivers, events_recorded.receivers = [], []
    for signal in (ticket_event, events_recorded):
        signal.sender_receivers_cache.clear()
    try:
        for count in (2, 20):
            tickets = [make(Status.IN_PROGRESS) for _ in range(count)]
            # savepoint, lock, the customers, resolutions, tickets, events, release
            with django_assert_num_queries(7), django_capture_on_commit_callbacks():
                services.resolve_many(
                    actor=agent, resolutions=[_resolution(t, cause) for t in tickets], consult_holds=False
                )
    finally:
        ticket_event.receivers, events_recorded.receivers = saved
        for signal in (ticket_event, events_recorded):
            signal.sender_receivers_cache.clear()
