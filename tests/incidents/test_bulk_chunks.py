"""The fan-out and resolve-all chunks go through the core's bulk services and the other apps' batch
reactions: a chunk costs the same statements whatever its size (without remedies, whose approval rules
are judged per ticket), and two workers running the same chunk tell each customer once (PostgreSQL)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_intake.models import OutboundMessage
from complaints.models import Message, Resolution, Ticket
from complaints.states import Status
from incidents import services, tasks
from incidents.models import IncidentDelivery, IncidentLink, IncidentUpdate
from tests.complaints.test_concurrency import race


@pytest.fixture
def incident(supervisor, category):
    return services.create_incident(
        actor=supervisor,
        title_zh="基站故障",
        title_en="Base station failure",
        category=category,
        status="confirmed",
    )


def _linked(incident, supervisor, open_ticket, count: int) -> list[Ticket]:
    tickets = [open_ticket(subject=f"断网 {i}", description=f"家里宽带断网（{i}）") for i in range(count)]
    IncidentLink.objects.filter(ticket__in=tickets).delete()  # linked on opening, as matching ones are
    # No remedy: a remedy's approval rules (remedies) are judged per ticket.
    IncidentLink.objects.bulk_create(
        [IncidentLink(incident=incident, ticket=t, remedy=Resolution.Remedy.NONE) for t in tickets]
    )
    return tickets


def _statements(work) -> int:
    with CaptureQueriesContext(connection) as queries:
        work()
    return len(queries)


@pytest.mark.django_db
def test_a_fan_out_chunk_costs_the_same_statements_for_3_tickets_or_9(
    incident, supervisor, open_ticket, django_capture_on_commit_callbacks
):
    update = IncidentUpdate.objects.create(
        incident=incident, body_zh="预计今晚恢复。", body_en="Back tonight."
    )
    small = _linked(incident, supervisor, open_ticket, 3)
    large = _linked(incident, supervisor, open_ticket, 9)
    with django_capture_on_commit_callbacks():
        few = _statements(lambda: tasks.deliver_update.run(update.pk, [t.pk for t in small]))
        many = _statements(lambda: tasks.deliver_update.run(update.pk, [t.pk for t in large]))
    assert many == few, "a chunk's statements grew with its tickets: why?"
    assert IncidentDelivery.objects.filter(update=update).count() == 12
    assert Message.objects.filter(ticket__in=small + large, kind=Message.Kind.REPLY).count() == 12
    assert OutboundMessage.objects.filter(ticket__in=small + large, purpose="reply").count() == 12


@pytest.mark.django_db
def test_a_resolve_all_chunk_costs_the_same_statements_for_3_tickets_or_9(
    incident, supervisor, cause, open_ticket, django_capture_on_commit_callbacks
):
    small = _linked(incident, supervisor, open_ticket, 3)
    large = _linked(incident, supervisor, open_ticket, 9)
    incident.root_cause, incident.steps_taken = cause, "更换了基站电源。"
    incident.save(update_fields=["root_cause", "steps_taken"])
    with django_capture_on_commit_callbacks():
        few = _statements(lambda: tasks.resolve_linked.run(incident.pk, [t.pk for t in small], supervisor.pk))
        many = _statements(
            lambda: tasks.resolve_linked.run(incident.pk, [t.pk for t in large], supervisor.pk)
        )
    assert many == few, "a chunk's statements grew with its tickets: why?"
    assert Resolution.objects.filter(ticket__in=small + large).count() == 12
    assert all(
        t.status == Status.RESOLVED for t in Ticket.objects.filter(pk__in=[t.pk for t in small + large])
    )
    assert all(t.surveys.count() == 1 for t in Ticket.objects.filter(pk__in=[t.pk for t in small + large]))


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_on_the_same_chunk_tell_each_customer_once(incident, supervisor, open_ticket):
    update = IncidentUpdate.objects.create(
        incident=incident, body_zh="预计今晚恢复。", body_en="Back tonight."
    )
    tickets = _linked(incident, supervisor, open_ticket, 5)
    ids = [t.pk for t in tickets]

    results, errors = race(
        lambda: services.deliver_update(update_id=update.pk, ticket_ids=ids),
        lambda: services.deliver_update(update_id=update.pk, ticket_ids=list(reversed(ids))),
    )

    assert errors == []
    assert sorted(results) == [0, 5]  # the second waited for the first's locks and found them told
    assert IncidentDelivery.objects.filter(update=update).count() == 5
    assert Message.objects.filter(ticket__in=tickets, kind=Message.Kind.REPLY).count() == 5
