"""REST API v1 tickets: opening, listing with filters and cursors, reading, and who sees what."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from complaints import extensions
from complaints.models import Category, IdempotencyKey, Ticket
from tests.complaints.api_helpers import client_for, make_integration, open_ticket, ticket_payload
from tests.factories import CustomerFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture
def integration():
    return make_integration()


@pytest.fixture
def other_team():
    return TeamFactory(slug="billing", name_zh="计费", name_en="Billing")


def _moment(value: str | None):
    return parse_datetime(value) if value else None


# --- opening -------------------------------------------------------------------------------


def test_integration_opens_a_ticket_and_gets_reference_status_priority_category_and_sla(integration):
    response = client_for(integration).post(TICKETS, ticket_payload(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["reference"].startswith("CMP-") and len(body["reference"]) == 12
    assert body["status"] == "new"
    assert body["priority"] == 2
    assert body["category"]["slug"] == "network-broadband-outage"
    assert body["category"]["name_en"] == "Broadband outage"
    ticket = Ticket.objects.get(reference=body["reference"])
    # The summary always; the sla app adds its clocks' due times when it is installed.
    assert body["sla"]["state"] == ticket.sla_state
    assert _moment(body["sla"]["due_at"]) == ticket.sla_due_at
    assert body["is_repeat"] is False
    # An integration claimed the contact it sent: what we hold about the customer is not shown to it
    # (staff see it masked: test_staff_see_the_customer_masked).
    assert body["customer"] is None
    assert response["Location"].endswith(f"/api/v1/tickets/{body['reference']}/")
    ticket = Ticket.objects.get(reference=body["reference"])
    assert ticket.created_by == integration
    assert ticket.channel == "app"
    assert ticket.customer.phone == "+86 138-0013-8000"
    assert ticket.events.filter(kind="opened").count() == 1


def test_staff_see_the_customer_masked(integration, supervisor):
    reference = client_for(integration).post(TICKETS, ticket_payload(), format="json").json()["reference"]
    body = client_for(supervisor).get(f"{TICKETS}{reference}/").json()
    assert body["customer"]["phone"] == "138****8000"  # masked, never the clear number


def test_opening_shows_every_field_the_other_apps_register(integration, monkeypatch):
    registered = {
        "sla": lambda t: {"first_response_due_at": "2026-11-02T09:00:00+08:00"},
        "survey": lambda t: {"sent": False},
    }
    monkeypatch.setattr(extensions, "TICKET_FIELDS", registered)

    body = client_for(integration).post(TICKETS, ticket_payload(), format="json").json()

    ticket = Ticket.objects.get(reference=body["reference"])
    assert _moment(body["sla"].pop("due_at")) == ticket.sla_due_at
    assert body["sla"] == {"state": ticket.sla_state, "first_response_due_at": "2026-11-02T09:00:00+08:00"}
    assert body["survey"] == {"sent": False}


def test_a_repeat_of_an_open_ticket_answers_200_with_that_ticket(integration):
    client = client_for(integration)
    first = client.post(TICKETS, ticket_payload(), format="json").json()

    again = client.post(TICKETS, ticket_payload(), format="json")

    assert again.status_code == 200
    assert again.json()["reference"] == first["reference"]
    assert again.json()["is_repeat"] is True
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().messages.filter(kind="customer").count() == 1


def test_a_repeat_sent_by_another_integration_opens_its_own_ticket_linked_for_the_agents(supervisor):
    # A claimed contact is not proof of identity: the relay learns nothing of the shop's ticket.
    first = client_for(make_integration("shop-app")).post(TICKETS, ticket_payload(), format="json").json()
    relay = client_for(make_integration("wechat-relay"))

    again = relay.post(TICKETS, ticket_payload(), format="json")

    assert again.status_code == 201
    body = again.json()
    assert body["reference"] != first["reference"]
    assert (body["is_repeat"], body["repeat_of"], body["customer"]) == (False, None, None)
    assert relay.get(f"{TICKETS}{first['reference']}/").status_code == 404
    staff_view = client_for(supervisor).get(f"{TICKETS}{body['reference']}/").json()
    assert staff_view["repeat_of"] == first["reference"]


def test_a_repeat_of_a_closed_ticket_is_a_new_ticket_naming_the_earlier_one(integration, supervisor):
    earlier = open_ticket(actor=integration, **_same_complaint())
    from complaints import services

    services.transition(
        ticket_id=earlier.pk, actor=supervisor, to="closed", version=earlier.version, reason="withdrawn"
    )

    response = client_for(integration).post(
        TICKETS,
        ticket_payload(customer={"email": "wang@example.com"}, category=None, **_same_complaint_payload()),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["repeat_of"] == earlier.reference
    assert response.json()["is_repeat"] is False


def _same_complaint() -> dict:
    return {"subject": "Charged twice for my plan", "description": "My bill shows the monthly fee twice."}


def _same_complaint_payload() -> dict:
    return {"subject": "Charged twice for my plan", "description": "My bill shows the monthly fee twice."}


def test_idempotency_key_retry_returns_the_same_ticket(integration):
    client = client_for(integration)
    payload = ticket_payload()

    first = client.post(TICKETS, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-77-complaint")
    retry = client.post(TICKETS, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-77-complaint")

    assert first.status_code == retry.status_code == 201
    assert retry.json()["reference"] == first.json()["reference"]
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().messages.count() == 0  # not folded in as a repeat either
    assert IdempotencyKey.objects.get().ticket.reference == first.json()["reference"]


def test_idempotency_key_reused_with_another_body_is_refused(integration):
    client = client_for(integration)
    client.post(TICKETS, ticket_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k1")

    response = client.post(
        TICKETS, ticket_payload(subject="Something else"), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1


def test_idempotency_keys_are_per_account(integration):
    other = make_integration("other-partner")
    payload = ticket_payload()
    first = client_for(integration).post(TICKETS, payload, format="json", HTTP_IDEMPOTENCY_KEY="same")
    second = client_for(other).post(
        TICKETS,
        ticket_payload(customer={"email": "someone@example.com"}),
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )

    assert second.status_code == 201
    assert second.json()["reference"] != first.json()["reference"]


def test_failed_opening_does_not_burn_the_idempotency_key(integration):
    client = client_for(integration)
    bad = client.post(TICKETS, ticket_payload(subject="   "), format="json", HTTP_IDEMPOTENCY_KEY="k")
    good = client.post(TICKETS, ticket_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert bad.status_code == 400
    assert good.status_code == 201


def test_agent_may_open_a_ticket(agent):
    response = client_for(agent).post(TICKETS, ticket_payload(channel="phone"), format="json")
    assert response.status_code == 201
    assert response.json()["channel"] == "phone"


def test_a_user_without_a_role_may_not_open_tickets(db):
    from tests.factories import UserFactory

    response = client_for(UserFactory()).post(TICKETS, ticket_payload(), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert Ticket.objects.count() == 0


def test_anonymous_requests_are_refused_with_401(db):
    response = APIClient().get(TICKETS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_session_authentication_works(agent, team):
    TicketFactory(team=team)
    client = APIClient()
    client.force_login(agent)
    assert client.get(TICKETS).status_code == 200
    assert len(client.get(TICKETS).json()["results"]) == 1


# --- visibility ------------------------------------------------------------------------------


def test_integration_sees_only_the_tickets_it_opened(integration, team):
    mine = open_ticket(actor=integration)
    TicketFactory(team=team)
    client = client_for(integration)

    listed = client.get(TICKETS).json()["results"]

    assert [t["reference"] for t in listed] == [mine.reference]
    assert client.get(f"{TICKETS}{mine.reference}/").status_code == 200


def test_another_teams_ticket_is_404_for_an_agent(agent, other_team):
    theirs = TicketFactory(team=other_team)
    response = client_for(agent).get(f"{TICKETS}{theirs.reference}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client_for(agent).get(TICKETS).json()["results"] == []


def test_supervisor_sees_every_ticket(supervisor, team, other_team):
    TicketFactory(team=team)
    TicketFactory(team=other_team)
    TicketFactory(team=None)
    assert len(client_for(supervisor).get(TICKETS).json()["results"]) == 3


def test_retrieve_answers_with_the_version_as_etag(agent, team):
    ticket = TicketFactory(team=team)
    response = client_for(agent).get(f"{TICKETS}{ticket.reference}/")
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["version"] == 1


def test_unknown_reference_is_404(agent):
    assert client_for(agent).get(f"{TICKETS}CMP-00000000/").status_code == 404


# --- filters ---------------------------------------------------------------------------------


def _refs(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {t["reference"] for t in response.json()["results"]}


def test_filter_by_status_priority_channel_and_sla_state(supervisor):
    new = TicketFactory(status="new", priority=1, channel="web", sla_state="at_risk")
    progress = TicketFactory(status="in_progress", priority=3, channel="email", sla_state="breached")
    closed = TicketFactory(status="closed", priority=4, channel="phone", sla_state="met")
    client = client_for(supervisor)

    assert _refs(client.get(TICKETS, {"status": "new"})) == {new.reference}
    assert _refs(client.get(f"{TICKETS}?status=new&status=in_progress")) == {
        new.reference,
        progress.reference,
    }
    assert _refs(client.get(TICKETS, {"priority": 4})) == {closed.reference}
    assert _refs(client.get(TICKETS, {"channel": "email"})) == {progress.reference}
    assert _refs(client.get(TICKETS, {"sla_state": "breached"})) == {progress.reference}


def test_filter_by_category_includes_subcategories(supervisor):
    parent = Category.objects.get(slug="billing")
    child = Category.objects.get(slug="billing-refund-difficulty")
    in_child = TicketFactory(category=child)
    in_parent = TicketFactory(category=parent)
    TicketFactory(category=Category.objects.get(slug="account-login"))
    client = client_for(supervisor)

    assert _refs(client.get(TICKETS, {"category": "billing"})) == {in_child.reference, in_parent.reference}
    assert _refs(client.get(TICKETS, {"category": "billing-refund-difficulty"})) == {in_child.reference}


def test_filter_by_team_and_assignee(supervisor, team, agent, other_team):
    mine = TicketFactory(team=team, assignee=agent)
    unassigned = TicketFactory(team=team)
    elsewhere = TicketFactory(team=other_team)
    client = client_for(supervisor)

    assert _refs(client.get(TICKETS, {"team": "billing"})) == {elsewhere.reference}
    assert _refs(client.get(TICKETS, {"assignee": agent.username})) == {mine.reference}
    assert _refs(client.get(TICKETS, {"assignee": "none"})) == {unassigned.reference, elsewhere.reference}
    assert _refs(client_for(agent).get(TICKETS, {"assignee": "me"})) == {mine.reference}


def test_filter_by_creation_period(supervisor, time_machine):
    time_machine.move_to("2026-10-01T10:00:00+08:00", tick=False)
    october = TicketFactory()
    time_machine.move_to("2026-11-01T10:00:00+08:00", tick=False)
    november = TicketFactory()
    client = client_for(supervisor)

    assert _refs(client.get(TICKETS, {"created_after": "2026-10-15T00:00:00+08:00"})) == {november.reference}
    assert _refs(client.get(TICKETS, {"created_before": "2026-10-15T00:00:00+08:00"})) == {october.reference}


def test_search_by_reference_order_number_contact_and_words(supervisor):
    by_words = TicketFactory(subject="Router keeps rebooting")
    by_order = TicketFactory(order_number="ORD-555")
    by_phone = TicketFactory(customer=CustomerFactory(phone="13912345678"))
    client = client_for(supervisor)

    assert _refs(client.get(TICKETS, {"search": "rebooting"})) == {by_words.reference}
    assert _refs(client.get(TICKETS, {"search": "ORD-555"})) == {by_order.reference}
    assert _refs(client.get(TICKETS, {"search": "139 1234 5678"})) == {by_phone.reference}
    assert _refs(client.get(TICKETS, {"search": by_words.reference.lower()})) == {by_words.reference}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"priority": "9"}, "priority"),
        ({"category": "no-such-category"}, "category"),
        ({"team": "no-such-team"}, "team"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-13-45"}, "created_before"),
        ({"created_after": "0001-01-01T00:00:00+14:00"}, "created_after"),
        ({"created_before": "9999-12-31T23:59:59-14:00"}, "created_before"),
        ({"ordering": "subject"}, "ordering"),
        ({"sla_state": "late"}, "sla_state"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "1000"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_bad_filter_values_are_400_naming_the_field(supervisor, params, field):
    response = client_for(supervisor).get(TICKETS, params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


# --- ordering and cursors --------------------------------------------------------------------


def _walk(client, params: dict) -> list[str]:
    """Every reference in order, following `next` links."""
    seen: list[str] = []
    response = client.get(TICKETS, params)
    while True:
        body = response.json()
        seen += [t["reference"] for t in body["results"]]
        if not body["next"]:
            return seen
        response = client.get(body["next"])


@pytest.mark.parametrize(
    "ordering",
    [
        "created_at",
        "-created_at",
        "priority",
        "-priority",
        "sla_due_at",
        "-sla_due_at",
        "updated_at",
        "-updated_at",
    ],
)
def test_cursor_pages_cover_every_ticket_once_in_order(supervisor, ordering, time_machine):
    time_machine.move_to("2026-11-01T10:00:00+08:00", tick=True)
    from datetime import timedelta

    from django.utils import timezone

    tickets = []
    for i in range(11):
        due = timezone.now() + timedelta(hours=i % 4) if i % 3 else None
        tickets.append(TicketFactory(priority=1 + i % 4, sla_due_at=due))
        time_machine.shift(timedelta(minutes=1))

    seen = _walk(client_for(supervisor), {"ordering": ordering, "page_size": 3})

    field, descending = ordering.lstrip("-"), ordering.startswith("-")
    # Ties broken by primary key in the same direction; tickets without the value (no SLA due) last.
    present = sorted(
        (t for t in tickets if getattr(t, field) is not None),
        key=lambda t: (getattr(t, field), t.pk),
        reverse=descending,
    )
    missing = sorted(
        (t for t in tickets if getattr(t, field) is None), key=lambda t: t.pk, reverse=descending
    )
    assert seen == [t.reference for t in [*present, *missing]]
    assert len(seen) == len(set(seen)) == 11


def test_default_order_is_newest_first(supervisor, time_machine):
    time_machine.move_to("2026-11-01T10:00:00+08:00", tick=False)
    old = TicketFactory()
    time_machine.move_to("2026-11-02T10:00:00+08:00", tick=False)
    new = TicketFactory()
    results = client_for(supervisor).get(TICKETS).json()["results"]
    assert [t["reference"] for t in results] == [new.reference, old.reference]


def test_a_cursor_for_another_ordering_is_refused(supervisor):
    for _ in range(3):
        TicketFactory()
    client = client_for(supervisor)
    next_link = client.get(TICKETS, {"page_size": 1}).json()["next"]
    cursor = next_link.split("cursor=")[1].split("&")[0]
    response = client.get(TICKETS, {"page_size": 1, "cursor": cursor, "ordering": "priority"})
    assert response.status_code == 400


# --- query counts ----------------------------------------------------------------------------


def _list_queries(client, page_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(TICKETS, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(queries)


@pytest.mark.parametrize("who", ["supervisor", "agent"])
def test_list_costs_the_same_queries_for_5_or_50_rows(request, who, team, django_assert_num_queries):
    from complaints import services
    from incidents.models import Incident, IncidentLink
    from tests.factories import RootCauseFactory

    user = request.getfixturevalue(who)
    cause = RootCauseFactory()
    outage = Incident.objects.create(title_en="Outage", title_zh="停电", started_at=timezone.now())
    for i in range(50):
        ticket = TicketFactory(team=team, category=Category.objects.get(slug="billing-extra-charges"))
        if i % 2 == 0:  # the ticket's `incident`: its link and the incident, fetched together
            IncidentLink.objects.create(incident=outage, ticket=ticket)
        if i % 5 == 0:
            services.resolve(
                ticket_id=ticket.pk,
                actor=None,
                version=ticket.version,
                root_cause=cause,
                steps_taken="Refunded",
            )
    client = client_for(user)
    five = _list_queries(client, 5)

    # Failing here means a field of the ticket representation queries once per row: prefetch it.
    with django_assert_num_queries(five):
        response = client.get(TICKETS, {"page_size": 50})
    assert len(response.json()["results"]) == 50
    assert sum(row["incident"] is not None for row in response.json()["results"]) == 25
    # Token and user, supervisor?, rows, then one prefetch per field: resolution, SLA clocks, external
    # cases, incident, remedies, hand-offs; for an agent also teams and permissions (2). Exact, so it
    # cannot silently grow.
    assert five == {"supervisor": 9, "agent": 12}[who]
