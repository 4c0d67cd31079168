"""Reads: the ticket list costs the same number of queries however long it is; who sees which tickets."""

from collections.abc import Iterable

import pytest
from django.contrib.auth.models import AnonymousUser

from complaints import selectors
from complaints.models import Ticket
from tests.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    SupervisorFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def add_rows(count: int) -> None:
    """Tickets that each have their own customer, subcategory, team and assignee, as a busy queue does."""
    for _ in range(count):
        team = TeamFactory()
        parent = CategoryFactory()
        TicketFactory(
            customer=CustomerFactory(),
            category=CategoryFactory(parent=parent),
            team=team,
            assignee=AgentFactory(team=team),
        )


def render(tickets: Iterable[Ticket]) -> list[str]:
    """What one row of the desk's list shows."""
    return [
        " | ".join(
            [
                t.reference,
                t.subject,
                t.customer.masked_contact,
                str(t.category),
                t.team.name,
                t.assignee.get_username(),
                t.get_status_display(),
            ]
        )
        for t in tickets
    ]


def test_ticket_list_query_count_is_constant_from_5_to_50_rows(django_assert_num_queries):
    add_rows(5)
    with django_assert_num_queries(1):
        rows = render(selectors.ticket_list())
    assert len(rows) == 5 and all("****" in row and "***@example.com" in row for row in rows)
    add_rows(45)
    with django_assert_num_queries(1):
        rows = render(selectors.ticket_list())
    assert len(rows) == 50


def test_queue_for_a_supervisor_is_also_constant(django_assert_num_queries):
    boss = SupervisorFactory()
    add_rows(5)
    with django_assert_num_queries(2):  # the group check, then the list
        assert len(render(selectors.ticket_queue_for(boss))) == 5
    add_rows(45)
    with django_assert_num_queries(1):  # the group check is remembered on the user object
        assert len(render(selectors.ticket_queue_for(boss))) == 50


def test_who_sees_which_tickets():
    mine, other = TeamFactory(slug="mine"), TeamFactory(slug="other")
    agent = AgentFactory(team=mine)
    integration = UserFactory(username="wechat-bridge")
    team_ticket = TicketFactory(team=mine)
    assigned_elsewhere = TicketFactory(team=other, assignee=agent)
    other_ticket = TicketFactory(team=other)
    unrouted = TicketFactory()
    opened_by_integration = TicketFactory(created_by=integration)

    assert set(selectors.tickets_visible_to(SupervisorFactory())) == set(Ticket.objects.all())
    assert set(selectors.tickets_visible_to(agent)) == {team_ticket, assigned_elsewhere}
    assert set(selectors.tickets_visible_to(integration)) == {opened_by_integration}
    assert not selectors.tickets_visible_to(AnonymousUser()).exists()
    # No duplicate rows for a ticket that is both in the agent's team and assigned to them.
    TicketFactory(team=mine, assignee=agent)
    assert selectors.tickets_visible_to(agent).count() == 3
    assert other_ticket not in selectors.tickets_visible_to(agent)
    assert unrouted not in selectors.tickets_visible_to(agent)
