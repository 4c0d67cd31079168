"""complaints.services.timeline: the version check, and events that name the actor, are announced, mail on commit."""

import pytest

from complaints import services
from complaints.errors import StaleVersion
from complaints.events import EventKind
from complaints.states import Status

from .conftest import make

pytestmark = pytest.mark.django_db


def test_stale_version_is_refused_with_the_current_version(team, agent):
    ticket = make(team=team)
    services.acknowledge(ticket_id=ticket.pk, actor=agent, version=1)
    with pytest.raises(StaleVersion) as caught:
        services.transition(ticket_id=ticket.pk, actor=agent, to=Status.IN_PROGRESS, version=1)
    assert caught.value.detail["current_version"] == 2
    assert caught.value.http_status == 409
    ticket.refresh_from_db()
    assert ticket.status == Status.ACKNOWLEDGED and ticket.version == 2


def test_events_name_the_actor_are_announced_and_staff_mail_waits_for_commit(
    team, agent, django_capture_on_commit_callbacks
):
    from complaints.events import ticket_event

    heard: list[tuple[int, str]] = []

    def receiver(sender, ticket, event, **kwargs) -> None:
        heard.append((ticket.pk, event.kind))

    ticket_event.connect(receiver, dispatch_uid="test-services-receiver")
    try:
        ticket = make(team=team)
        with django_capture_on_commit_callbacks() as callbacks:
            services.escalate(ticket_id=ticket.pk, actor=agent, version=1, reason="VIP")
        assert len(callbacks) == 1  # the staff notification, queued only once the change is committed
        with django_capture_on_commit_callbacks() as callbacks:
            services.acknowledge(ticket_id=ticket.pk, actor=agent, version=2)
        assert callbacks == []  # acknowledging tells no staff member
    finally:
        ticket_event.disconnect(dispatch_uid="test-services-receiver")
    assert heard == [(ticket.pk, EventKind.ESCALATED), (ticket.pk, EventKind.ACKNOWLEDGED)]
    assert set(ticket.events.values_list("actor", flat=True)) == {agent.pk}
