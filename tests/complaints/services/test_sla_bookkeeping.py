"""complaints.services.sla_bookkeeping: the sla app's summary and alerts, one or a batch, keep the agent's version."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services
from complaints.events import EventKind
from complaints.models import Ticket, TicketEvent

from .conftest import make

pytestmark = pytest.mark.django_db


def test_sla_bookkeeping_keeps_the_agents_version(team):
    ticket = make(team=team)
    due = timezone.now() + timedelta(hours=4)
    services.update_sla_summary(ticket_id=ticket.pk, state=Ticket.SlaState.AT_RISK, due_at=due)
    ticket.refresh_from_db()
    assert ticket.sla_state == Ticket.SlaState.AT_RISK and ticket.sla_due_at == due
    assert ticket.version == 1 and not ticket.events.exists()
    [event] = services.record_sla_alerts(
        alerts=[
            {
                "ticket_id": ticket.pk,
                "kind": EventKind.SLA_BREACHED,
                "target": "first_response",
                "due_at": due,
            }
        ]
    )
    assert event.kind == EventKind.SLA_BREACHED and event.to_value == "first_response"
    with pytest.raises(ValueError):
        services.record_sla_alerts(
            alerts=[{"ticket_id": ticket.pk, "kind": EventKind.OPENED, "target": "x", "due_at": due}]
        )


def test_sla_alerts_recorded_in_a_batch_read_like_single_ones_and_are_announced(team):
    from complaints.events import ticket_event

    first, second = make(team=team), make(team=team)
    due = timezone.now() + timedelta(hours=4)
    [single] = services.record_sla_alerts(
        alerts=[
            {
                "ticket_id": first.pk,
                "kind": EventKind.SLA_WARNING,
                "target": "resolution",
                "due_at": due,
                "threshold": 50,
            }
        ]
    )
    heard: list[tuple[int, str]] = []

    def receiver(sender, ticket, event, **kwargs) -> None:
        heard.append((ticket.pk, event.kind))

    ticket_event.connect(receiver, dispatch_uid="test-sla-alerts-receiver")
    try:
        events = services.record_sla_alerts(
            alerts=[
                {
                    "ticket_id": second.pk,
                    "kind": EventKind.SLA_WARNING,
                    "target": "resolution",
                    "due_at": due,
                    "threshold": 50,
                },
                {
                    "ticket_id": first.pk,
                    "kind": EventKind.SLA_BREACHED,
                    "target": "first_response",
                    "due_at": due,
                    "reason": "late",
                    "threshold": 100,
                },
            ]
        )
    finally:
        ticket_event.disconnect(dispatch_uid="test-sla-alerts-receiver")
    assert heard == [(second.pk, EventKind.SLA_WARNING), (first.pk, EventKind.SLA_BREACHED)]
    assert [(e.ticket_id, e.kind, e.to_value, e.reason) for e in events] == [
        (second.pk, EventKind.SLA_WARNING, "resolution", ""),
        (first.pk, EventKind.SLA_BREACHED, "first_response", "late"),
    ]
    stored = TicketEvent.objects.get(pk=events[0].pk)
    assert (stored.actor, stored.from_value, stored.detail) == (None, "", single.detail)
    assert Ticket.objects.get(pk=first.pk).version == 1  # bookkeeping: an agent's open form stays valid
    with pytest.raises(ValueError):
        services.record_sla_alerts(
            alerts=[{"ticket_id": first.pk, "kind": EventKind.OPENED, "target": "x", "due_at": due}]
        )
    assert services.record_sla_alerts(alerts=[]) == []
