"""Desk pages of hand-offs: the workspace panel, the compose form, the queue's badge, remind / escalate
/ close, the report; another team's agent is refused; stored markup is shown as text; both languages."""

import pytest
from django.core import mail

from complaints.models import Message
from handoffs import services
from handoffs.models import Handoff

pytestmark = pytest.mark.django_db


def new_url(ticket) -> str:
    return f"/desk/tickets/{ticket.reference}/handoffs/new/"


def form(partner, **extra) -> dict:
    return {"partner": partner.pk, "subject": "Parcel lost", "body": "Waybill SF1234: where is it?", **extra}


def test_an_agent_opens_a_handoff_from_the_workspace(
    client, open_ticket, agent, supplier, handoff_mails, django_capture_on_commit_callbacks
):
    ticket = open_ticket()
    client.force_login(agent)
    page = client.get(f"/desk/tickets/{ticket.reference}/")
    assert 'id="handoffs"' in page.content.decode() and new_url(ticket) in page.content.decode()
    assert client.get(new_url(ticket)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(new_url(ticket), form(supplier), follow=True)
    handoff = Handoff.objects.get()
    assert response.redirect_chain[-1][0].endswith(f"/desk/tickets/{ticket.reference}/#handoffs")
    text = response.content.decode()
    assert handoff.reference in text and "Waiting on Upstream recharge supplier since" in text
    queue = client.get("/desk/").content.decode()
    assert 'href="/desk/handoffs/report/"' in queue  # the top bar links the report
    assert "Waiting on Upstream recharge supplier since" in queue
    handoff_mails.run()
    assert mail.outbox[-1].to == ["ops@supplier.example.net"]


def test_the_form_refuses_a_missing_partner_and_names_the_field(client, open_ticket, agent, supplier):
    ticket = open_ticket()
    client.force_login(agent)
    response = client.post(new_url(ticket), {**form(supplier), "partner": ""})
    assert response.status_code == 400 and "partner" in response.context["form"].errors
    assert not Handoff.objects.exists()


def test_remind_escalate_and_close_from_the_panel(client, open_ticket, agent, supplier, handoff_mails):
    ticket = open_ticket()
    handoff = services.open_handoff(actor=agent, ticket_id=ticket.pk, partner=supplier, subject="s", body="b")
    client.force_login(agent)
    base = f"/desk/tickets/{ticket.reference}/handoffs/{handoff.pk}"
    assert "Reminder sent." in client.post(f"{base}/remind/", follow=True).content.decode()
    twice = client.post(f"{base}/remind/", follow=True).content.decode()
    assert "remind again an hour later" in twice
    assert (
        "Hand-off escalated."
        in client.post(f"{base}/escalate/", {"note": "Urgent"}, follow=True).content.decode()
    )
    closed = client.post(f"{base}/close/", {"note": "Credited."}, follow=True).content.decode()
    assert "Hand-off closed." in closed
    handoff.refresh_from_db()
    assert handoff.state == Handoff.State.CLOSED and handoff.reminders == 1 and handoff.escalated_at
    kinds = list(ticket.events.filter(kind="note_added").values_list("kind", flat=True))
    assert len(kinds) == 4  # opened, reminded, escalated, closed on the timeline
    assert client.get(f"{base}/close/").status_code == 405


def test_another_teams_agent_cannot_see_or_act(client, open_ticket, agent, other_agent, supplier):
    ticket = open_ticket()
    handoff = services.open_handoff(actor=agent, ticket_id=ticket.pk, partner=supplier, subject="s", body="b")
    client.force_login(other_agent)
    assert client.get(new_url(ticket)).status_code == 404
    assert client.post(new_url(ticket), form(supplier)).status_code == 404
    assert client.post(f"/desk/tickets/{ticket.reference}/handoffs/{handoff.pk}/close/").status_code == 404
    handoff.refresh_from_db()
    assert handoff.is_open


def test_stored_markup_is_shown_as_text(client, open_ticket, agent, supplier):
    ticket = open_ticket()
    services.open_handoff(
        actor=agent,
        ticket_id=ticket.pk,
        partner=supplier,
        subject="<script>alert('s')</script>",
        body="<img src=x onerror=alert(1)>",
    )
    services.record_partner_answer(
        handoff_id=Handoff.objects.get().pk,
        sender="x@evil.example",
        sender_name="",
        body="<script>alert('answer')</script>",
        message_id="evil@x",
    )
    client.force_login(agent)
    text = client.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(&#x27;s&#x27;)&lt;/script&gt;" in text
    assert ticket.messages.filter(kind=Message.Kind.NOTE, body__contains="<script>").count() == 0


def test_the_report_ranks_partners_by_the_time_tickets_waited(
    client, open_ticket, agent, supplier, network_department
):
    ticket = open_ticket()
    services.open_handoff(actor=agent, ticket_id=ticket.pk, partner=supplier, subject="s", body="b")
    client.force_login(agent)
    page = client.get("/desk/handoffs/report/")
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [row["partner"] for row in rows] == ["Upstream recharge supplier"]
    assert rows[0]["handoffs"] == 1 and rows[0]["overdue_rate"] == 0
    assert client.get("/desk/handoffs/report/?start=garbage").status_code == 200


def test_the_pages_in_chinese(client, open_ticket, agent, supplier):
    ticket = open_ticket()
    services.open_handoff(actor=agent, ticket_id=ticket.pk, partner=supplier, subject="s", body="b")
    client.force_login(agent)
    headers = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    from complaints import preferences

    preferences.set_staff_language(user=agent, language="zh-hans")
    page = client.get(f"/desk/tickets/{ticket.reference}/", **headers).content.decode()
    assert "转交合作方" in page and "等待 Upstream recharge supplier 回复" in page
    assert "转交给合作方" in client.get(new_url(ticket), **headers).content.decode()
    assert "合作方转交统计" in client.get("/desk/handoffs/report/", **headers).content.decode()
