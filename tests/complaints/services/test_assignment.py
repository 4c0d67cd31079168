"""complaints.services.assignment: assign by hand, and automatic assignment by each team's strategy."""

import pytest
from django.utils import timezone

from complaints import services
from complaints.errors import ComplaintError, IllegalTransition
from complaints.events import EventKind
from complaints.models import Team, TeamMembership
from complaints.states import Status
from tests.factories import AgentFactory, TeamFactory

from .conftest import core_events, make, open_

pytestmark = pytest.mark.django_db


def test_auto_assignment_round_robin_skips_away_agents(team, category):
    first, away, second = AgentFactory(team=team), AgentFactory(team=team), AgentFactory(team=team)
    TeamMembership.objects.filter(user=away).update(is_away=True)
    assignees = [open_(category).assignee for _ in range(4)]
    assert assignees == [first, second, first, second]


def test_auto_assignment_least_loaded_prefers_the_agent_with_fewest_open_tickets(team, category):
    team.assignment_strategy = Team.AssignmentStrategy.LEAST_LOADED
    team.save(update_fields=["assignment_strategy"])
    busy, idle = AgentFactory(team=team), AgentFactory(team=team)
    for _ in range(2):
        make(team=team, assignee=busy, status=Status.IN_PROGRESS)
    # Closed tickets do not count as load.
    for _ in range(3):
        make(team=team, assignee=idle, status=Status.CLOSED)
    TeamMembership.objects.filter(user=idle).update(last_assigned_at=timezone.now())
    ticket = open_(category)
    assert ticket.assignee == idle
    assert ticket.events.get(kind=EventKind.ASSIGNED).detail["strategy"] == "least_loaded"


def test_assign_within_and_across_teams(team, agent, supervisor):
    ticket = make(team=team)
    ticket = services.assign(ticket_id=ticket.pk, actor=agent, assignee=agent, version=1)
    assert ticket.assignee == agent and ticket.version == 2
    other_team = TeamFactory(slug="technical")
    engineer = AgentFactory(team=other_team)
    # Moving a ticket to another team's agent is a supervisor's decision (complaints.policy).
    ticket = services.assign(ticket_id=ticket.pk, actor=supervisor, assignee=engineer, version=2)
    ticket.refresh_from_db()
    assert ticket.assignee == engineer and ticket.team == other_team and ticket.version == 3
    assigned = list(ticket.events.filter(kind=EventKind.ASSIGNED).order_by("pk"))
    assert [(e.from_value, e.to_value) for e in assigned] == [
        ("", agent.username),
        (agent.username, engineer.username),
    ]
    ticket = services.assign(ticket_id=ticket.pk, actor=supervisor, assignee=None, version=3)
    assert ticket.assignee is None


def test_assign_refuses_inactive_and_teamless_users(team, agent):
    ticket = make(team=team)
    gone = AgentFactory(team=team, is_active=False)
    with pytest.raises(ComplaintError):
        services.assign(ticket_id=ticket.pk, actor=agent, assignee=gone, version=1)
    with pytest.raises(ComplaintError):
        services.assign(ticket_id=ticket.pk, actor=agent, assignee=AgentFactory(), version=1)
    with pytest.raises(IllegalTransition):
        services.assign(ticket_id=make(Status.CLOSED, team=team).pk, actor=agent, assignee=agent, version=1)
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.version == 1 and not core_events(ticket).exists()


def test_each_team_assigns_by_its_own_strategy(category):
    round_robin = category.default_team
    least = TeamFactory(slug="least", assignment_strategy=Team.AssignmentStrategy.LEAST_LOADED)
    first, second = AgentFactory(team=round_robin), AgentFactory(team=round_robin)
    busy, idle = AgentFactory(team=least), AgentFactory(team=least)
    for _ in range(2):
        make(team=least, assignee=busy, status=Status.IN_PROGRESS)
    TeamMembership.objects.filter(user=idle).update(last_assigned_at=timezone.now())
    assert [open_(category).assignee for _ in range(3)] == [first, second, first]
    moved = [
        services.reroute(
            ticket_id=make(team=round_robin).pk, actor=None, team=least, version=None, reason="x"
        )
        for _ in range(2)
    ]
    # Least loaded: idle has none open, then one; busy still has two.
    assert [t.assignee for t in moved] == [idle, idle]


def test_least_loaded_also_skips_away_agents(team, category):
    team.assignment_strategy = Team.AssignmentStrategy.LEAST_LOADED
    team.save(update_fields=["assignment_strategy"])
    away, present = AgentFactory(team=team), AgentFactory(team=team)
    TeamMembership.objects.filter(user=away).update(is_away=True)
    make(team=team, assignee=present, status=Status.IN_PROGRESS)
    assert open_(category).assignee == present
