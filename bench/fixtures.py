"""The extra shapes the bench needs on top of seed_demo's tickets, made through the services.

Each is found again on a rerun instead of being made twice. Needs Django set up (bench.measure does it).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from rest_framework.authtoken.models import Token

from complaints import selectors, services
from complaints.models import Message, Ticket

BENCH_AGENT = "agent1"
INTEGRATION_USER = "bench-integration"
TIMELINE_SUBJECT = "Bench: a ticket with 100 timeline entries"
TIMELINE_ENTRIES = 100


def agent() -> AbstractBaseUser:
    """An agent of seed_demo's customer-service team (sees its ~42 % of the tickets)."""
    return get_user_model().objects.get(username=BENCH_AGENT)


def supervisor() -> AbstractBaseUser:
    return get_user_model().objects.get(username="supervisor")


def integration_token() -> str:
    """The API token of an Integrations account (opens tickets, sees what it opened)."""
    user, _ = get_user_model().objects.get_or_create(username=INTEGRATION_USER)
    user.groups.add(Group.objects.get(name="Integrations"))
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def timeline_ticket(actor: AbstractBaseUser) -> Ticket:
    """A ticket opened by `actor` whose timeline (messages and events) holds at least 100 entries."""
    ticket = Ticket.objects.filter(created_by=actor, subject=TIMELINE_SUBJECT).order_by("pk").first()
    if ticket is None:
        ticket = services.open_ticket(
            actor=actor,
            channel=Ticket.Channel.PHONE,
            customer=services.CustomerDetails(name="Bench Timeline", email="bench.timeline@example.com"),
            subject=TIMELINE_SUBJECT,
            description="The customer calls about the same outage again and again.",
        ).ticket
    number = 0
    while True:
        detailed = selectors.ticket_detail(Ticket.objects.filter(pk=ticket.pk)).get()
        if len(selectors.ticket_timeline(detailed)) >= TIMELINE_ENTRIES:
            return detailed
        number += 1
        services.add_message(
            ticket_id=ticket.pk,
            actor=actor,
            kind=Message.Kind.NOTE,
            body=f"Call {number}: the customer says the line dropped again; checked the port, logged it.",
        )
