"""The remedies API: GET /api/v1/remedies/ (filters state, type, due_before), POST approve/, refuse/
and fulfil/; refusals are 4xx JSON; the ticket JSON carries its remedies at a constant query count."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from remedies.models import Fulfilment, Remedy
from tests.complaints.api_helpers import client_for, make_integration

from .conftest import open_complaint, propose

pytestmark = pytest.mark.django_db
REMEDIES = "/api/v1/remedies/"


@pytest.fixture
def held(ticket, agent, cause, rule):
    propose(ticket, agent, cause)
    return Remedy.objects.get(ticket=ticket)


def act(user, remedy, action, **body):
    return client_for(user).post(f"{REMEDIES}{remedy.pk}/{action}/", body, format="json")


def test_list_and_filters(held, team, agent, cause, lead):
    other = open_complaint(team, agent, email="b@example.com")
    propose(other, agent, cause, remedy="voucher", amount="20")
    api = client_for(lead)
    assert {r["id"] for r in api.get(REMEDIES).json()["results"]} == {held.pk, held.pk + 1}
    [awaiting] = api.get(REMEDIES, {"state": "awaiting_approval"}).json()["results"]
    assert (awaiting["id"], awaiting["amount"], awaiting["type"]) == (held.pk, "300.00", "refund")
    assert [r["type"] for r in api.get(REMEDIES, {"type": "voucher"}).json()["results"]] == ["voucher"]
    soon = (timezone.now() + timedelta(days=8)).isoformat()
    assert [r["type"] for r in api.get(REMEDIES, {"due_before": soon}).json()["results"]] == ["voucher"]
    assert api.get(REMEDIES, {"due_before": timezone.localdate().isoformat()}).json()["results"] == []
    for bad in (
        {"state": "nope"},
        {"type": "cash"},
        {"due_before": "yesterday"},
        {"due_before": "0000-01-01"},
    ):
        response = api.get(REMEDIES, bad)
        assert response.status_code == 400 and "error" in response.json(), bad


def test_another_teams_agent_sees_none_of_them(held, other_lead):
    api = client_for(other_lead)
    assert api.get(REMEDIES).json()["results"] == []
    assert api.get(f"{REMEDIES}{held.pk}/").status_code == 404
    assert act(other_lead, held, "approve").status_code == 404


def test_approve_refuse_and_their_refusals(held, agent, lead, colleague):
    own = act(agent, held, "approve")
    assert own.status_code == 403 and "You proposed this remedy" in own.json()["error"]["message"]
    assert act(colleague, held, "approve").status_code == 403
    assert act(lead, held, "approve", amount="-5", reason="x").status_code == 400
    too_much = act(lead, held, "approve", amount="400", reason="")
    assert too_much.status_code == 400 and "Say why" in too_much.json()["error"]["message"]
    ceiling = act(lead, held, "approve", amount="99999", reason="goodwill")
    assert ceiling.status_code in (400, 403)
    approved = act(lead, held, "approve")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert approved.json()["fulfilment"]["state"] == "pending"
    again = act(lead, held, "refuse", reason="too late")
    assert again.status_code == 409 and "already decided" in again.json()["error"]["message"]


def test_fulfil_needs_finance_and_a_reference_and_refuses_a_refused_remedy(
    held, lead, team, agent, cause, supervisor
):
    act(lead, held, "refuse", reason="Not our fault")
    refused = act(supervisor, held, "fulfil", reference="TXN-1")
    assert refused.status_code == 409 and "refused" in refused.json()["error"]["message"]

    ticket = open_complaint(team, agent, email="c@example.com")
    propose(ticket, agent, cause, amount="30")
    remedy = Remedy.objects.get(ticket=ticket)
    assert act(agent, remedy, "fulfil", reference="TXN-2").status_code == 403
    assert act(supervisor, remedy, "fulfil", reference="").status_code == 400
    assert act(supervisor, remedy, "fulfil", reference="x" * 101).status_code == 400
    finance = make_integration("finance-system")
    finance.user_permissions.add(Permission.objects.get(codename="change_fulfilment"))
    done = act(finance, remedy, "fulfil", reference="TXN-2")
    assert done.status_code == 200 and done.json()["fulfilment"]["reference"] == "TXN-2"
    assert Fulfilment.objects.get(remedy=remedy).state == Fulfilment.State.DONE
    assert act(finance, remedy, "fulfil", reference="TXN-3").status_code == 409


def test_bad_bodies_are_4xx_json(held, lead):
    api = client_for(lead)
    url = f"{REMEDIES}{held.pk}/approve/"
    for body, kind in (
        ("not json", "application/json"),
        ("[]", "application/json"),
        ("x" * 200_000, "application/json"),
    ):
        response = api.generic("POST", url, body, content_type=kind)
        assert 400 <= response.status_code < 500
    assert api.post(url, {"amount": "abc"}, format="json").status_code == 400
    assert api.post(url, {"amount": "1e400"}, format="json").status_code == 400


def test_the_ticket_json_carries_its_remedies_at_a_constant_query_count(
    held, team, agent, cause, lead, django_assert_max_num_queries
):
    api = client_for(lead)
    [remedy] = api.get(f"/api/v1/tickets/{held.ticket.reference}/").json()["remedies"]
    assert (remedy["state"], remedy["amount"]) == ("awaiting_approval", "300.00")
    with django_assert_max_num_queries(100) as one:
        api.get("/api/v1/tickets/")
    for n in range(5):
        propose(open_complaint(team, agent, email=f"x{n}@example.com"), agent, cause, amount="10")
    with django_assert_max_num_queries(
        len(one.captured_queries), info="the remedies are prefetched for the page"
    ):
        listed = api.get("/api/v1/tickets/").json()["results"]
    assert sum(len(t["remedies"]) for t in listed) == 6


def test_the_schema_documents_the_remedies_operations(lead):
    schema = client_for(lead).get("/api/schema/?format=json").json()
    for path in ("/api/v1/remedies/", "/api/v1/remedies/{id}/approve/", "/api/v1/remedies/{id}/fulfil/"):
        assert path in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/remedies/"]["get"]["parameters"]}
    assert {"state", "type", "due_before"} <= parameters
