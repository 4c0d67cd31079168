"""The status graph, exhaustively: every legal move succeeds and every illegal one is refused with the way out."""

import pytest
from django.db.models import QuerySet

from complaints import services
from complaints.errors import IllegalTransition
from complaints.events import EventKind
from complaints.models import Ticket, TicketEvent
from complaints.states import TRANSITIONS, Status, allowed_from
from tests.factories import RootCauseFactory, TicketFactory

pytestmark = pytest.mark.django_db

# The status graph as the desk promises it, written out here so a change to states.TRANSITIONS has to
# be made twice, on purpose. New may go straight to resolved (answered on the first contact, such as a
# phone call settled on the spot) or closed (spam, a duplicate, a merge on arrival).
N, A, P, W, R, C = (
    Status.NEW,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.AWAITING_CUSTOMER,
    Status.RESOLVED,
    Status.CLOSED,
)
GRAPH = {
    N: {A, P, W, R, C},
    A: {P, W, R, C},
    P: {W, R, C},
    W: {P, R, C},
    R: {C, P},  # confirmed or closed; disputed or reopened
    C: {P},  # reopened
}
LEGAL = [(before, after) for before in Status for after in Status if after in GRAPH[before]]
ILLEGAL = [(before, after) for before in Status for after in Status if after not in GRAPH[before]]


def core_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's events without the SLA app's own (its receivers react to ours); these tests judge the core."""
    return ticket.events.exclude(kind__startswith="sla_")


def move(ticket_id: int, to: str, version: int) -> None:
    """Resolving goes through `resolve` (it needs a root cause); every other target through `transition`."""
    if to == Status.RESOLVED:
        services.resolve(
            ticket_id=ticket_id,
            actor=None,
            version=version,
            root_cause=RootCauseFactory(),
            steps_taken="Done",
        )
        return
    services.transition(ticket_id=ticket_id, actor=None, to=to, version=version, reason="Because")


def test_the_graph_covers_every_status():
    assert set(TRANSITIONS) == set(Status) == set(GRAPH)
    assert len(LEGAL) + len(ILLEGAL) == len(Status) ** 2


def test_the_table_is_the_one_written_here():
    assert {status: set(TRANSITIONS[status]) for status in Status} == GRAPH
    assert {status: allowed_from(status) for status in Status} == {
        N: [A, P, W, R, C],
        A: [P, W, R, C],
        P: [W, R, C],
        W: [P, R, C],
        R: [P, C],
        C: [P],
    }


@pytest.mark.parametrize(("before", "after"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_legal_transition_succeeds(before, after):
    ticket = TicketFactory(status=before)
    move(ticket.pk, after, version=1)
    ticket.refresh_from_db()
    assert ticket.status == after and ticket.version == 2
    event = core_events(ticket).get()
    expected = {
        Status.RESOLVED: EventKind.RESOLVED,
        Status.IN_PROGRESS: EventKind.REOPENED if before in (Status.RESOLVED, Status.CLOSED) else None,
    }.get(after) or EventKind.STATUS_CHANGED
    assert (event.kind, event.from_value, event.to_value) == (expected, before, after)
    if after == Status.CLOSED:
        assert ticket.closed_at is not None
    if after == Status.RESOLVED:
        assert ticket.resolved_at is not None


@pytest.mark.parametrize(("before", "after"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_transition_is_refused_naming_current_and_allowed(before, after):
    ticket = TicketFactory(status=before)
    with pytest.raises(IllegalTransition) as caught:
        move(ticket.pk, after, version=1)
    error = caught.value
    assert error.detail["current"] == before
    assert error.detail["allowed"] == allowed_from(before)
    assert str(Status(before).label) in error.message
    for allowed in allowed_from(before):
        assert str(Status(allowed).label) in error.message
    assert error.http_status == 409
    ticket.refresh_from_db()
    assert ticket.status == before and ticket.version == 1 and not core_events(ticket).exists()
