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
