"""seed_demo: accounts and reference data once, tickets that look like real ones, every time."""

import re
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from complaints import pii
from complaints.events import EventKind, tickets_bulk_loaded
from complaints.models import (
    CannedReply,
    Category,
    Customer,
    KBArticle,
    Message,
    Resolution,
    RoutingRule,
    Team,
    TeamMembership,
    Ticket,
)
from complaints.models.tickets import REFERENCE_PATTERN
from complaints.states import Status, is_allowed

PASSWORD = "demo-pass-word-42"


def login_request():
    # The sign-in lockout (django-axes) counts attempts per request: authenticate() needs one.
    return RequestFactory().post("/accounts/login/")


@pytest.fixture
def loaded_ids(db):
    """Ticket ids announced through tickets_bulk_loaded while the test runs."""
    ids: list[int] = []

    def receiver(sender, ticket_ids, **kwargs):
        ids.extend(ticket_ids)

    tickets_bulk_loaded.connect(receiver, dispatch_uid="test-seed-demo")
    yield ids
    tickets_bulk_loaded.disconnect(dispatch_uid="test-seed-demo")


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", password=PASSWORD, seed=7, stdout=out, **options)
    return out.getvalue()


def test_staff_accounts_teams_and_reference_data(loaded_ids):
    output = seed(tickets=0, agents=10)

    assert set(Team.objects.values_list("function", flat=True)) == set(Team.Function.values)
    supervisor = authenticate(login_request(), username="supervisor", password=PASSWORD)
    assert supervisor is not None and supervisor.is_staff
    assert supervisor.groups.filter(name="Supervisors").exists()
    for number in range(1, 11):
        agent = authenticate(login_request(), username=f"agent{number}", password=PASSWORD)
        assert agent is not None and agent.groups.filter(name="Agents").exists()
        assert agent.memberships.count() == 1
    for team in Team.objects.all():
        assert team.memberships.count() == 2
        assert team.memberships.filter(role=TeamMembership.Role.LEAD).count() == 1
    assert not Category.objects.filter(default_team__isnull=True).exists()
    assert Category.objects.get(slug="billing-refund-difficulty").default_team.slug == "billing"
    keywords = " ".join(RoutingRule.objects.values_list("match_keywords", flat=True))
    assert "退款" in keywords and "refund" in keywords
    assert KBArticle.objects.filter(is_public=True).exclude(body_en="").count() >= 3
    assert KBArticle.objects.filter(is_public=False).exists()
    assert set(CannedReply.objects.values_list("language", flat=True)) == {"zh-hans", "en"}
    assert "supervisor" in output and "agent10" in output and PASSWORD in output
    assert Ticket.objects.count() == 0 and loaded_ids == []


def test_tickets_cover_every_status_channel_kind_and_priority(loaded_ids):
    seed(tickets=400, batch_size=150)

    tickets = Ticket.objects.all()
    assert tickets.count() == 400
    assert sorted(loaded_ids) == sorted(tickets.values_list("pk", flat=True))
    assert set(tickets.values_list("status", flat=True)) == set(Status.values)
    assert set(tickets.values_list("channel", flat=True)) == set(Ticket.Channel.values)
    assert set(tickets.values_list("kind", flat=True)) == set(Ticket.Kind.values)
    assert set(tickets.values_list("priority", flat=True)) == {1, 2, 3, 4}
    references = list(tickets.values_list("reference", flat=True))
    assert len(set(references)) == 400
    assert all(re.fullmatch(REFERENCE_PATTERN, r) for r in references)
    # Old tickets look old: the load spans weeks, not the second it ran.
    oldest, newest = tickets.order_by("created_at").first(), tickets.order_by("created_at").last()
    assert (newest.created_at - oldest.created_at).days >= 14


def test_each_timeline_is_a_legal_walk_matching_the_ticket(db):
    seed(tickets=150)

    events = Counter()
    for ticket in Ticket.objects.prefetch_related("events", "messages", "resolutions"):
        timeline = list(ticket.events.all())
        assert timeline[0].kind == EventKind.OPENED
        status = Status.NEW
        for event in timeline:
            events[event.kind] += 1
            assert event.created_at >= ticket.created_at
            if event.to_value in Status.values and event.kind != EventKind.OPENED:
                assert event.from_value == status
                assert is_allowed(status, event.to_value), (ticket.reference, status, event.to_value)
                status = event.to_value
        assert status == ticket.status
        assert ticket.messages.filter(kind=Message.Kind.CUSTOMER).count() == 1
        if ticket.status != Status.NEW:
            assert (
                ticket.assignee is not None and ticket.assignee.memberships.filter(team=ticket.team).exists()
            )
            assert ticket.first_response_at == ticket.acknowledged_at
            assert ticket.messages.filter(
                kind=Message.Kind.REPLY, created_at=ticket.first_response_at
            ).exists()
        if ticket.status in (Status.RESOLVED, Status.CLOSED):
            resolution = ticket.resolutions.get()
            assert resolution.created_at == ticket.resolved_at
            assert ticket.events.get(kind=EventKind.RESOLVED).detail["resolution_id"] == resolution.pk
        else:
            assert not ticket.resolutions.exists() and ticket.resolved_at is None
        assert (ticket.closed_at is not None) == (ticket.status == Status.CLOSED)
    assert events[EventKind.CONFIRMED] and events[EventKind.AUTO_CLOSED]
    assert Resolution.objects.filter(customer_response=Resolution.CustomerResponse.CONFIRMED).exists()


def test_customers_are_stored_encrypted_and_found_by_blind_index(db):
    seed(tickets=50)

    customer = Customer.objects.exclude(email="").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, email, phone FROM complaints_customer WHERE id = %s", [customer.pk])
        raw = cursor.fetchone()
    assert customer.name not in raw[0] and customer.email not in raw[1] and customer.phone not in raw[2]
    assert pii.decrypt(raw[1]) == customer.email
    found = Customer.objects.get(email_index=pii.blind_index("email", customer.email.upper()))
    assert found == customer
    assert Customer.objects.filter(phone_index=pii.blind_index("phone", customer.phone)).exists()
    # A pool shared by the tickets, not a customer per ticket.
    assert Customer.objects.count() < Ticket.objects.count()


def test_running_again_adds_tickets_but_not_reference_data(db):
    seed(tickets=30)
    counts = {
        model: model.objects.count() for model in (Team, RoutingRule, KBArticle, CannedReply, TeamMembership)
    }
    users = get_user_model().objects.count()

    seed(tickets=20)

    assert Ticket.objects.count() == 50
    assert {model: model.objects.count() for model in counts} == counts
    assert get_user_model().objects.count() == users


def test_once_loads_tickets_only_into_an_empty_database(db):
    seed(tickets=10, once=True)
    output = seed(tickets=10, once=True)

    assert Ticket.objects.count() == 10
    assert "none added" in output
    # The accounts still take the password of this run.
    call_command("seed_demo", password="another-pass-1", tickets=0, once=True, stdout=StringIO())
    assert authenticate(login_request(), username="agent1", password="another-pass-1") is not None


def test_queries_do_not_grow_with_the_number_of_tickets(db):
    """Bulk loading stays bulk: no per-ticket query, so a million tickets stay feasible."""
    seed(tickets=0)
    with CaptureQueriesContext(connection) as small:
        seed(tickets=40)
    with CaptureQueriesContext(connection) as large:
        seed(tickets=400)
    assert Ticket.objects.count() == 440
    # A few more insert statements where a backend splits big batches, never hundreds.
    assert len(large.captured_queries) - len(small.captured_queries) <= 10
