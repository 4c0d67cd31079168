"""What others see of the clocks: bulk-loaded tickets, the API, the stats report, pages and admin."""

from datetime import timedelta
from io import StringIO

import time_machine
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse

from complaints import services
from complaints.models import Message, Ticket
from sla import reports
from sla import services as sla_services
from sla.models import SlaClock, SlaOutcome, SlaPolicy, SlaTarget
from sla.selectors import ticket_clocks
from tests.complaints.api_helpers import client_for

from .conftest import fresh, sh

T0 = sh(2026, 3, 2, 10)


def test_bulk_loaded_tickets_get_clocks_without_firing_old_alerts(db):
    call_command("seed_demo", tickets=150, password="demo-pass-word-42", seed=3, stdout=StringIO())
    covered = Ticket.objects.exclude(kind=Ticket.Kind.SUGGESTION)
    assert covered.exists()
    assert not covered.exclude(sla_clocks__isnull=False).exists()
    # Suggestions have no targets, except that a live chat is answered within 60 s (sla 0007).
    suggestions = Ticket.objects.filter(kind=Ticket.Kind.SUGGESTION)
    assert not suggestions.exclude(channel="chat").filter(sla_clocks__isnull=False).exists()
    for ticket in covered.filter(status__in=["resolved", "closed"], resolved_at__isnull=False):
        assert not ticket.sla_clocks.filter(outcome=SlaOutcome.RUNNING).exists()
        assert ticket.sla_state in (Ticket.SlaState.MET, Ticket.SlaState.BREACHED)
    awaiting = covered.filter(status="awaiting_customer")
    assert all(t.sla_state in (Ticket.SlaState.PAUSED, Ticket.SlaState.BREACHED) for t in awaiting)
    open_running = covered.filter(status__in=["new", "in_progress"], sla_clocks__outcome=SlaOutcome.RUNNING)
    assert open_running.exists()
    assert not open_running.filter(sla_due_at__isnull=True).exists()
    # Thresholds passed before the load count as passed: the first sweep does not flood anyone.
    assert sla_services.fire_due_clocks().fired == 0


def _inquiry(open_ticket, agent, n: int, reply_after: int) -> Ticket:
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket(
            kind=Ticket.Kind.INQUIRY, email=f"r{n}@example.com", subject=f"Question {n} on Wi-Fi"
        )
    with time_machine.travel(T0 + timedelta(minutes=reply_after), tick=False):
        services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="Answer.")
    return ticket


def test_compliance_report_counts_met_and_missed_per_target_and_team(open_ticket, agent, team):
    _inquiry(open_ticket, agent, 1, reply_after=10)
    _inquiry(open_ticket, agent, 2, reply_after=20)
    _inquiry(open_ticket, agent, 3, reply_after=45)
    start, end = sh(2026, 3, 1), sh(2026, 4, 1)
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        overall = {row["target"]: row for row in reports.compliance(start=start, end=end)}
        by_team = reports.compliance(start=start, end=end, by="team")
        monthly = reports.compliance(start=start, end=end, by="month")
    first = overall["first_response"]
    assert (first["met"], first["missed"], first["compliance"], first["median_minutes"]) == (2, 1, 66.7, 20.0)
    # Resolution clocks still run past their 1-hour target: missed already, no time to stop yet.
    assert (overall["resolution"]["met"], overall["resolution"]["missed"]) == (0, 3)
    assert {(row["team"], row["target"]) for row in by_team} == {
        (team.slug, "first_response"),
        (team.slug, "resolution"),
    }
    assert {row["month"] for row in monthly} == {"2026-03-01"}


def test_api_shows_due_times_and_stats_show_compliance(open_ticket, agent, supervisor):
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket()
    client = client_for(supervisor)
    body = client.get(f"/api/v1/tickets/{ticket.reference}/").json()
    assert body["sla"]["state"] == "on_track"
    assert body["sla"]["first_response_due"] == sh(2026, 3, 3, 10).isoformat()
    assert body["sla"]["resolution_due"] == sh(2026, 3, 5, 10).isoformat()
    assert [c["target"] for c in body["sla"]["clocks"]] == ["first_response", "resolution"]
    stats = client.get("/api/v1/stats/", {"start": "2026-03-01", "end": "2026-03-31"}).json()
    assert "by_team" in stats["sla"] and "overall" in stats["sla"]


def test_the_clock_fragment_for_agents_and_for_customers(open_ticket):
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket()
        clocks = list(ticket_clocks(ticket.pk))
        staff = render_to_string("sla/_ticket_clocks.html", {"clocks": clocks})
        public = render_to_string("sla/_ticket_clocks.html", {"clocks": clocks, "public": True})
    assert "On track" in staff and "22 h 30 min" in staff  # business time left to resolve
    # English dates (config/formats/en), with the zone: a due time is a promise about one moment.
    assert "5 Mar 2026, 10:00 (UTC+08:00)" in staff
    assert "We will reply by 3 Mar 2026, 10:00 (UTC+08:00)" in public
    assert "We aim to resolve this by 5 Mar 2026, 10:00 (UTC+08:00)" in public
    assert "On track" not in public


def test_remaining_business_time_label(open_ticket):
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket()
    resolution = SlaClock.objects.get(ticket=ticket, target=SlaTarget.RESOLUTION)
    with time_machine.travel(sh(2026, 3, 4, 17), tick=False):  # Wed 17–18 and Thu 9–10
        assert resolution.remaining_label == "2 h 0 min"
    with time_machine.travel(sh(2026, 3, 5, 11), tick=False):
        assert resolution.remaining_label == "overdue by 1 h 0 min"
    assert fresh(ticket).sla_due_at == sh(2026, 3, 3, 10)


def test_admin_policy_page_previews_the_due_times(admin_client):
    policy = SlaPolicy.objects.get(match_kind="complaint", match_channel="")
    with time_machine.travel(T0, tick=False):
        page = admin_client.get(reverse("admin:sla_slapolicy_change", args=[policy.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "opened now would be due at" in text
    assert "2026-03-05 10:00" in text and "2026-03-03 10:00" in text


def test_admin_calendar_page_edits_intervals_and_days(admin_client):
    page = admin_client.get(reverse("admin:sla_businesscalendar_add"))
    assert page.status_code == 200
    assert "intervals-TOTAL_FORMS" in page.content.decode()
    assert "days-TOTAL_FORMS" in page.content.decode()


def test_the_desk_workspace_shows_each_clock(open_ticket, agent, client):
    """The sla app's panel in the desk (complaints.extensions): every clock, its state and due time."""
    with time_machine.travel(T0, tick=False):
        ticket = open_ticket()
    client.force_login(agent)
    with time_machine.travel(T0, tick=False):
        html = client.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    table = html.split('class="sla-table"', 1)[1].split("</table>", 1)[0]
    assert "First response" in table and "Resolution" in table
    assert "5 Mar 2026, 10:00 (UTC+08:00)" in table
