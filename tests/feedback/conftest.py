"""Fixtures for the satisfaction follow-up: a routed ticket with a lead, and resolving it through the services."""

from collections.abc import Callable

import pytest
from django.core import mail

from channels_intake.outbound.sms import LocmemSmsBackend
from complaints import services as complaint_services
from complaints.models import Resolution, Ticket
from feedback.models import Survey
from tests.factories import AgentFactory, CustomerFactory, RootCauseFactory, TicketFactory


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": "channels_intake.outbound.sms.LocmemSmsBackend"}
    LocmemSmsBackend.outbox.clear()
    yield
    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def lead(team):
    return AgentFactory(username="lead-wang", team=team, team__role="lead")


@pytest.fixture
def ticket(team, agent) -> Ticket:
    customer = CustomerFactory(email="li.lei@example.com", preferred_language="en")
    return TicketFactory(
        customer=customer, team=team, assignee=agent, subject="Broadband drops every evening"
    )


@pytest.fixture
def resolve(django_capture_on_commit_callbacks, agent) -> Callable[..., Resolution]:
    """Resolve a ticket through complaints.services (as an agent would), running on-commit effects."""

    def _resolve(ticket: Ticket) -> Resolution:
        with django_capture_on_commit_callbacks(execute=True):
            return complaint_services.resolve(
                ticket_id=ticket.pk,
                actor=agent,
                version=None,
                root_cause=RootCauseFactory(slug="line-fault"),
                steps_taken="Replaced the faulty line card.",
            )

    return _resolve


@pytest.fixture
def sent_survey(ticket, resolve, time_machine) -> Survey:
    """A survey about `ticket` that has been e-mailed (the outbox is emptied afterwards)."""
    from feedback import services

    time_machine.move_to("2026-03-02 10:00 +08:00", tick=False)
    resolve(ticket)
    time_machine.move_to("2026-03-03 10:00 +08:00", tick=False)
    report = services.send_due_surveys()
    assert report.sent == 1
    mail.outbox.clear()
    return Survey.objects.get(ticket=ticket)
