"""Two agents change the same ticket at the same moment: exactly one wins, the other is told it is stale.

Real concurrency: two threads, each with its own PostgreSQL connection, both having read the same version.
"""

import threading
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, connections

from complaints import services
from complaints.errors import StaleVersion
from complaints.events import EventKind
from complaints.models import Ticket
from complaints.policy import NotPermitted
from complaints.states import Status
from tests.factories import AgentFactory, TeamFactory, TicketFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and concurrent connections need PostgreSQL"
    ),
]


def race(*works: Callable[[], object]) -> tuple[list[object], list[Exception]]:
    """Run the works at the same moment, each in its own thread and database connection."""
    barrier = threading.Barrier(len(works))
    results: list[object] = []
    errors: list[Exception] = []

    def worker(work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # collected and judged by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return results, errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_transitions_on_the_same_version_one_wins():
    ticket = TicketFactory(status=Status.ACKNOWLEDGED)
    seen = Ticket.objects.get(pk=ticket.pk).version

    def to(status: str) -> Callable[[], object]:
        return lambda: (
            services.transition(
                ticket_id=ticket.pk, actor=None, to=status, version=seen, reason="race"
            ).status
        )

    results, errors = race(to(Status.IN_PROGRESS), to(Status.AWAITING_CUSTOMER))
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], StaleVersion), errors
    assert errors[0].detail["current_version"] == seen + 1
    ticket.refresh_from_db()
    assert ticket.status == results[0] and ticket.version == seen + 1
    assert ticket.events.filter(kind=EventKind.STATUS_CHANGED).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_assignments_on_the_same_version_one_wins():
    team = TeamFactory(slug="race-team")
    first, second = AgentFactory(team=team), AgentFactory(team=team)
    ticket = TicketFactory(team=team)
    seen = Ticket.objects.get(pk=ticket.pk).version

    def give_to(agent: AbstractBaseUser) -> Callable[[], object]:
        return lambda: (
            services.assign(ticket_id=ticket.pk, actor=agent, assignee=agent, version=seen).assignee_id
        )

    results, errors = race(give_to(first), give_to(second))
    assert len(results) == 1 and len(errors) == 1
    # The loser reads the ticket after the winner's commit: a non-lead may no longer take a ticket that is
    # assigned (the policy refuses before the version check), else the version is stale.
    assert isinstance(errors[0], (StaleVersion, NotPermitted)), errors
    ticket.refresh_from_db()
    assert ticket.assignee_id == results[0] and ticket.version == seen + 1
    assert ticket.events.filter(kind=EventKind.ASSIGNED).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_opposite_merges_at_once_do_not_deadlock_one_wins_the_other_is_refused():
    team = TeamFactory(slug="merge-race-team")
    agent = AgentFactory(team=team)
    first = TicketFactory(team=team, status=Status.IN_PROGRESS)
    second = TicketFactory(team=team, status=Status.IN_PROGRESS, customer=first.customer)

    def merge(source: Ticket, target: Ticket) -> Callable[[], object]:
        seen = Ticket.objects.get(pk=source.pk).version
        return lambda: (
            services.merge(
                source_id=source.pk, target_id=target.pk, actor=agent, reason="same parcel", version=seen
            ).pk
        )

    results, errors = race(merge(first, second), merge(second, first))
    # A deadlock would be PostgreSQL's OperationalError for one of them, after a second's wait. The
    # loser waits for the winner's commit, then finds its source changed (the winner's target).
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], StaleVersion), errors
    kept = Ticket.objects.get(pk=results[0])
    merged = Ticket.objects.get(pk=({first.pk, second.pk} - {kept.pk}).pop())
    assert kept.status == Status.IN_PROGRESS and kept.duplicate_of_id is None
    assert merged.status == Status.CLOSED and merged.duplicate_of_id == kept.pk
