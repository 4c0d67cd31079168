"""The incidents API: list and open, one incident with tickets/ and updates/, link / unlink, public
updates once per key, resolve (409 the second time), 403 JSON for another team's ticket; the ticket
JSON carries `incident`."""

import pytest
from django.contrib.auth.models import Permission

from complaints.models import Message
from incidents.models import Incident, IncidentLink
from tests.complaints.api_helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(supervisor):
    return client_for(supervisor)


@pytest.fixture
def incident_id(api, category):
    response = api.post(
        "/api/v1/incidents/",
        {
            "title_zh": "充值接口延迟",
            "title_en": "Top-up supplier stalled",
            "notice_zh": "话费充值延迟到账，正在处理。",
            "category": category.slug,
            "region_tags": ["全国"],
            "status": "confirmed",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_open_list_and_read_an_incident(api, incident_id):
    listed = api.get("/api/v1/incidents/").json()
    assert [row["id"] for row in listed["results"]] == [incident_id]
    one = api.get(f"/api/v1/incidents/{incident_id}/").json()
    assert one["status"] == "confirmed" and one["region_tags"] == ["全国"] and one["tickets"] == 0


def test_an_incident_needs_a_title(api):
    response = api.post("/api/v1/incidents/", {"notice_en": "x"}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()["error"]["message"]


def test_link_shows_in_tickets_and_the_ticket_json(api, incident_id, open_ticket):
    ticket = open_ticket(subject="Billing", description="Charged twice")
    response = api.post(f"/api/v1/incidents/{incident_id}/link/", {"ticket": ticket.reference}, format="json")
    assert response.status_code == 201
    rows = api.get(f"/api/v1/incidents/{incident_id}/tickets/").json()["results"]
    assert [row["reference"] for row in rows] == [ticket.reference]
    assert api.get(f"/api/v1/tickets/{ticket.reference}/").json()["incident"]["id"] == incident_id
    listed = api.get("/api/v1/tickets/").json()["results"]
    assert {row["reference"]: row["incident"] for row in listed}[ticket.reference]["status"] == "confirmed"
    again = api.post(f"/api/v1/incidents/{incident_id}/link/", {"ticket": ticket.reference}, format="json")
    assert again.status_code == 409
    assert (
        api.post(
            f"/api/v1/incidents/{incident_id}/unlink/", {"ticket": ticket.reference}, format="json"
        ).status_code
        == 200
    )
    assert api.get(f"/api/v1/tickets/{ticket.reference}/").json()["incident"] is None


def test_linking_another_teams_ticket_without_the_permission_is_403_json(
    incident_id, open_ticket, other_agent
):
    ticket = open_ticket(subject="Billing", description="Charged twice")
    other_agent.user_permissions.add(Permission.objects.get(codename="change_incident"))
    response = client_for(other_agent).post(
        f"/api/v1/incidents/{incident_id}/link/", {"ticket": ticket.reference}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_permitted"
    assert "another team" in response.json()["error"]["message"]
    assert not IncidentLink.objects.filter(ticket=ticket).exists()


def test_an_unknown_ticket_is_404_json(api, incident_id):
    response = api.post(f"/api/v1/incidents/{incident_id}/link/", {"ticket": "CMP-00000000"}, format="json")
    assert response.status_code == 404


def test_a_duplicate_update_is_sent_once(
    api, incident_id, open_ticket, worker, django_capture_on_commit_callbacks
):
    ticket = open_ticket(subject="Billing", description="Charged twice")
    api.post(f"/api/v1/incidents/{incident_id}/link/", {"ticket": ticket.reference}, format="json")
    body = {"body_zh": "预计今晚恢复。", "idempotency_key": "notice-1"}
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(f"/api/v1/incidents/{incident_id}/updates/", body, format="json")
        second = api.post(f"/api/v1/incidents/{incident_id}/updates/", body, format="json")
    worker.run()
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert ticket.messages.filter(kind=Message.Kind.REPLY, body="预计今晚恢复。").count() == 1
    (update,) = api.get(f"/api/v1/incidents/{incident_id}/updates/").json()
    assert (update["sent"], update["total"], update["percent"]) == (1, 1, 100)


def test_resolving_twice_is_409(
    api, incident_id, cause, open_ticket, worker, django_capture_on_commit_callbacks
):
    ticket = open_ticket(subject="Billing", description="Charged twice")
    api.post(f"/api/v1/incidents/{incident_id}/link/", {"ticket": ticket.reference}, format="json")
    payload = {"root_cause": cause.slug, "steps_taken": "供应商恢复，补充到账。"}
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(f"/api/v1/incidents/{incident_id}/resolve/", payload, format="json")
    worker.run()
    assert first.status_code == 202
    second = api.post(f"/api/v1/incidents/{incident_id}/resolve/", payload, format="json")
    assert second.status_code == 409
    assert "already resolved" in second.json()["error"]["message"]
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert Incident.objects.get(pk=incident_id).status == Incident.Status.RESOLVED


def test_an_agent_cannot_open_an_incident_and_integrations_see_none(agent, category):
    response = client_for(agent).post("/api/v1/incidents/", {"title_en": "Outage"}, format="json")
    assert response.status_code == 403
    from tests.complaints.api_helpers import make_integration

    assert client_for(make_integration()).get("/api/v1/incidents/").status_code == 403
