import pytest

from assist import services
from tests.assist.test_services import BROADBAND, open_web

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, supervisor):
    client.force_login(supervisor)
    return client


@pytest.fixture
def trained(history):
    assert services.train().adopted


def test_the_model_endpoint_says_which_model_is_in_use(api, trained):
    body = api.get("/api/v1/assist/model/").json()
    assert body["version"] and body["size"] > 50 and 0.7 < body["accuracy"] <= 1
    assert set(body["scores"]) >= {"category", "team", "priority"}


def test_without_a_model_the_endpoints_answer_empty_not_an_error(api):
    assert api.get("/api/v1/assist/model/").json()["version"] is None
    body = api.post(
        "/api/v1/assist/classify/", {"subject": "宽带", "description": "断网"}, "application/json"
    ).json()
    assert body["category"] is None and body["reasons"] == []


def test_classify_suggests_category_team_and_priority_with_confidence_and_reasons(api, trained):
    subject, description = BROADBAND
    body = api.post(
        "/api/v1/assist/classify/", {"subject": subject, "description": description}, "application/json"
    ).json()
    assert body["category"]["slug"] == "network-broadband-outage"
    assert body["team"]["slug"] == "technical"
    assert 0 < body["category"]["confidence"] <= 1
    assert body["reasons"]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"subject": "", "description": ""},
        {"subject": "😡😡😡", "description": "👎👎！！？？"},
        {"subject": 12, "description": ["not", "text"]},
        {"subject": "x" * 200_000, "description": "。" * 100_000},
    ],
)
def test_bad_input_gives_empty_suggestions_never_an_error(api, trained, payload):
    response = api.post("/api/v1/assist/classify/", payload, "application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["category"] is None and body["team"] is None and body["articles"] == []


def test_a_tickets_suggestions_come_from_the_stored_suggestion(api, trained):
    ticket = open_web(*BROADBAND)
    services.suggest_for_ticket(ticket_id=ticket.pk)
    body = api.get(f"/api/v1/tickets/{ticket.reference}/suggestions/").json()
    assert body["category"]["slug"] == "network-broadband-outage"
    assert body["applied"] is False
    assert isinstance(body["similar"], list) and body["similar"]
    assert {"reference", "root_cause", "remedy"} <= set(body["similar"][0])


def test_another_teams_ticket_is_not_found(client, agent, trained):
    ticket = open_web(*BROADBAND)
    client.force_login(agent)
    response = client.get(f"/api/v1/tickets/{ticket.reference}/suggestions/")
    assert response.status_code == 404
