"""The hand-offs API under a ticket: list, open, close; the ticket API's visibility rules; 4xx JSON."""

import pytest

from handoffs.models import Handoff
from tests.complaints.api_helpers import client_for, make_integration

pytestmark = pytest.mark.django_db


def url(ticket, *rest: str) -> str:
    return "/".join([f"/api/v1/tickets/{ticket.reference}/handoffs", *rest]) + "/"


def payload(partner, **extra) -> dict:
    return {"partner": partner.pk, "subject": "Parcel lost", "body": "Waybill SF1234: where is it?", **extra}


def test_an_agent_opens_lists_and_closes_a_handoff(open_ticket, agent, supplier, handoff_mails):
    ticket = open_ticket()
    client = client_for(agent)
    response = client.post(url(ticket), payload(supplier, pauses_resolution=True), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("HO-") and body["state"] == "open" and body["pauses_resolution"]
    assert body["partner"]["name"] == "Upstream recharge supplier"
    listed = client.get(url(ticket)).json()
    assert [h["id"] for h in listed] == [body["id"]]
    assert client.get(f"/api/v1/tickets/{ticket.reference}/").json()["handoffs"][0]["id"] == body["id"]
    closed = client.post(url(ticket, str(body["id"]), "close"), {"note": "Found."}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    again = client.post(url(ticket, str(body["id"]), "close"), {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "handoff_closed"


def test_another_teams_agent_gets_404_for_the_ticket(open_ticket, agent, other_agent, supplier):
    ticket = open_ticket()
    handoff_id = client_for(agent).post(url(ticket), payload(supplier), format="json").json()["id"]
    client = client_for(other_agent)
    assert client.get(url(ticket)).status_code == 404
    assert client.post(url(ticket), payload(supplier), format="json").status_code == 404
    refused = client.post(url(ticket, str(handoff_id), "close"), {}, format="json")
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert Handoff.objects.get().is_open


def test_an_integration_may_not_work_handoffs_on_its_own_ticket(open_ticket, supplier):
    integration = make_integration()
    ticket = open_ticket()
    ticket.created_by = integration
    ticket.save(update_fields=["created_by"])
    response = client_for(integration).post(url(ticket), payload(supplier), format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_permitted"


def test_a_supervisor_sees_every_ticket(open_ticket, boss, supplier):
    assert client_for(boss).post(url(open_ticket()), payload(supplier), format="json").status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "x", "body": "y"},
        {"partner": 999999, "subject": "x", "body": "y"},
        {"partner": "abc", "subject": "x", "body": "y"},
        {"partner": None, "subject": "x", "body": "y"},
        "partner=1",
        [],
    ],
)
def test_bad_bodies_are_400_json(open_ticket, agent, supplier, body):
    response = client_for(agent).post(url(open_ticket()), body, format="json")
    assert response.status_code == 400 and response.headers["Content-Type"].startswith("application/json")


def test_a_retired_partner_and_an_absurd_response_time_are_refused(open_ticket, agent, supplier):
    ticket = open_ticket()
    client = client_for(agent)
    too_long = client.post(url(ticket), payload(supplier, response_hours=10**9), format="json")
    assert too_long.status_code == 400 and "response_hours" in str(too_long.json())
    huge = client.post(url(ticket), payload(supplier, body="x" * 30_000), format="json")
    assert huge.status_code == 400
    supplier.is_active = False
    supplier.save(update_fields=["is_active"])
    retired = client.post(url(ticket), payload(supplier), format="json")
    assert retired.status_code == 400 and "Unknown partner" in str(retired.json())


def test_an_unknown_handoff_or_one_of_another_ticket_is_404(open_ticket, agent, supplier):
    first = open_ticket()
    second = open_ticket(subject="宽带断网", email="li.si@example.com", phone="13700002222")
    client = client_for(agent)
    handoff_id = client.post(url(first), payload(supplier), format="json").json()["id"]
    assert client.post(url(second, str(handoff_id), "close"), {}, format="json").status_code == 404
    assert client.post(url(first, "424242", "close"), {}, format="json").status_code == 404
    assert client.get("/api/v1/tickets/CMP-NOPE0000/handoffs/").status_code == 404


def test_stored_markup_comes_back_as_text(open_ticket, agent, supplier):
    ticket = open_ticket()
    client = client_for(agent)
    body = client.post(
        url(ticket), payload(supplier, subject="<script>alert(1)</script>"), format="json"
    ).json()
    assert body["subject"] == "<script>alert(1)</script>"  # JSON data; the desk escapes it


def test_the_schema_documents_the_handoff_endpoints_without_warnings(boss, capsys):
    from django.core.management import call_command

    call_command("spectacular", "--file", "/dev/null", "--validate")
    err = capsys.readouterr().err
    assert "handoff" not in err.lower(), err


def test_the_stats_api_has_a_handoffs_section(open_ticket, boss, supplier):
    client = client_for(boss)
    client.post(url(open_ticket()), payload(supplier), format="json")
    stats = client.get("/api/v1/stats/").json()
    row = stats["handoffs"]["by_partner"][0]
    assert row["partner"] == "Upstream recharge supplier" and row["handoffs"] == 1
    assert stats["handoffs"]["open"] == 1
