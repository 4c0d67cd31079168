"""The external-cases API: sources, registering, report-back, the close refusal; 4xx never 500."""

import pytest

from complaints.models import Ticket
from external_cases.models import ExternalCase
from tests.complaints.api_helpers import client_for
from tests.factories import AgentFactory, SupervisorFactory

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


# --- POST /api/v1/tickets/ with external_case, and the list filters ---------------------------

TICKETS = "/api/v1/tickets/"


def _with_case(**case) -> dict:
    from tests.complaints.api_helpers import ticket_payload

    forwarded = {
        "source": "12315-odr",
        "number": "ODR-2026-0777",
        "received_at": "2026-09-25T10:00:00+08:00",
        "regulator_contact": "市场监管局 王科长 010-12345678",
        "notes": "<script>alert(1)</script>消费者称未退款",
    }
    return {**ticket_payload(), "external_case": {**forwarded, **case}}


def test_an_integration_opens_a_ticket_with_its_external_case_in_one_call(odr):
    from tests.complaints.api_helpers import make_integration

    response = client_for(make_integration()).post(TICKETS, _with_case(), format="json")
    assert response.status_code == 201, response.json()
    case = ExternalCase.objects.get(number="ODR-2026-0777")
    assert case.ticket.reference == response.json()["reference"]
    assert case.source == odr
    assert case.regulator_contact == "市场监管局 王科长 010-12345678"
    assert "<script>" not in case.notes
    assert case.ticket.team == odr.team  # routed to the source's team
    # The case is where every ticket's cases are shown (the answer may no longer show the rerouted ticket).
    shown = client_for(SupervisorFactory()).get(f"{TICKETS}{case.ticket.reference}/").json()
    assert [(c["number"], c["due_at"]) for c in shown["external_cases"]] == [
        ("ODR-2026-0777", "2026-10-15T10:00:00+00:00")
    ]


def test_a_bad_source_or_a_duplicate_number_refuses_the_whole_ticket_with_4xx_json(boss, open_ticket, odr):
    from tests.complaints.api_helpers import make_integration

    client = client_for(make_integration())
    before = Ticket.objects.count()
    unknown = client.post(TICKETS, _with_case(source="weibo"), format="json")
    assert unknown.status_code == 400
    assert "12315-odr" in unknown.json()["error"]["fields"]["external_case"]["source"][0]
    missing = client.post(TICKETS, _with_case(number=""), format="json")
    assert missing.status_code == 400
    assert "number" in missing.json()["error"]["fields"]["external_case"]
    holder = open_ticket(email="holder@example.com", subject="另一件")
    register(client_for(boss), holder, number="ODR-2026-0777")
    before = Ticket.objects.count()
    duplicate = client.post(TICKETS, _with_case(), format="json")
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "duplicate_external_case"
    # The integration may not see the holder's ticket: the answer does not name it.
    assert holder.reference not in str(duplicate.json())
    assert Ticket.objects.count() == before  # nothing opened
    malformed = client.post(TICKETS, _with_case(received_at="not a date"), format="json")
    assert malformed.status_code == 400
    not_an_object = client.post(TICKETS, {**_with_case(), "external_case": ["x"]}, format="json")
    assert not_an_object.status_code == 400


def test_the_list_filters_by_external_source_and_due_time(boss, open_ticket, odr, heimao):
    with_odr, with_heimao, plain = (
        open_ticket(email="a@example.com", subject="一"),
        open_ticket(email="b@example.com", subject="二"),
        open_ticket(email="c@example.com", subject="三"),
    )
    client = client_for(boss)
    register(client, with_odr, number="ODR-F-1")  # due 2026-10-15 10:00 +08:00
    register(client, with_heimao, source="heimao", number="HM-F-1", received_at="2026-10-01T10:00:00+08:00")

    def listed(**params) -> set[str]:
        response = client.get(TICKETS, params)
        assert response.status_code == 200, response.json()
        return {ticket["reference"] for ticket in response.json()["results"]}

    assert listed(external_source="12315-odr") == {with_odr.reference}
    assert listed(external_source="heimao") == {with_heimao.reference}
    assert plain.reference in listed()  # without the filters: every ticket
    assert listed(external_due_before="2026-10-05T00:00:00+08:00") == {with_heimao.reference}
    assert listed(external_due_before="2026-10-16T00:00:00+08:00") == {
        with_odr.reference,
        with_heimao.reference,
    }
    assert client.get(TICKETS, {"external_source": "nope"}).status_code == 400
    assert client.get(TICKETS, {"external_due_before": "0001-01-01T00:00:00Z"}).status_code == 400
    assert client.get(TICKETS, {"external_due_before": "soon"}).status_code == 400


def test_the_schema_documents_the_external_case_field_and_the_filters(boss):
    schema = client_for(boss).get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"] for p in schema["paths"]["/api/v1/tickets/"]["get"]["parameters"]}
    assert {"external_source", "external_due_before"} <= parameters
    assert "external_case" in schema["components"]["schemas"]["TicketCreateRequest"]["properties"]
