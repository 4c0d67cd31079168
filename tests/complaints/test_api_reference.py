"""REST API v1 token login, reference data, statistics, and the OpenAPI schema and its browser."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from complaints import extensions, reports, services
from complaints.models import Category, Ticket
from tests.complaints.api_helpers import client_for, make_integration, open_ticket
from tests.factories import RootCauseFactory, TeamFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- token ------------------------------------------------------------------------------------


def test_token_for_username_and_password_authenticates_requests(agent):
    anonymous = APIClient()
    response = anonymous.post(
        "/api/v1/auth/token/", {"username": agent.username, "password": "pass-word-123"}, format="json"
    )

    assert response.status_code == 200
    token = response.json()["token"]
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anonymous.get("/api/v1/tickets/").status_code == 200
    # Asking again gives the same token.
    again = APIClient().post(
        "/api/v1/auth/token/", {"username": agent.username, "password": "pass-word-123"}, format="json"
    )
    assert again.json()["token"] == token


@pytest.mark.parametrize(
    "body",
    [
        {"username": "nobody", "password": "x"},
        {"username": "agentX"},
        {"password": "x"},
        {"username": ["a"], "password": 1},
    ],
)
def test_bad_credentials_are_400(agent, body):
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]


def _signed_in_with_a_token(user) -> APIClient:
    client = APIClient()
    body = {"username": user.username, "password": "pass-word-123"}
    token = client.post("/api/v1/auth/token/", body, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/tickets/").status_code == 200
    return client


def test_a_new_password_ends_the_api_token_handed_out_before(agent):
    client = _signed_in_with_a_token(agent)
    agent.first_name = "Renamed"
    agent.save()  # other changes to the account leave the token alone
    assert client.get("/api/v1/tickets/").status_code == 200

    agent.set_password("a-new-pass-word-456")
    agent.save()

    response = client.get("/api/v1/tickets/")
    assert response.status_code == 401
    assert response.json()["error"]["code"]
    fresh = APIClient().post(
        "/api/v1/auth/token/", {"username": agent.username, "password": "a-new-pass-word-456"}, format="json"
    )
    assert fresh.status_code == 200 and fresh.json()["token"] not in client._credentials["HTTP_AUTHORIZATION"]


def test_a_deactivated_account_loses_its_api_token(agent):
    client = _signed_in_with_a_token(agent)
    agent.is_active = False
    agent.save()
    assert client.get("/api/v1/tickets/").status_code == 401


def test_inactive_user_gets_no_token(db):
    user = UserFactory(is_active=False)
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": "pass-word-123"}, format="json"
    )
    assert response.status_code == 400


# --- reference data ------------------------------------------------------------------------------


def test_categories_are_a_tree_with_both_names(agent):
    Category.objects.filter(slug="other").update(is_active=False)
    Category.objects.filter(slug="billing-unclear-plan").update(is_active=False)
    body = client_for(agent).get("/api/v1/categories/").json()

    slugs = [c["slug"] for c in body]
    assert slugs[0] == "service-quality" and "other" not in slugs
    billing = next(c for c in body if c["slug"] == "billing")
    assert billing["name_zh"] == "计费与退款" and billing["name_en"] == "Billing & refunds"
    assert [c["slug"] for c in billing["children"]] == [
        "billing-extra-charges",
        "billing-refund-difficulty",
        "billing-unsubscribed-service",
    ]
    assert billing["children"][0]["children"] == []


def test_category_names_follow_the_request_language(agent):
    client = client_for(agent)
    english = client.get("/api/v1/categories/", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = client.get("/api/v1/categories/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert english[0]["name"] == "Service quality"
    assert chinese[0]["name"] == "服务质量"


def test_categories_cost_a_constant_number_of_queries(agent, django_assert_max_num_queries):
    client = client_for(agent)
    with django_assert_max_num_queries(5):  # token+user, categories, children, grandchildren
        client.get("/api/v1/categories/")


def test_teams_and_root_causes(agent, team):
    TeamFactory(slug="retired", is_active=False)
    client = client_for(make_integration())
    teams = client.get("/api/v1/teams/").json()
    causes = client.get("/api/v1/root-causes/").json()

    assert [t["slug"] for t in teams] == ["customer-service"]
    assert teams[0]["function"] == "customer_service"
    billing = next(c for c in causes if c["slug"] == "billing-error")
    assert billing == {
        "slug": "billing-error",
        "group": "billing",
        "name": "Billing error",
        "name_zh": "计费错误",
        "name_en": "Billing error",
    }


# --- statistics -------------------------------------------------------------------------------------


def test_stats_counts_volumes_for_the_period_and_includes_registered_sections(
    supervisor, monkeypatch, time_machine
):
    seen = {}

    def sla_section(start, end, tickets):
        seen["count"] = tickets.count()
        return {"compliance": 0.9}

    monkeypatch.setitem(extensions.STATS_SECTIONS, "sla", sla_section)
    time_machine.move_to("2026-11-10T10:00:00+08:00", tick=False)
    web = TicketFactory(channel="web", category=Category.objects.get(slug="billing-extra-charges"))
    TicketFactory(channel="email", status="closed")
    services.resolve(
        ticket_id=web.pk,
        actor=None,
        version=1,
        root_cause=RootCauseFactory(slug="billing-error"),
        steps_taken="x",
        remedy="refund",
        amount="20.50",
    )
    time_machine.move_to("2026-12-10T10:00:00+08:00", tick=False)
    TicketFactory(channel="web")  # outside the period

    response = client_for(supervisor).get("/api/v1/stats/", {"start": "2026-11-01", "end": "2026-11-30"})

    assert response.status_code == 200
    body = response.json()
    volumes = body["volumes"]
    assert body["start"].startswith("2026-11-01T00:00:00") and body["end"].startswith("2026-12-01T00:00:00")
    assert volumes["total"] == 2
    assert {r["channel"]: r["count"] for r in volumes["by_channel"]}["web"] == 1
    assert {r["status"]: r["count"] for r in volumes["by_status"]} == {
        "new": 0,
        "acknowledged": 0,
        "in_progress": 0,
        "awaiting_customer": 0,
        "resolved": 1,
        "closed": 1,
    }
    assert {r["category"]: r["count"] for r in volumes["by_category"]} == {"billing": 1, "uncategorised": 1}
    assert volumes["bucket"] == "day"
    assert volumes["by_period"] == [{"period": "2026-11-10", "count": 2}]
    assert volumes["remedies"]["by_remedy"] == [
        {"remedy": "refund", "label": "Refund", "currency": "CNY", "count": 1, "amount": "20.50"}
    ]
    assert volumes["remedies"]["by_root_cause"][0]["root_cause"] == "billing-error"
    assert body["sla"] == {"compliance": 0.9}
    assert seen["count"] == 3  # sections get every visible ticket and filter the period themselves


def test_stats_for_an_agent_cover_only_their_teams_tickets(agent, team):
    TicketFactory(team=team)
    TicketFactory(team=TeamFactory(slug="legal"))
    body = client_for(agent).get("/api/v1/stats/").json()
    assert body["volumes"]["total"] == 1
    assert body["volumes"]["by_team"] == [
        {"team": "customer-service", "name": "Customer service", "count": 1}
    ]


def test_integrations_see_no_stats():
    response = client_for(make_integration()).get("/api/v1/stats/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"start": "soon"},
        {"end": "2026-02-30"},
        {"start": "2026-11-30", "end": "2026-11-01"},
        {"start": "1066-10-14"},
        {"end": "9999-12-31"},
    ],
)
def test_stats_bad_period_is_400(supervisor, params):
    response = client_for(supervisor).get("/api/v1/stats/", params)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]


def test_repeat_rate_counts_folded_and_linked_repeats(supervisor):
    integration = make_integration()
    first = open_ticket(actor=integration)
    open_ticket(actor=integration)  # folded into the first
    services.transition(
        ticket_id=first.pk, actor=supervisor, to="closed", version=first.version + 1, reason="done"
    )
    linked = open_ticket(actor=integration)  # new ticket linked to the closed one
    assert linked.related_to == first
    from django.utils import timezone

    now = timezone.now()
    rate = reports.repeat_rate(
        Ticket.objects.all(), now - timezone.timedelta(days=1), now + timezone.timedelta(days=1)
    )
    assert rate == {"received": 3, "folded": 1, "linked": 1, "rate": round(2 / 3, 4)}


def test_period_buckets_grow_with_the_span():
    from datetime import datetime, timedelta

    start = datetime(2026, 1, 1)
    assert reports.period_bucket(start, start + timedelta(days=31)) == "day"
    assert reports.period_bucket(start, start + timedelta(days=200)) == "week"
    assert reports.period_bucket(start, start + timedelta(days=800)) == "month"


def test_remedy_totals_add_up_per_currency(supervisor):
    cause = RootCauseFactory()
    for amount in ("10.00", "5.25"):
        t = TicketFactory()
        services.resolve(
            ticket_id=t.pk,
            actor=None,
            version=1,
            root_cause=cause,
            steps_taken="x",
            remedy="compensation",
            amount=amount,
        )
    from django.utils import timezone

    now = timezone.now()
    totals = reports.remedies(
        Ticket.objects.all(), now - timezone.timedelta(hours=1), now + timezone.timedelta(hours=1)
    )
    assert totals["resolutions"] == 2
    assert Decimal(totals["by_remedy"][0]["amount"]) == Decimal("15.25")


# --- schema and docs -------------------------------------------------------------------------------


def test_schema_is_openapi_3_and_lists_every_endpoint(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/v1/auth/token/",
        "/api/v1/tickets/",
        "/api/v1/tickets/{reference}/",
        "/api/v1/tickets/{reference}/messages/",
        "/api/v1/tickets/{reference}/events/",
        "/api/v1/tickets/{reference}/assign/",
        "/api/v1/tickets/{reference}/transition/",
        "/api/v1/tickets/{reference}/escalate/",
        "/api/v1/tickets/{reference}/resolve/",
        "/api/v1/tickets/{reference}/reopen/",
        "/api/v1/categories/",
        "/api/v1/teams/",
        "/api/v1/root-causes/",
        "/api/v1/stats/",
    } <= paths
    resolve = schema["paths"]["/api/v1/tickets/{reference}/resolve/"]["post"]
    assert resolve["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("ResolveRequest")
    assert {"200", "400", "404", "409", "428"} <= set(resolve["responses"])
    listing = schema["paths"]["/api/v1/tickets/"]["get"]
    assert {
        "status",
        "priority",
        "category",
        "team",
        "assignee",
        "channel",
        "sla_state",
        "created_after",
        "created_before",
        "search",
        "ordering",
        "cursor",
    } <= {p["name"] for p in listing["parameters"]}


def test_docs_page_serves_swagger_ui_from_the_sidecar_without_a_cdn(db):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
