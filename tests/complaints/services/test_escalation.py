"""complaints.services.escalation: escalate one or many, reroute, a requested reroute, reclassify."""

import pytest
from django.utils import timezone

from complaints import services
from complaints.errors import ComplaintError, IllegalTransition
from complaints.events import EventKind
from complaints.models import Team, TeamMembership, Ticket
from complaints.states import Status
from tests.factories import AgentFactory, CategoryFactory, TeamFactory

from .conftest import core_events, make

pytestmark = pytest.mark.django_db


def test_escalate_one_two_three_then_refused(agent):
    ticket = make()
    with pytest.raises(ComplaintError):
        services.escalate(ticket_id=ticket.pk, actor=agent, version=1, reason="  ")
    for level in (1, 2, 3):
        ticket = services.escalate(ticket_id=ticket.pk, actor=agent, version=level, reason="Angry customer")
        assert ticket.escalation_level == level and ticket.version == level + 1
    with pytest.raises(ComplaintError):
        services.escalate(ticket_id=ticket.pk, actor=agent, version=4, reason="Even angrier")
    events = list(ticket.events.order_by("pk"))
    assert [e.kind for e in events] == [EventKind.ESCALATED] * 3
    assert [(e.from_value, e.to_value) for e in events] == [("0", "1"), ("1", "2"), ("2", "3")]


def test_reroute_moves_team_and_clears_assignee(team, agent):
    ticket = make(team=team, assignee=agent)
    legal = TeamFactory(slug="legal")
    with pytest.raises(ComplaintError):
        services.reroute(ticket_id=ticket.pk, actor=agent, team=legal, version=1, reason="")
    with pytest.raises(ComplaintError):
        services.reroute(ticket_id=ticket.pk, actor=agent, team=team, version=1, reason="same")
    ticket = services.reroute(ticket_id=ticket.pk, actor=agent, team=legal, version=1, reason="Lawyer letter")
    assert ticket.team == legal and ticket.assignee is None and ticket.version == 2
    event = core_events(ticket).get()
    assert (event.kind, event.from_value, event.to_value) == (EventKind.REROUTED, team.slug, "legal")


def test_reroute_assigns_within_the_new_team_by_its_strategy(team, agent):
    ticket = make(team=team, assignee=agent)
    legal = TeamFactory(slug="legal", assignment_strategy=Team.AssignmentStrategy.LEAST_LOADED)
    busy, idle = AgentFactory(team=legal), AgentFactory(team=legal)
    make(team=legal, assignee=busy, status=Status.IN_PROGRESS)
    TeamMembership.objects.filter(user=idle).update(last_assigned_at=timezone.now())
    ticket = services.reroute(ticket_id=ticket.pk, actor=agent, team=legal, version=1, reason="Lawyer letter")
    assert ticket.team == legal and ticket.assignee == idle and ticket.version == 2
    rerouted, assigned = core_events(ticket).order_by("pk")
    assert rerouted.kind == EventKind.REROUTED
    assert (assigned.kind, assigned.to_value, assigned.detail["strategy"]) == (
        EventKind.ASSIGNED,
        idle.username,
        "least_loaded",
    )


def test_reclassify_records_only_real_changes(agent):
    ticket = make()
    new_category = CategoryFactory()
    same = services.reclassify(ticket_id=ticket.pk, actor=agent, version=1, priority=ticket.priority)
    assert same.version == 1 and not core_events(same).exists()
    ticket = services.reclassify(
        ticket_id=ticket.pk, actor=agent, version=1, category=new_category, priority=1, reason="Urgent"
    )
    assert ticket.category == new_category and ticket.priority == 1 and ticket.version == 2
    event = core_events(ticket).get()
    assert event.kind == EventKind.RECLASSIFIED
    assert event.detail["changes"]["priority"] == ["3", "1"]


def test_request_reroute_only_records_the_wish(team, agent):
    ticket = make(team=team, assignee=agent)
    with pytest.raises(ComplaintError):
        services.request_reroute(ticket_id=ticket.pk, reason="<script></script>")
    ticket = services.request_reroute(ticket_id=ticket.pk, reason="请转给技术部")
    ticket.refresh_from_db()
    assert ticket.team == team and ticket.assignee == agent and ticket.version == 2
    event = core_events(ticket).get()
    assert (event.kind, event.from_value, event.reason) == (
        EventKind.REROUTE_REQUESTED,
        team.slug,
        "请转给技术部",
    )
    assert event.is_public
    with pytest.raises(IllegalTransition):
        services.request_reroute(ticket_id=make(Status.CLOSED).pk, reason="too late")


