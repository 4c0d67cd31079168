"""The ticket console: who gets in, what the list shows and costs, search, and the bulk actions' events and skips."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import services
from complaints.events import EventKind
from complaints.models import Ticket
from complaints.states import Status
from tests.factories import (
    AgentFactory,
    CategoryFactory,
    CustomerFactory,
    RootCauseFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/complaints/ticket/"


@pytest.fixture
def console(client, supervisor):
    client.force_login(supervisor)
    return client


def act(client, action: str, tickets: list[Ticket], **answers):
    """Run a bulk action on `tickets` from the changelist, answering its intermediate page when given answers."""
    data = {"action": action, "_selected_action": [t.pk for t in tickets], **answers}
    if answers:
        data["apply"] = "1"
    return client.post(CHANGELIST, data, follow=True)


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def events(ticket: Ticket, kind: str) -> int:
    return ticket.events.filter(kind=kind).count()


def resolved(ticket: Ticket, actor) -> Ticket:
    services.resolve(
        ticket_id=ticket.pk, actor=actor, version=None, root_cause=RootCauseFactory(), steps_taken="Refunded."
    )
    ticket.refresh_from_db()
    return ticket


# --- who gets in -------------------------------------------------------------------------------


def test_agents_are_sent_to_the_login_page(client, agent):
    """Agents work in the desk; seed_demo and the factories make them without staff status."""
    assert not agent.is_staff
    client.force_login(agent)
    for url in ("/admin/", CHANGELIST, reverse("admin:complaints_ticket_export", args=["csv"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_export_permission_gets_403_on_export_and_no_links(client, agent):
    agent.is_staff = True
    agent.save(update_fields=["is_staff"])
    client.force_login(agent)
    TicketFactory()
    assert client.get(reverse("admin:complaints_ticket_export", args=["csv"])).status_code == 403
    page = client.get(CHANGELIST).content.decode()
    assert "Export this list" not in page
    assert "export_selected_csv" not in page


def test_supervisor_sees_masked_contact_sla_and_export_links(console):
    customer = CustomerFactory(name="王小明", email="wang@example.com", phone="13812345678")
    TicketFactory(customer=customer, sla_state=Ticket.SlaState.AT_RISK)
    page = console.get(CHANGELIST).content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page and "wang@example.com" not in page
    assert "At risk" in page
    assert "Export this list" in page
    assert reverse("admin:complaints_ticket_export", args=["xlsx"]) in page


def test_changelist_shows_a_supervisors_columns_with_the_subject_whole_in_its_title(console):
    """Few, narrow columns (the list fits a 1366 px laptop): no channel or escalation column of its own."""
    long_subject = "宽带断网三天还没有人上门维修，客服电话一直打不通，要求赔偿并尽快处理" * 2
    ticket = TicketFactory(subject=long_subject, escalation_level=2, sla_state=Ticket.SlaState.BREACHED)
    page = console.get(CHANGELIST).content.decode()
    columns = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', page)
    assert columns == [
        "reference",
        "subject_cell",
        "status",
        "priority_cell",
        "team",
        "assignee_cell",
        "sla_cell",
        "created_cell",
    ]
    assert f'title="{long_subject}"' in page
    assert 'class="sla-badge sla-breached"' in page and "Breached" in page
    assert 'title="Escalation level 2">L2<' in page
    assert ticket.reference in page


def test_changelist_costs_the_same_queries_for_5_and_50_tickets(console):
    team = TeamFactory()
    assignee = AgentFactory(team=team)
    parent = CategoryFactory()
    category = CategoryFactory(parent=parent)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert console.get(CHANGELIST).status_code == 200
        return len(queries)

    TicketFactory.create_batch(5, team=team, assignee=assignee, category=category)
    five = count_queries()
    TicketFactory.create_batch(45, team=team, assignee=assignee, category=category)
    fifty = count_queries()
    assert fifty == five, "each row must not cost its own query: check list_select_related and the filters"


def test_change_page_is_read_only(console):
    ticket = TicketFactory()
    url = reverse("admin:complaints_ticket_change", args=[ticket.pk])
    page = console.get(url).content.decode()
    assert ticket.reference in page
    assert 'name="_save"' not in page
    assert 'name="status"' not in page
    assert console.post(url, {"status": Status.CLOSED}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert console.get(reverse("admin:complaints_ticket_delete", args=[ticket.pk])).status_code == 403


# --- search and filters ----------------------------------------------------------------------


def test_search_by_exact_email_phone_reference_and_order_number(console):
    wanted = TicketFactory(
        customer=CustomerFactory(email="Li.Lei@example.com", phone="13900001111"), order_number="SO-778899"
    )
    other = TicketFactory()
    for term in ("li.lei@example.com", "139 0000 1111", wanted.reference.lower(), "SO-778899"):
        references = [t.reference for t in console.get(CHANGELIST, {"q": term}).context["cl"].result_list]
        assert references == [wanted.reference], term
    assert other.reference not in console.get(CHANGELIST, {"q": "li.lei@example"}).content.decode()


def test_search_finds_words_in_subject_description_and_messages(console):
    in_subject = TicketFactory(subject="宽带断网三天")
    in_message = TicketFactory(subject="Slow line")
    in_message.messages.create(kind="customer", channel="web", body="家里的宽带又断了")
    TicketFactory(subject="退款")
    references = {t.reference for t in console.get(CHANGELIST, {"q": "宽带"}).context["cl"].result_list}
    assert references == {in_subject.reference, in_message.reference}


def test_dashboard_filter_parameters_narrow_the_list(console):
    team = TeamFactory()
    hit = TicketFactory(team=team, channel=Ticket.Channel.EMAIL, sla_state=Ticket.SlaState.BREACHED)
    TicketFactory(team=team, channel=Ticket.Channel.WEB, sla_state=Ticket.SlaState.BREACHED)
    TicketFactory(channel=Ticket.Channel.EMAIL, sla_state=Ticket.SlaState.ON_TRACK)
    params = {
        "status__exact": "new",
        "sla_state__exact": "breached",
        "team__id__exact": team.pk,
        "channel__exact": "email",
    }
    response = console.get(CHANGELIST, params)
    assert [t.pk for t in response.context["cl"].result_list] == [hit.pk]


def test_escalation_level_filter_offers_every_level_without_scanning_tickets(console):
    high = TicketFactory(escalation_level=2)
    TicketFactory()
    response = console.get(CHANGELIST, {"escalation_level": "2"})
    assert [t.pk for t in response.context["cl"].result_list] == [high.pk]
    page = response.content.decode()
    assert "?escalation_level=3" in page, "levels nobody is at yet are offered too"


def test_date_range_filter_takes_dates_and_ignores_an_empty_end(console):
    ticket = TicketFactory()
    today = ticket.created_at.date().isoformat()
    response = console.get(CHANGELIST, {"created_at__gte": today, "created_at__lt": ""})
    assert response.status_code == 200
    assert [t.pk for t in response.context["cl"].result_list] == [ticket.pk]
    response = console.get(CHANGELIST, {"created_at__gte": "2000-01-01", "created_at__lt": "2000-01-02"})
    assert list(response.context["cl"].result_list) == []
    response = console.get(CHANGELIST, {"resolved_at__isnull": "True"})
    assert [t.pk for t in response.context["cl"].result_list] == [ticket.pk]


# --- bulk actions -----------------------------------------------------------------------------


def test_assign_asks_for_an_agent_then_skips_tickets_of_other_teams(console, team, supervisor):
    member = AgentFactory(team=team)
    mine = TicketFactory.create_batch(2, team=team)
    elsewhere = TicketFactory(team=TeamFactory())
    page = act(console, "assign_to_agent", [*mine, elsewhere])
    assert "Assign to an agent" in page.content.decode()
    assert member.username in page.content.decode()

    response = act(console, "assign_to_agent", [*mine, elsewhere], assignee=member.pk)
    notes = page_messages(response)
    assert any(f"2 tickets assigned to {member}" in note for note in notes)
    assert any(elsewhere.reference in note and "not a member" in note for note in notes)
    for ticket in mine:
        ticket.refresh_from_db()
        assert ticket.assignee == member
        assert events(ticket, EventKind.ASSIGNED) == 1
        assert ticket.events.get(kind=EventKind.ASSIGNED).actor == supervisor
    elsewhere.refresh_from_db()
    assert elsewhere.assignee is None and elsewhere.team != team
    assert events(elsewhere, EventKind.ASSIGNED) == 0


def test_move_to_team_reroutes_open_tickets_and_skips_closed_ones(console, team, supervisor):
    target = TeamFactory()
    open_ticket = TicketFactory(team=team)
    closed = TicketFactory(team=team)
    services.transition(ticket_id=closed.pk, actor=supervisor, to=Status.CLOSED, version=None, reason="dup")
    response = act(console, "move_to_team", [open_ticket, closed], team=target.pk, reason="Billing question")
    notes = page_messages(response)
    assert any("1 ticket moved" in note for note in notes)
    assert any(closed.reference in note and "Only open tickets" in note for note in notes)
    open_ticket.refresh_from_db()
    assert open_ticket.team == target
    assert open_ticket.events.get(kind=EventKind.REROUTED).reason == "Billing question"
    assert events(closed, EventKind.REROUTED) == 0


def test_move_to_team_needs_a_reason(console, team):
    ticket = TicketFactory(team=team)
    response = act(console, "move_to_team", [ticket], team=TeamFactory().pk, reason="")
    assert "This field is required" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.team == team


def test_escalate_raises_one_level_and_skips_the_top(console):
    low = TicketFactory()
    top = TicketFactory(escalation_level=3)
    response = act(console, "escalate", [low, top], reason="Customer threatens to go to the regulator")
    notes = page_messages(response)
    assert any("1 ticket escalated" in note for note in notes)
    assert any(top.reference in note and "highest escalation level" in note for note in notes)
    low.refresh_from_db()
    assert low.escalation_level == 1 and events(low, EventKind.ESCALATED) == 1
    assert events(top, EventKind.ESCALATED) == 0


def test_set_priority_reclassifies_and_skips_tickets_already_there(console):
    normal = TicketFactory(priority=Ticket.Priority.P3)
    urgent = TicketFactory(priority=Ticket.Priority.P1)
    response = act(console, "set_priority", [normal, urgent], priority=1, reason="Outage")
    notes = page_messages(response)
    assert any("1 ticket set to P1" in note for note in notes)
    assert any(urgent.reference in note and "already has this priority" in note for note in notes)
    normal.refresh_from_db()
    assert normal.priority == 1
    event = normal.events.get(kind=EventKind.RECLASSIFIED)
    assert event.detail["changes"] == {"priority": ["3", "1"]}
    assert events(urgent, EventKind.RECLASSIFIED) == 0


def test_close_resolved_closes_only_resolved_tickets(console, supervisor):
    done = resolved(TicketFactory(), supervisor)
    still_open = TicketFactory()
    response = act(console, "close_resolved", [done, still_open])
    notes = page_messages(response)
    assert any("1 ticket closed" in note for note in notes)
    assert any(still_open.reference in note and "Only resolved tickets" in note for note in notes)
    done.refresh_from_db()
    still_open.refresh_from_db()
    assert done.status == Status.CLOSED and done.closed_at is not None
    assert done.events.filter(kind=EventKind.STATUS_CHANGED, to_value=Status.CLOSED).count() == 1
    assert still_open.status == Status.NEW


def test_mark_spam_closes_what_it_can_and_skips_what_is_already_spam(console, supervisor):
    fresh = TicketFactory()
    closed = TicketFactory()
    services.transition(ticket_id=closed.pk, actor=supervisor, to=Status.CLOSED, version=None, reason="dup")
    spam = TicketFactory(is_spam=True)
    assert "Mark as spam" in act(console, "mark_spam", [fresh]).content.decode()
    response = act(console, "mark_spam", [fresh, closed, spam], reason="Advertising")
    notes = page_messages(response)
    assert any("2 tickets marked as spam" in note for note in notes)
    assert any(spam.reference in note and "already marked as spam" in note for note in notes)
    fresh.refresh_from_db()
    closed.refresh_from_db()
    assert fresh.is_spam and fresh.status == Status.CLOSED
    assert fresh.events.filter(
        kind=EventKind.STATUS_CHANGED, to_value=Status.CLOSED, reason="Advertising"
    ).exists()
    assert fresh.events.get(kind=EventKind.RECLASSIFIED).detail["changes"] == {"is_spam": ["False", "True"]}
    assert closed.is_spam and events(closed, EventKind.RECLASSIFIED) == 1
    assert events(spam, EventKind.RECLASSIFIED) == 0


def test_bulk_actions_need_the_change_permission(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client.force_login(viewer)
    ticket = TicketFactory()
    page = client.get(CHANGELIST).content.decode()
    assert "escalate" not in page
    response = act(client, "escalate", [ticket], reason="x")
    assert events(ticket, EventKind.ESCALATED) == 0
    assert response.status_code == 200


def test_the_ticket_page_links_to_the_desk_and_reads_its_timeline_in_words(console):
    from complaints import services

    legal = TeamFactory(slug="legal-words", name_en="Legal", name_zh="法务部")
    ticket = TicketFactory(team=TeamFactory(slug="cs-words", name_en="Customer service"))
    services.reroute(ticket_id=ticket.pk, actor=None, team=legal, version=None, reason="Lawyer letter")
    page = console.get(reverse("admin:complaints_ticket_change", args=[ticket.pk])).content.decode()
    assert f'href="/desk/tickets/{ticket.reference}/"' in page and "Open in the desk" in page
    assert "Customer service → Legal" in page
    assert "cs-words" not in page
