"""REST API v1 ticket actions, messages and events: each calls its service, versions guard every change."""

import pytest

from complaints import services
from complaints.models import Message, Ticket
from tests.complaints.api_helpers import client_for, make_integration, open_ticket
from tests.factories import AgentFactory, RootCauseFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db


def url(ticket: Ticket, action: str = "") -> str:
    return f"/api/v1/tickets/{ticket.reference}/{action + '/' if action else ''}"


@pytest.fixture
def ticket(team):
    return TicketFactory(team=team)


# --- versions ----------------------------------------------------------------------------------


def test_version_in_the_body_is_accepted(agent, ticket):
    response = client_for(agent).post(url(ticket, "escalate"), {"reason": "VIP", "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["escalation_level"] == 1
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'


@pytest.mark.parametrize("header", ['"1"', "1", 'W/"1"'])
def test_version_in_if_match_is_accepted(agent, ticket, header):
    response = client_for(agent).post(
        url(ticket, "escalate"), {"reason": "VIP"}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 200


def test_stale_version_is_409_with_the_current_version(agent, ticket, supervisor):
    services.escalate(ticket_id=ticket.pk, actor=supervisor, version=1, reason="first")

    response = client_for(agent).post(
        url(ticket, "escalate"), {"reason": "second", "version": 1}, format="json"
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "stale_version"
    assert error["detail"]["current_version"] == 2
    assert "version 2" in error["message"]
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1


def test_missing_version_is_428(agent, ticket):
    response = client_for(agent).post(url(ticket, "escalate"), {"reason": "VIP"}, format="json")
    assert response.status_code == 428
    assert response.json()["error"]["code"] == "version_required"


def test_if_match_and_body_must_agree(agent, ticket):
    response = client_for(agent).post(
        url(ticket, "escalate"), {"reason": "VIP", "version": 1}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert response.status_code == 400
    assert "version" in response.json()["error"]["fields"]


def test_malformed_if_match_is_400(agent, ticket):
    response = client_for(agent).post(
        url(ticket, "escalate"), {"reason": "x"}, format="json", HTTP_IF_MATCH="abc"
    )
    assert response.status_code == 400
    assert "If-Match" in response.json()["error"]["fields"]


# --- actions -------------------------------------------------------------------------------------


def test_the_team_lead_assigns_to_an_agent_and_back_to_the_queue(ticket, team):
    # Reassigning is the lead's (or a supervisor's) decision, as in the desk: complaints.policy.
    lead = AgentFactory(team=team, team__role="lead")
    colleague = AgentFactory(team=team)
    client = client_for(lead)

    assigned = client.post(
        url(ticket, "assign"), {"assignee": colleague.username, "version": 1}, format="json"
    )
    unassigned = client.post(url(ticket, "assign"), {"assignee": None, "version": 2}, format="json")

    assert assigned.status_code == 200 and assigned.json()["assignee"] == colleague.username
    assert unassigned.status_code == 200 and unassigned.json()["assignee"] is None
    assert list(ticket.events.filter(kind="assigned").values_list("to_value", flat=True)) == [
        colleague.username,
        "",
    ]


def test_assign_to_an_unknown_user_is_400(agent, ticket):
    response = client_for(agent).post(
        url(ticket, "assign"), {"assignee": "ghost", "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert "assignee" in response.json()["error"]["fields"]


def test_transition_moves_the_status_and_records_it(agent, ticket):
    response = client_for(agent).post(
        url(ticket, "transition"), {"to": "in_progress", "version": 1}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"
    assert ticket.events.filter(kind="status_changed", to_value="in_progress").exists()


def test_illegal_transition_is_409_naming_the_allowed_ones(agent, ticket, supervisor):
    services.transition(ticket_id=ticket.pk, actor=supervisor, to="closed", version=1, reason="spam")
    response = client_for(agent).post(
        url(ticket, "transition"), {"to": "awaiting_customer", "version": 2}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_transition"
    assert error["detail"]["allowed"] == ["in_progress"]


def test_transition_cannot_resolve(agent, ticket):
    response = client_for(agent).post(
        url(ticket, "transition"), {"to": "resolved", "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert "to" in response.json()["error"]["fields"]


def test_closing_an_open_ticket_needs_a_reason(supervisor, ticket):
    # Only a supervisor closes by hand (an agent's close is refused: tests/security/).
    response = client_for(supervisor).post(
        url(ticket, "transition"), {"to": "closed", "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "refused"
    assert "why" in response.json()["error"]["message"]


def test_escalate_to_a_level_and_beyond_the_top_is_refused(agent, ticket):
    client = client_for(agent)
    assert (
        client.post(url(ticket, "escalate"), {"reason": "x", "level": 3, "version": 1}, format="json").json()[
            "escalation_level"
        ]
        == 3
    )
    again = client.post(url(ticket, "escalate"), {"reason": "x", "version": 2}, format="json")
    assert again.status_code == 400
    assert "highest" in again.json()["error"]["message"]


def test_resolve_then_reopen(agent, ticket):
    cause = RootCauseFactory(slug="billing-error-x")
    client = client_for(agent)

    resolved = client.post(
        url(ticket, "resolve"),
        {
            "root_cause": cause.slug,
            "steps_taken": "Refunded the double charge",
            "remedy": "refund",
            "amount": "39.00",
            "version": 1,
        },
        format="json",
    )
    reopened = client.post(url(ticket, "reopen"), {"reason": "Still charged", "version": 2}, format="json")

    assert resolved.status_code == 200
    body = resolved.json()
    assert body["status"] == "resolved"
    assert body["resolution"]["root_cause"] == cause.slug
    assert body["resolution"]["amount"] == "39.00"
    assert body["resolution"]["remedy"] == "refund"
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "in_progress"
    assert ticket.events.filter(kind="reopened").exists()


def test_refund_without_amount_is_refused(agent, ticket):
    cause = RootCauseFactory()
    response = client_for(agent).post(
        url(ticket, "resolve"),
        {"root_cause": cause.slug, "steps_taken": "x", "remedy": "refund", "version": 1},
        format="json",
    )
    assert response.status_code == 400
    assert "amount" in response.json()["error"]["message"]


def test_resolve_with_unknown_root_cause_or_negative_amount_is_400(agent, ticket):
    client = client_for(agent)
    unknown = client.post(
        url(ticket, "resolve"), {"root_cause": "nope", "steps_taken": "x", "version": 1}, format="json"
    )
    negative = client.post(
        url(ticket, "resolve"),
        {"root_cause": RootCauseFactory().slug, "steps_taken": "x", "amount": "-1", "version": 1},
        format="json",
    )
    assert "root_cause" in unknown.json()["error"]["fields"]
    assert "amount" in negative.json()["error"]["fields"]


def test_reopen_of_an_open_ticket_is_409(agent, ticket):
    response = client_for(agent).post(url(ticket, "reopen"), {"reason": "x", "version": 1}, format="json")
    assert response.status_code == 409


@pytest.mark.parametrize("action", ["assign", "transition", "escalate", "resolve", "reopen"])
def test_integrations_may_not_act_on_tickets(action):
    integration = make_integration()
    ticket = open_ticket(actor=integration)
    response = client_for(integration).post(url(ticket, action), {"version": 1}, format="json")
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).version == 1


@pytest.mark.parametrize("action", ["assign", "transition", "escalate", "resolve", "reopen", "messages"])
def test_actions_on_another_teams_ticket_are_404(agent, action):
    theirs = TicketFactory(team=TeamFactory(slug="legal"))
    response = client_for(agent).post(url(theirs, action), {"version": 1, "reason": "x"}, format="json")
    assert response.status_code == 404


# --- messages ----------------------------------------------------------------------------------


def test_agent_replies_publicly_and_adds_internal_notes(agent, ticket):
    client = client_for(agent)
    reply = client.post(
        url(ticket, "messages"), {"body": "We are on it.", "visibility": "public"}, format="json"
    )
    note = client.post(
        url(ticket, "messages"), {"body": "Check the billing log", "visibility": "internal"}, format="json"
    )

    assert (
        reply.status_code == 201
        and reply.json()["kind"] == "reply"
        and reply.json()["visibility"] == "public"
    )
    assert (
        note.status_code == 201 and note.json()["kind"] == "note" and note.json()["visibility"] == "internal"
    )
    listed = client.get(url(ticket, "messages")).json()
    assert [m["body"] for m in listed] == ["We are on it.", "Check the billing log"]
    ticket.refresh_from_db()
    assert ticket.status == "acknowledged"  # the first public reply acknowledges


def test_message_html_is_sanitised(agent, ticket):
    response = client_for(agent).post(
        url(ticket, "messages"), {"body": "<script>alert(1)</script><b>ok</b>"}, format="json"
    )
    assert response.json()["body"] == "<b>ok</b>"


def test_message_with_a_stale_version_is_409(agent, ticket, supervisor):
    services.escalate(ticket_id=ticket.pk, actor=supervisor, version=1, reason="x")
    response = client_for(agent).post(url(ticket, "messages"), {"body": "hi", "version": 1}, format="json")
    assert response.status_code == 409


def test_integration_posts_customer_messages_and_never_sees_notes(team):
    integration = make_integration()
    ticket = open_ticket(actor=integration)
    agent = AgentFactory()
    services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.NOTE, body="VIP customer")
    services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="Looking into it")
    client = client_for(integration)

    posted = client.post(url(ticket, "messages"), {"body": "Any news?"}, format="json")
    internal = client.post(
        url(ticket, "messages"), {"body": "sneaky", "visibility": "internal"}, format="json"
    )
    listed = client.get(url(ticket, "messages")).json()

    assert posted.status_code == 201 and posted.json()["kind"] == "customer"
    assert internal.status_code == 403
    assert [m["body"] for m in listed] == ["Looking into it", "Any news?"]
    assert all(m["visibility"] == "public" for m in listed)


def test_empty_message_is_400(agent, ticket):
    response = client_for(agent).post(
        url(ticket, "messages"), {"body": "<script>alert(1)</script>"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"]


# --- events ----------------------------------------------------------------------------------------


def test_events_list_the_timeline_and_hide_internal_ones_from_integrations():
    integration = make_integration()
    ticket = open_ticket(actor=integration)
    agent = AgentFactory()
    services.escalate(ticket_id=ticket.pk, actor=agent, version=ticket.version, reason="VIP")
    supervisor = _supervisor()
    services.transition(ticket_id=ticket.pk, actor=supervisor, to="in_progress", version=ticket.version + 1)

    staff_view = client_for(supervisor).get(url(ticket, "events")).json()
    integration_view = client_for(integration).get(url(ticket, "events")).json()

    assert [e["kind"] for e in staff_view] == ["opened", "escalated", "status_changed"]
    assert staff_view[1]["actor"] == agent.username and staff_view[1]["reason"] == "VIP"
    assert [e["kind"] for e in integration_view] == ["opened", "status_changed"]


def _supervisor():
    from tests.factories import SupervisorFactory

    return SupervisorFactory()
