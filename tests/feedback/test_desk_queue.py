"""feedback.desk_queue: the desk's "Return visits due" queue, which feedback adds through
complaints.extensions (the core knows nothing of return visits)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import extensions, selectors
from complaints.models import Resolution
from complaints.states import Status
from feedback.models import ReturnVisit, Survey
from tests.factories import RootCauseFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db


def visit_on(ticket, *, completed: bool = False, due_in_hours: int = 4) -> ReturnVisit:
    resolution = Resolution.objects.create(ticket=ticket, root_cause=RootCauseFactory(), steps_taken="x")
    survey = Survey.objects.create(
        resolution=resolution, ticket=ticket, customer=ticket.customer, send_after=timezone.now()
    )
    return ReturnVisit.objects.create(
        ticket=ticket,
        survey=survey,
        team=ticket.team,
        reason="Rated 1",
        due_at=timezone.now() + timedelta(hours=due_in_hours),
        completed_at=timezone.now() if completed else None,
        outcome="satisfied" if completed else "",
    )


def resolved(team):
    return TicketFactory(team=team, status=Status.RESOLVED, resolved_at=timezone.now())


def test_the_queue_is_registered_by_feedback_after_the_cores_work_queues(agent):
    values = [queue.value for queue in selectors.queues_for(agent)]
    assert extensions.desk_queue("return_visits") is not None
    assert values.index("return_visits") == values.index("awaiting") + 1
    assert values.index("resolved") == values.index("return_visits") + 1


def test_the_count_is_of_visible_tickets_with_an_open_visit(agent, team):
    twice = resolved(team)
    visit_on(twice)
    visit_on(resolved(team))
    visit_on(resolved(team), completed=True)
    visit_on(resolved(TeamFactory()))  # another team's: not visible to the agent
    # Two open visits on one ticket count the ticket once.
    second = resolved(team)
    visit_on(second)
    ReturnVisit.objects.filter(ticket=second).update(ticket=twice)
    assert selectors.queue_counts(agent)["return_visits"] == 2


def test_the_queue_lists_each_ticket_once_with_its_soonest_visit(agent, team):
    ticket = resolved(team)
    later = visit_on(ticket, due_in_hours=8)
    sooner = visit_on(resolved(team), due_in_hours=2)
    sooner.ticket = ticket
    sooner.save(update_fields=["ticket"])
    rows = list(selectors.ticket_queue(agent, "return_visits"))
    assert [row.reference for row in rows] == [ticket.reference]
    assert rows[0].return_visit_due == sooner.due_at < later.due_at


def test_the_count_is_kept_for_a_while_but_my_own_action_shows_at_once(agent, team, settings):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "QUEUE_COUNTS_SECONDS": 60}
    visit_on(resolved(team))
    assert selectors.queue_counts(agent)["return_visits"] == 1
    visit_on(resolved(team))  # a colleague's: counted again when the cached counts expire
    assert selectors.queue_counts(agent)["return_visits"] == 1
    selectors.forget_own_queue_counts(agent)  # what the agent's own action on a ticket does
    assert selectors.queue_counts(agent)["return_visits"] == 2