EVENT_FIELDS = ("ticket_id", "actor_id", "kind", "from_value", "to_value", "reason", "detail")


def event_rows(ticket: Ticket) -> list[tuple]:
    return list(core_events(ticket).order_by("pk").values_list(*EVENT_FIELDS))


def test_escalations_in_bulk_write_what_escalate_writes_and_stop_at_the_top(
    team, monkeypatch, django_capture_on_commit_callbacks
):
    from complaints import tasks
    from complaints.events import ticket_event

    one_by_one, bulk = make(team=team), make(team=team)
    for _ in range(2):
        services.escalate(ticket_id=one_by_one.pk, actor=None, version=None, reason="SLA breached")
    top, closed = make(team=team, escalation_level=3), make(Status.CLOSED, team=team)
    heard: list[tuple[int, str]] = []

    def receiver(sender, ticket, event, **kwargs) -> None:
        heard.append((ticket.pk, event.kind))

    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.notify_staff, "delay", lambda event_ids: queued.append(event_ids))
    ticket_event.connect(receiver, dispatch_uid="test-escalate-for-sla-receiver")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events = services.escalate_for_sla(
                escalations=[
                    (bulk.pk, "SLA breached"),
                    (top.pk, "x"),
                    (closed.pk, "x"),
                    (bulk.pk, "SLA breached"),
                ]
            )
    finally:
        ticket_event.disconnect(dispatch_uid="test-escalate-for-sla-receiver")
    # Two steps, the same rows as two escalate calls (but the ticket), each announced, mailed in one task.
    expected = [(bulk.pk, *row[1:]) for row in event_rows(one_by_one)]
    assert event_rows(bulk) == expected and len(expected) == 2
    assert heard == [(bulk.pk, EventKind.ESCALATED)] * 2
    assert queued == [[event.pk for event in events]]
    bulk.refresh_from_db()
    one_by_one.refresh_from_db()
    assert (
        (bulk.escalation_level, bulk.version) == (one_by_one.escalation_level, one_by_one.version) == (2, 3)
    )
    assert bulk.updated_at > one_by_one.updated_at
    # Already at the top, or closed: left alone, no event.
    assert [
        (t.escalation_level, t.version)
        for t in Ticket.objects.filter(pk__in=[top.pk, closed.pk]).order_by("pk")
    ] == [(3, 1), (0, 1)]
    assert not core_events(top).exists() and not core_events(closed).exists()
    # Capped: a third and fourth step stop at level 3.
    services.escalate_for_sla(escalations=[(bulk.pk, "Still late")] * 2)
    assert Ticket.objects.get(pk=bulk.pk).escalation_level == 3
    assert list(core_events(bulk).order_by("pk").values_list("to_value", flat=True)) == ["1", "2", "3"]
    with pytest.raises(ComplaintError):
        services.escalate_for_sla(escalations=[(bulk.pk, "  ")])
    assert services.escalate_for_sla(escalations=[]) == []


def test_escalations_in_bulk_cost_the_same_queries_for_one_ticket_or_many(team, django_assert_num_queries):
    few, many = [make(team=team)], [make(team=team) for _ in range(5)]
    # Savepoint, lock, one UPDATE, the events' insert, release.
    with django_assert_num_queries(5):
        services.escalate_for_sla(escalations=[(t.pk, "late") for t in few])
    with django_assert_num_queries(5):
        services.escalate_for_sla(escalations=[(t.pk, "late") for t in many])
    # Tickets raised by different numbers of steps: one UPDATE per number of steps.
    with django_assert_num_queries(6):
        services.escalate_for_sla(escalations=[(t.pk, "late") for t in many] + [(many[0].pk, "later")])
    assert sorted(
        Ticket.objects.filter(pk__in=[t.pk for t in many]).values_list("escalation_level", flat=True)
    ) == [2, 2, 2, 2, 3]
