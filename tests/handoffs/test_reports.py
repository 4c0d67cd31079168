"""Reports on hand-offs: response times in the partner's business hours, the overdue rate, the hours
tickets waited, the partners that delay most first; the queue's badges in one query."""

import pytest
import time_machine

from handoffs import reports, selectors, services
from handoffs.models import Handoff

from .conftest import sh

pytestmark = pytest.mark.django_db


def test_the_report_counts_business_hours_overdue_and_waiting(
    open_ticket, agent, supplier, network_department
):
    with time_machine.travel(sh(2026, 12, 4, 16, 0), tick=False):  # Friday 16:00
        ticket = open_ticket()
        on_time = services.open_handoff(
            actor=agent, ticket_id=ticket.pk, partner=supplier, subject="a", body="b"
        )
        late = services.open_handoff(
            actor=agent, ticket_id=ticket.pk, partner=supplier, subject="c", body="d"
        )
        noc = services.open_handoff(
            actor=agent, ticket_id=ticket.pk, partner=network_department, subject="e", body="f"
        )
    with time_machine.travel(sh(2026, 12, 7, 10, 0), tick=False):  # Monday: 2 h Friday + 1 h = 3 office hours
        services.record_partner_answer(
            handoff_id=on_time.pk,
            sender="ops@supplier.example.net",
            sender_name="",
            body="ok",
            message_id="1@s",
        )
        services.close_handoff(handoff_id=on_time.pk, actor=agent)
    with time_machine.travel(sh(2026, 12, 8, 10, 0), tick=False):  # due Monday 16:30: late
        services.record_partner_answer(
            handoff_id=late.pk, sender="ops@supplier.example.net", sender_name="", body="ok", message_id="2@s"
        )
    with time_machine.travel(sh(2026, 12, 8, 16, 0), tick=False):
        services.close_handoff(handoff_id=noc.pk, actor=agent)
        rows = reports.partner_report(
            handoffs=Handoff.objects.all(), start=sh(2026, 12, 1, 0, 0), end=sh(2026, 12, 9, 0, 0)
        )
    by_name = {row["partner"]: row for row in rows}
    supplier_row = by_name["Upstream recharge supplier"]
    assert supplier_row["handoffs"] == 2 and supplier_row["answered"] == 2 and supplier_row["tickets"] == 1
    # 3 office hours and 2 h Fri + 7.5 h Mon + 1 h Tue = 10.5: on average 6.75, shown as 6.8.
    assert supplier_row["average_response_hours"] == 6.8
    assert supplier_row["overdue"] == 1 and supplier_row["overdue_rate"] == 0.5
    noc_row = by_name["网络部"]
    assert noc_row["answered"] == 0 and noc_row["overdue"] == 1 and noc_row["average_response_hours"] is None
    # The network department kept the ticket waiting 96 h (Fri 16:00 to Tue 16:00), the supplier 66 + 96.
    assert noc_row["waiting_hours"] == 96.0 and supplier_row["waiting_hours"] == 162.0
    assert [row["partner"] for row in rows] == ["Upstream recharge supplier", "网络部"]


def test_queue_badges_cost_one_query_for_any_page(open_ticket, agent, supplier, django_assert_num_queries):
    tickets = [
        open_ticket(subject=f"问题 {n}", email=f"c{n}@example.com", phone=f"1370000{n:04d}") for n in range(5)
    ]
    for ticket in tickets:
        services.open_handoff(actor=agent, ticket_id=ticket.pk, partner=supplier, subject="s", body="b")
    with django_assert_num_queries(1):
        badges = selectors.ticket_badges(tickets)
    assert set(badges) == {ticket.pk for ticket in tickets}
    assert badges[tickets[0].pk][0]["label"].startswith("Waiting on Upstream recharge supplier since")
