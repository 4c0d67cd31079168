"""Every action of the ticket workspace, through the test client: plain POST and htmx."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services
from complaints.events import EventKind
from complaints.models import Message, Resolution, Ticket, TicketEvent
from complaints.states import Status
from tests.complaints.portal_helpers import HTMX, action_url, post_action
from tests.factories import AgentFactory, CategoryFactory, RootCauseFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def _english(settings):
    # Assertions read the English texts; the lead translates them to Chinese later.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def ticket(team, agent) -> Ticket:
    return TicketFactory(team=team, assignee=agent, subject="Refund not received", language="en")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def kinds(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


def test_reply_without_javascript_redirects_and_shows_the_reply(signed_in, ticket):
    response = post_action(signed_in, ticket, "reply", body="We have refunded you today.")

    assert response.status_code == 302
    assert response["Location"] == f"/desk/tickets/{ticket.reference}/"
    reply = Message.objects.get(ticket=ticket)
    assert reply.kind == Message.Kind.REPLY
    ticket.refresh_from_db()
    assert ticket.status == Status.ACKNOWLEDGED  # the first reply acknowledges a new ticket
    page = signed_in.get(response["Location"]).content.decode()
    assert "We have refunded you today." in page
    assert "Your reply was sent to the customer." in page


def test_reply_with_htmx_returns_the_workspace_with_the_reply_on_the_timeline(signed_in, ticket):
    response = post_action(signed_in, ticket, "reply", htmx=True, body="Refund issued.")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="workspace"')
    assert "<html" not in html
    assert "Refund issued." in html
    assert "Your reply was sent to the customer." in html
    ticket.refresh_from_db()
    assert f'data-version="{ticket.version}"' in html  # the fresh forms carry the new version


def test_reply_carries_attachments(signed_in, ticket):
    ticket.refresh_from_db()
    response = signed_in.post(
        action_url(ticket, "reply"),
        {
            "reply-version": ticket.version,
            "reply-body": "The receipt is attached.",
            "reply-files": [SimpleUploadedFile("receipt.png", PNG, content_type="image/png")],
        },
    )
    assert response.status_code == 302
    message = Message.objects.get(ticket=ticket)
    assert [a.original_name for a in message.attachments.all()] == ["receipt.png"]


def test_note_is_internal_and_marked_so(signed_in, ticket):
    post_action(signed_in, ticket, "note", body="Customer called twice; check billing log.")

    note = Message.objects.get(ticket=ticket)
    assert note.kind == Message.Kind.NOTE
    page = signed_in.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    assert 'class="message message-note"' in page
    assert "Customer called twice" in page


def test_message_html_is_cleaned_on_the_page(signed_in, ticket):
    # A body is shown through the sanitiser (message_html): a script in a stored row is dropped,
    # harmless formatting and entities show as written.
    Message.objects.create(
        ticket=ticket, kind=Message.Kind.CUSTOMER, channel="web", body="<script>x()</script>A &amp; <b>B</b>"
    )
    page = signed_in.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    assert "<script>x()</script>" not in page and "x()" not in page
    assert "A &amp; <b>B</b>" in page


def test_empty_reply_is_refused_and_nothing_is_written(signed_in, ticket):
    response = post_action(signed_in, ticket, "reply", htmx=True, body="   ")
    assert response.status_code == 422
    assert not Message.objects.filter(ticket=ticket).exists()


def test_acknowledge(signed_in, ticket):
    post_action(signed_in, ticket, "acknowledge")
    ticket.refresh_from_db()
    assert ticket.status == Status.ACKNOWLEDGED
    assert EventKind.ACKNOWLEDGED in kinds(ticket)


def test_take_an_unassigned_ticket(client, team):
    taker = AgentFactory(team=team)
    ticket = TicketFactory(team=team)
    client.force_login(taker)
    response = post_action(client, ticket, "take", htmx=True)
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.assignee == taker


def test_an_agent_cannot_take_a_colleagues_ticket(client, team, ticket):
    colleague = AgentFactory(team=team)
    client.force_login(colleague)
    response = post_action(client, ticket, "take")
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee != colleague


def test_an_agent_cannot_reassign(client, team, ticket, agent):
    colleague = AgentFactory(team=team)
    client.force_login(agent)
    response = post_action(client, ticket, "assign", assignee=colleague.pk)
    assert response.status_code == 403


def test_a_team_lead_reassigns_within_the_team(client, team, ticket):
    lead = AgentFactory(team=team, team__role="lead")
    colleague = AgentFactory(team=team)
    client.force_login(lead)
    response = post_action(client, ticket, "assign", assignee=colleague.pk)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == colleague


def test_a_team_lead_cannot_assign_outside_the_team(client, team, ticket):
    lead = AgentFactory(team=team, team__role="lead")
    outsider = AgentFactory(team=TeamFactory(slug="billing"))
    client.force_login(lead)
    response = post_action(client, ticket, "assign", htmx=True, assignee=outsider.pk)
    assert response.status_code == 422
    ticket.refresh_from_db()
    assert ticket.assignee != outsider


def test_a_supervisor_assigns_across_teams(client, supervisor, ticket):
    other = AgentFactory(team=TeamFactory(slug="technical"))
    client.force_login(supervisor)
    post_action(client, ticket, "assign", assignee=other.pk)
    ticket.refresh_from_db()
    assert ticket.assignee == other
    assert ticket.team.slug == "technical"


def test_reclassify(signed_in, ticket):
    category = CategoryFactory(slug="billing-x")
    post_action(
        signed_in,
        ticket,
        "reclassify",
        kind="complaint",
        category=category.pk,
        priority=1,
        complexity="complex",
        reason="Money involved",
    )
    ticket.refresh_from_db()
    assert (ticket.category, ticket.priority, ticket.complexity) == (category, 1, "complex")
    assert EventKind.RECLASSIFIED in kinds(ticket)


def test_escalate(signed_in, ticket):
    post_action(signed_in, ticket, "escalate", reason="Customer threatens to go to the regulator")
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1


def test_escalate_without_reason_keeps_the_form_and_says_why(signed_in, ticket):
    response = post_action(signed_in, ticket, "escalate", htmx=True, reason="")
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()


def test_reroute(signed_in, ticket):
    billing = TeamFactory(slug="billing")
    post_action(signed_in, ticket, "reroute", team=billing.pk, reason="A refund question")
    ticket.refresh_from_db()
    assert ticket.team == billing
    assert ticket.assignee is None


def test_await_customer(signed_in, ticket):
    post_action(signed_in, ticket, "await_customer", reason="Need the order screenshot")
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CUSTOMER


def test_resolve_with_root_cause_remedy_and_amount(signed_in, ticket):
    cause = RootCauseFactory()
    post_action(
        signed_in,
        ticket,
        "resolve",
        root_cause=cause.pk,
        steps_taken="Refunded through the payment gateway",
        remedy="refund",
        amount="25.50",
    )
    resolution = Resolution.objects.get(ticket=ticket)
    assert (resolution.root_cause, resolution.remedy, resolution.amount) == (
        cause,
        "refund",
        Decimal("25.50"),
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_refund_without_amount_is_refused_with_the_domain_message(signed_in, ticket):
    cause = RootCauseFactory()
    response = post_action(
        signed_in, ticket, "resolve", htmx=True, root_cause=cause.pk, steps_taken="Refunded", remedy="refund"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "A refund or compensation needs its amount." in html
    assert "Refunded" in html  # the draft is still in the form
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_reopen(signed_in, ticket, agent):
    services.resolve(
        ticket_id=ticket.pk,
        actor=agent,
        version=ticket.version,
        root_cause=RootCauseFactory(),
        steps_taken="Done",
    )
    post_action(signed_in, ticket, "reopen", reason="Customer says it happened again")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_merge_into_another_ticket(signed_in, ticket, team):
    keep = TicketFactory(team=team, customer=ticket.customer)
    response = post_action(signed_in, ticket, "merge", target=keep.reference.lower(), reason="Same order")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.duplicate_of == keep
    assert ticket.status == Status.CLOSED


def test_merge_into_a_ticket_the_agent_cannot_see_is_refused(signed_in, ticket):
    hidden = TicketFactory(team=TeamFactory(slug="legal"))
    response = post_action(signed_in, ticket, "merge", htmx=True, target=hidden.reference)
    assert response.status_code == 400
    assert "that you can see" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.duplicate_of is None


def test_merge_picker_lists_matching_open_tickets(signed_in, ticket, team):
    keep = TicketFactory(team=team, subject="Refund not received again")
    TicketFactory(team=TeamFactory(slug="legal"), subject="Refund not received elsewhere")
    response = signed_in.get(
        f"/desk/tickets/{ticket.reference}/merge-candidates/", {"merge-search": "Refund not received"}, **HTMX
    )
    html = response.content.decode()
    assert keep.reference in html
    assert ticket.reference not in html
    assert "elsewhere" not in html


def test_unknown_action_is_404(signed_in, ticket):
    assert signed_in.post(action_url(ticket, "delete")).status_code == 404


def test_actions_need_post(signed_in, ticket):
    assert signed_in.get(action_url(ticket, "acknowledge")).status_code == 405


def test_actions_need_a_csrf_token(agent, ticket):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = post_action(client, ticket, "note", body="x")
    assert response.status_code == 403
    assert not Message.objects.exists()


# --- two agents on one ticket -----------------------------------------------------------


def test_a_stale_save_is_refused_and_the_draft_is_kept(client, team, ticket, agent):
    colleague = AgentFactory(team=team, username="colleague")
    seen = ticket.version
    last_event = (
        TicketEvent.objects.filter(ticket=ticket).order_by("pk").values_list("pk", flat=True).last() or 0
    )
    # Meanwhile a colleague escalates the ticket.
    services.escalate(ticket_id=ticket.pk, actor=colleague, version=seen, reason="Regulator letter")

    client.force_login(agent)
    response = client.post(
        action_url(ticket, "reply"),
        {"reply-version": seen, "reply-seen_event": last_event, "reply-body": "My careful draft answer"},
        **HTMX,
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this ticket meanwhile" in html
    assert "My careful draft answer" in html
    assert "Escalated by colleague" in html  # what changed, and who
    assert not Message.objects.filter(ticket=ticket).exists()
    ticket.refresh_from_db()
    # The re-shown form carries the current version: sending again is a deliberate choice that works.
    assert f'name="reply-version" value="{ticket.version}"' in html


def test_a_stale_save_without_javascript_shows_the_whole_page(client, team, ticket, agent):
    seen = ticket.version
    services.acknowledge(ticket_id=ticket.pk, actor=agent, version=seen)
    client.force_login(agent)
    response = post_action(client, ticket, "escalate", version=seen, reason="Urgent")
    assert response.status_code == 409
    html = response.content.decode()
    assert "<html" in html
    assert "Someone else changed this ticket meanwhile" in html
    assert "Urgent" in html
    ticket.refresh_from_db()
    assert ticket.escalation_level == 0


def test_stale_merge_is_refused(signed_in, ticket, team, agent):
    keep = TicketFactory(team=team)
    seen = ticket.version
    services.add_message(ticket_id=ticket.pk, actor=agent, kind="note", body="meanwhile", version=seen)
    response = post_action(signed_in, ticket, "merge", htmx=True, version=seen, target=keep.reference)
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.duplicate_of is None


def test_version_poll_is_quiet_while_nothing_changed(signed_in, ticket):
    response = signed_in.get(
        f"/desk/tickets/{ticket.reference}/version/", {"version": ticket.version, "seen_event": 0}, **HTMX
    )
    assert response.status_code == 200
    assert "changed meanwhile" not in response.content.decode()


def test_version_poll_says_who_changed_what(signed_in, team, ticket):
    colleague = AgentFactory(team=team, username="wang")
    seen = ticket.version
    services.escalate(ticket_id=ticket.pk, actor=colleague, version=seen, reason="Press enquiry")
    response = signed_in.get(
        f"/desk/tickets/{ticket.reference}/version/", {"version": seen, "seen_event": 0}, **HTMX
    )
    html = response.content.decode()
    assert "This ticket was changed meanwhile." in html
    assert "Escalated by wang" in html
    assert "Press enquiry" in html
    assert 'hx-trigger="every 20s"' in html


# --- actions after which the ticket leaves the agent's sight ----------------------------------


def test_rerouting_away_with_htmx_sends_the_agent_back_to_the_queue_with_a_message(signed_in, ticket):
    billing = TeamFactory(slug="billing")
    AgentFactory(team=billing)  # the ticket is assigned within billing: no longer the agent's
    response = post_action(
        signed_in, ticket, "reroute", htmx=True, team=billing.pk, reason="A refund question"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/desk/"
    ticket.refresh_from_db()
    assert ticket.team == billing and ticket.assignee is not None
    queue = signed_in.get("/desk/").content.decode()
    assert f"Sent to {billing}." in queue
    assert f"{ticket.reference} is no longer in your view" in queue


def test_rerouting_away_without_javascript_redirects_to_the_queue(signed_in, ticket):
    billing = TeamFactory(slug="billing")
    response = post_action(signed_in, ticket, "reroute", team=billing.pk, reason="A refund question")
    assert response.status_code == 302 and response["Location"] == "/desk/"


def test_an_action_that_keeps_the_ticket_in_sight_stays_on_it(signed_in, ticket):
    response = post_action(signed_in, ticket, "escalate", htmx=True, reason="VIP")
    assert response.status_code == 200 and "HX-Redirect" not in response
    assert 'id="workspace"' in response.content.decode()


def test_merging_takes_the_agent_to_the_ticket_kept(signed_in, ticket, team):
    keep = TicketFactory(team=team, customer=ticket.customer)
    response = post_action(signed_in, ticket, "merge", htmx=True, target=keep.reference, reason="Same order")
    assert response["HX-Redirect"] == f"/desk/tickets/{keep.reference}/"
    assert f"Merged into {keep.reference}." in signed_in.get(response["HX-Redirect"]).content.decode()
