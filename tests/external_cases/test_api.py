"""The external-cases API: sources, registering, report-back, the close refusal; 4xx never 500."""

import pytest

from external_cases.models import ExternalCase
from tests.complaints.api_helpers import client_for
from tests.factories import AgentFactory

from .conftest import ODR_VALUES

pytestmark = pytest.mark.django_db


def cases_url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.reference}/external-cases/"


def register(client, ticket, **overrides):
    payload = {"source": "12315-odr", "number": "ODR-2026-0042", "received_at": "2026-09-25T10:00:00+08:00"}
    return client.post(cases_url(ticket), {**payload, **overrides}, format="json")


def test_sources_list_their_deadline_and_report_fields_in_order(boss):
    response = client_for(boss).get("/api/v1/external-sources/")
    assert response.status_code == 200
    odr = next(source for source in response.json() if source["slug"] == "12315-odr")
    assert (odr["deadline_amount"], odr["deadline_unit"]) == (10, "working_days")
    assert [field["key"] for field in odr["report_fields"]] == ["handled_at", "process", "method", "result"]
    assert odr["report_fields"][1]["label_zh"] == "协商过程"


def test_a_case_is_registered_and_shown_on_the_ticket(boss, open_ticket, odr):
    ticket = open_ticket()
    client = client_for(boss)
    response = register(client, ticket)
    assert response.status_code == 201, response.json()
    assert response.json()["due_at"] == "2026-10-15T10:00:00+00:00"
    assert response.json()["state"] == "open"
    shown = client.get(f"/api/v1/tickets/{ticket.reference}/").json()["external_cases"]
    assert [(case["number"], case["source"]) for case in shown] == [("ODR-2026-0042", "12315-odr")]
    listed = client.get(cases_url(ticket)).json()
    assert listed[0]["id"] == response.json()["id"]


def test_a_duplicate_number_is_409_naming_the_ticket_that_holds_it(boss, open_ticket, odr):
    first, second = open_ticket(), open_ticket(email="li@example.com", subject="另一件")
    client = client_for(boss)
    register(client, first)
    response = register(client, second)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate_external_case"
    assert first.reference in error["message"]
    assert error["detail"]["ticket"] == first.reference


def test_an_unknown_source_is_400_naming_the_known_ones(boss, open_ticket):
    response = register(client_for(boss), open_ticket(), source="weibo-hot-search")
    assert response.status_code == 400
    assert "12315-odr" in response.json()["error"]["fields"]["source"][0]


def test_a_report_back_missing_a_required_field_is_400_naming_it(boss, open_ticket, odr):
    ticket = open_ticket()
    client = client_for(boss)
    case_id = register(client, ticket).json()["id"]
    url = f"{cases_url(ticket)}{case_id}/report-back/"
    values = {key: value for key, value in ODR_VALUES.items() if key != "method"}
    response = client.post(url, {"outcome": "settled", "values": values}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["detail"]["field"] == "method"
    assert "Negotiation method" in response.json()["error"]["message"]
    response = client.post(url, {"outcome": "settled", "values": ODR_VALUES}, format="json")
    assert response.status_code == 201
    assert response.json()["report_back"]["values"]["method"] == "phone"


def test_closing_before_the_report_back_is_409(boss, open_ticket, odr):
    ticket = open_ticket()
    client = client_for(boss)
    register(client, ticket)
    ticket.refresh_from_db()
    response = client.post(
        f"/api/v1/tickets/{ticket.reference}/transition/",
        {"to": "closed", "version": ticket.version, "reason": "withdrawn"},
        format="json",
    )
    assert response.status_code == 409
    assert "ODR-2026-0042" in response.json()["error"]["message"]


def test_an_agent_who_may_not_act_on_the_ticket_gets_404(open_ticket, odr):
    ticket = open_ticket()
    outsider = client_for(AgentFactory())
    assert register(outsider, ticket).status_code == 404
    assert outsider.get(cases_url(ticket)).status_code == 404
    assert not ExternalCase.objects.exists()


def test_malformed_input_is_400_not_500(boss, open_ticket, odr):
    ticket = open_ticket()
    client = client_for(boss)
    assert register(client, ticket, received_at="next Tuesday").status_code == 400
    assert register(client, ticket, number="").status_code == 400
    case_id = register(client, ticket).json()["id"]
    url = f"{cases_url(ticket)}{case_id}/report-back/"
    assert client.post(url, {"outcome": "maybe", "values": ODR_VALUES}, format="json").status_code == 400
    assert client.post(url, {"outcome": "settled", "values": ["x"]}, format="json").status_code == 400
    assert client.post(f"{cases_url(ticket)}999999/report-back/", {}, format="json").status_code == 404
