"""The customer's ticket page /t/<token>/: what it shows, what it hides, and what the customer can do."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from channels_intake.tokens import ticket_token
from complaints import attachments, selectors, services, tasks
from complaints.events import EventKind
from complaints.models import Attachment, Message, Resolution, TeamMembership, Ticket
from complaints.states import Status
from tests.factories import AgentFactory, RootCauseFactory, TeamFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def open_complaint(
    *,
    email: str = "li.lei@example.com",
    phone: str = "13800138000",
    language: str = "en",
    subject: str = "Charged twice for order 42",
) -> Ticket:
    opened = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=services.CustomerDetails(name="李雷", email=email, phone=phone, language=language),
        subject=subject,
        description="I was charged twice for the same order.",
        desired_outcome="Refund the second charge.",
    )
    return opened.ticket


def page_url(ticket: Ticket, name: str = "public:ticket", *args: object) -> str:
    return reverse(name, args=[ticket_token(ticket), *args])


def current_step(html: str) -> str:
    """The label of the progress step marked as the current one."""
    found = re.search(r'<li class="step current" aria-current="step">(.*?)</li>', html, re.S).group(1)
    return re.sub(r"<[^>]+>[^<]*</span>", "", found).strip()


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def staffed(db):
    """A billing team with a lead and an agent called Mei Wang (username wmei)."""
    team = TeamFactory(slug="billing", name_en="Billing", name_zh="账务")
    agent = AgentFactory(
        username="wmei", first_name="Mei", last_name="Wang", email="mei@staff.example.com", team=team
    )
    lead = AgentFactory(username="lead", first_name="Lin", email="lead@staff.example.com")
    TeamMembership.objects.create(team=team, user=lead, role=TeamMembership.Role.LEAD)
    return team, agent, lead


@pytest.fixture
def worked(staffed):
    """A ticket routed to billing, assigned to Mei, with a public reply, an internal note and an escalation."""
    team, agent, _lead = staffed
    ticket = open_complaint()
    services.reroute(ticket_id=ticket.pk, actor=None, team=team, version=None, reason="billing issue")
    services.assign(ticket_id=ticket.pk, actor=agent, assignee=agent, version=None)
    services.add_message(
        ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="We are checking the payment records."
    )
    services.add_message(
        ticket_id=ticket.pk,
        actor=agent,
        kind=Message.Kind.NOTE,
        body="SECRET-NOTE customer is a known chargeback risk",
        files=attachments.check_uploads([png("internal-evidence.png")]),
    )
    services.escalate(ticket_id=ticket.pk, actor=agent, version=None, reason="SECRET-ESCALATION reason")
    return fresh(ticket)


@pytest.fixture
def run_now(monkeypatch):
    """Run the named Celery tasks' bodies when they are queued (on commit), to see their effect."""

    def patch(*task_objects):
        for task in task_objects:
            monkeypatch.setattr(task, "delay", lambda *a, _t=task, **k: _t(*a, **k))

    return patch


def test_page_shows_status_progress_handler_and_public_reply(client, worked):
    response = client.get(page_url(worked))
    assert response.status_code == 200
    html = response.content.decode()
    assert worked.reference in html and "Charged twice for order 42" in html
    assert 'aria-current="step"' in html
    assert current_step(html) == "Confirmed"  # the first public reply acknowledged the new ticket
    assert "Handled by: Mei Wang" in html  # the full name, given name first in English
    assert "We are checking the payment records." in html
    assert "Refund the second charge." in html
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_page_never_shows_internal_notes_events_or_staff_identities(client, worked):
    html = client.get(page_url(worked)).content.decode()
    assert "SECRET-NOTE" not in html
    assert "internal-evidence.png" not in html
    assert "SECRET-ESCALATION" not in html
    assert "Escalat" not in html
    assert "billing issue" not in html  # an agent's re-routing reason is internal
    # Staff appear by their full name only: never their login or their address.
    assert "wmei" not in html and "mei@staff.example.com" not in html
    # The customer's own contact data is not repeated on a page reachable by a link either.
    assert "li.lei@example.com" not in html and "13800138000" not in html


def test_page_shows_nothing_of_another_customers_ticket(client, worked):
    other = open_complaint(
        email="han.meimei@example.com", phone="13900139000", subject="OTHER-CUSTOMER broken router"
    )
    services.add_message(ticket_id=other.pk, actor=None, kind=Message.Kind.REPLY, body="OTHER-REPLY text")
    html = client.get(page_url(worked)).content.decode()
    assert "OTHER-CUSTOMER" not in html and "OTHER-REPLY" not in html and other.reference not in html


def test_what_happens_next_uses_the_sla_due_time_or_a_sensible_message(client, worked):
    services.update_sla_summary(ticket_id=worked.pk, state=Ticket.SlaState.NONE, due_at=None)
    html = client.get(page_url(worked)).content.decode()
    assert "will update you here as soon as there is news" in html
    due = timezone.now() + timedelta(hours=5)
    services.update_sla_summary(ticket_id=worked.pk, state=Ticket.SlaState.ON_TRACK, due_at=due)
    html = client.get(page_url(worked)).content.decode()
    assert "aim to give you an answer by" in html
    # As the page shows it (the English format writes 13:01 as "1:01 p.m."): this used to fail
    # whenever the due time fell after noon.
    with translation.override("en"):
        assert formats.date_format(timezone.localtime(due), "DATETIME_FORMAT") in html


def test_a_late_ticket_says_so_and_apologises(client, worked):
    due = timezone.now() - timedelta(hours=2)
    services.update_sla_summary(ticket_id=worked.pk, state=Ticket.SlaState.BREACHED, due_at=due)
    html = client.get(page_url(worked)).content.decode()
    assert "We are behind our target" in html and "aim to give you an answer" not in html


def test_tampered_or_garbage_token_gets_a_clear_page_with_a_way_to_a_new_link(client, worked):
    token = ticket_token(worked)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "not-a-token", token.replace(":", "", 1)):
        response = client.get(reverse("public:ticket", args=[bad]))
        assert response.status_code == 404
        html = response.content.decode()
        assert "This link does not work" in html
        assert reverse("public:track") in html
        assert worked.subject not in html


def test_link_expires_days_after_closing_and_a_new_link_can_be_requested(
    client, worked, settings, run_now, django_capture_on_commit_callbacks
):
    from channels_intake.customer import tasks as customer_tasks

    settings.COMPLAINTS = {**settings.COMPLAINTS, "TICKET_LINK_DAYS_AFTER_CLOSE": 10}
    old_token = ticket_token(worked)
    services.transition(ticket_id=worked.pk, actor=None, to=Status.CLOSED, version=None, reason="withdrawn")
    closed_at = fresh(worked).closed_at
    with time_machine.travel(closed_at + timedelta(days=9, hours=23), tick=False):
        assert client.get(reverse("public:ticket", args=[old_token])).status_code == 200
    with time_machine.travel(closed_at + timedelta(days=10, minutes=1), tick=False):
        response = client.get(reverse("public:ticket", args=[old_token]))
        assert response.status_code == 410
        html = response.content.decode()
        assert "This link has expired" in html and worked.subject not in html
        assert reverse("public:ticket_new_link", args=[old_token]) in html

        run_now(customer_tasks.send_ticket_link)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("public:ticket_new_link", args=[old_token]))
        assert response.status_code == 200
        assert "Check your e-mail" in response.content.decode()
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li.lei@example.com"]
        new_url = re.search(r"https?://\S+/t/\S+/", mail.outbox[0].body).group(0)
        new_path = new_url.split("://", 1)[1].split("/", 1)[1]
        assert client.get("/" + new_path).status_code == 200  # the new link works after the old expired


def test_reopening_a_closed_ticket_revives_its_old_link(client, worked, settings):
    token = ticket_token(worked)
    services.transition(ticket_id=worked.pk, actor=None, to=Status.CLOSED, version=None, reason="withdrawn")
    later = fresh(worked).closed_at + timedelta(days=400)
    with time_machine.travel(later, tick=False):
        assert client.get(reverse("public:ticket", args=[token])).status_code == 410
        services.reopen(ticket_id=worked.pk, actor=None, version=None, reason="customer called back")
        assert client.get(reverse("public:ticket", args=[token])).status_code == 200


def test_customer_reply_with_attachment_leaves_waiting_and_notifies_the_agent(
    client, worked, staffed, run_now, django_capture_on_commit_callbacks
):
    _team, agent, _lead = staffed
    services.await_customer(ticket_id=worked.pk, actor=agent, version=None, reason="need the bank slip")
    assert current_step(client.get(page_url(worked)).content.decode()) == "Waiting for you"
    run_now(tasks.notify_staff)
    token = ticket_token(worked)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("public:ticket_reply", args=[token]),
            {"body": "Here is the bank slip.", "files": [png("slip.png")]},
        )
    assert response.status_code == 302 and response["Location"] == reverse("public:ticket", args=[token])
    ticket = fresh(worked)
    assert ticket.status == Status.IN_PROGRESS
    message = ticket.messages.get(kind=Message.Kind.CUSTOMER)
    assert message.body == "Here is the bank slip."
    assert [a.original_name for a in message.attachments.all()] == ["slip.png"]
    assert ticket.events.filter(kind=EventKind.CUSTOMER_MESSAGE).exists()
    assert [m.to for m in mail.outbox] == [["mei@staff.example.com"]]
    # It shows on the page, with its file downloadable through the token.
    page = client.get(page_url(worked))
    html = page.content.decode()
    assert "Here is the bank slip." in html and "Thank you. We have your message" in html
    assert current_step(html) == "In progress"
    download = client.get(page_url(worked, "public:ticket_attachment", message.attachments.get().pk))
    assert download.status_code == 200
    assert (
        download["Content-Disposition"].startswith("attachment;")
        and "slip.png" in download["Content-Disposition"]
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG


def test_a_rejected_file_is_explained_and_nothing_is_written(client, worked):
    script = SimpleUploadedFile("evil.html", b"<script>alert(1)</script>", content_type="text/html")
    response = client.post(page_url(worked, "public:ticket_reply"), {"body": "see file", "files": [script]})
    assert response.status_code == 400
    assert "not an accepted file type" in response.content.decode()
    assert not fresh(worked).messages.filter(kind=Message.Kind.CUSTOMER).exists()


def test_attachments_are_only_served_for_the_ticket_the_token_grants_and_never_from_notes(client, worked):
    note_file = worked.attachments.get(original_name="internal-evidence.png")
    assert client.get(page_url(worked, "public:ticket_attachment", note_file.pk)).status_code == 404
    other = open_complaint(email="han.meimei@example.com", phone="13900139000", subject="Other")
    services.add_message(
        ticket_id=other.pk,
        actor=None,
        kind=Message.Kind.CUSTOMER,
        body="mine",
        files=attachments.check_uploads([png("other.png")]),
    )
    other_file = other.attachments.get()
    assert client.get(page_url(worked, "public:ticket_attachment", other_file.pk)).status_code == 404
    assert client.get(page_url(other, "public:ticket_attachment", other_file.pk)).status_code == 200


@pytest.fixture
def resolved(worked, staffed):
    _team, agent, _lead = staffed
    services.resolve(
        ticket_id=worked.pk,
        actor=agent,
        version=None,
        root_cause=RootCauseFactory(
            slug="double-charge", name_en="Payment gateway retried", name_zh="支付重试"
        ),
        steps_taken="Refunded the duplicate charge to the original card.",
        remedy=Resolution.Remedy.REFUND,
        amount="99.50",
    )
    return fresh(worked)


def test_resolution_shows_cause_steps_remedy_and_amount(client, resolved):
    html = client.get(page_url(resolved)).content.decode()
    assert "Payment gateway retried" in html
    assert "Refunded the duplicate charge to the original card." in html
    assert "Refund" in html and "99.50 CNY" in html
    assert "Yes, my problem is solved" in html


def test_confirming_the_resolution_closes_the_ticket_and_shows_on_the_agents_timeline(client, resolved):
    response = client.post(page_url(resolved, "public:ticket_confirm"))
    assert response.status_code == 302
    ticket = fresh(resolved)
    assert ticket.status == Status.CLOSED
    assert ticket.resolutions.get().customer_response == Resolution.CustomerResponse.CONFIRMED
    agent_view = selectors.ticket_timeline(selectors.ticket_detail(Ticket.objects.filter(pk=ticket.pk)).get())
    assert any(getattr(i, "kind", None) == EventKind.CONFIRMED for i in agent_view)
    html = client.get(page_url(resolved)).content.decode()
    assert "You confirmed the resolution" in html
    assert 'id="reply"' not in html  # a closed complaint takes no more replies


def test_dispute_needs_a_reason_then_reopens_and_notifies(
    client, resolved, run_now, django_capture_on_commit_callbacks
):
    response = client.post(page_url(resolved, "public:ticket_dispute"), {"reason": "  "})
    assert response.status_code == 400
    assert fresh(resolved).status == Status.RESOLVED
    run_now(tasks.notify_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page_url(resolved, "public:ticket_dispute"), {"reason": "Only half refunded."})
    assert response.status_code == 302
    ticket = fresh(resolved)
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.events.filter(kind=EventKind.DISPUTED, reason="Only half refunded.").exists()
    assert sorted(r for m in mail.outbox for r in m.to) == ["lead@staff.example.com", "mei@staff.example.com"]
    assert "Only half refunded." in client.get(page_url(resolved)).content.decode()


def test_confirming_when_nothing_awaits_confirmation_is_refused_clearly(client, worked):
    response = client.post(page_url(worked, "public:ticket_confirm"))
    assert response.status_code == 409
    assert "no resolution waiting" in response.content.decode()
    assert fresh(worked).status == worked.status


def test_reroute_request_is_recorded_and_the_team_lead_is_told(
    client, worked, run_now, django_capture_on_commit_callbacks
):
    run_now(tasks.notify_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            page_url(worked, "public:ticket_reroute"), {"reason": "This is a network problem, not billing."}
        )
    assert response.status_code == 302
    ticket = fresh(worked)
    assert ticket.team.slug == "billing" and ticket.status == worked.status  # the lead decides
    event = ticket.events.get(kind=EventKind.REROUTE_REQUESTED)
    assert event.reason == "This is a network problem, not billing." and event.from_value == "billing"
    assert [m.to for m in mail.outbox] == [["lead@staff.example.com"]]
    assert (
        "You asked for your complaint to be handled by another team"
        in client.get(page_url(worked)).content.decode()
    )


def test_closed_tickets_take_no_reply_or_reroute(client, worked):
    services.transition(ticket_id=worked.pk, actor=None, to=Status.CLOSED, version=None, reason="withdrawn")
    response = client.post(page_url(worked, "public:ticket_reply"), {"body": "hello again"})
    assert response.status_code == 400
    assert "This complaint is closed" in response.content.decode()
    response = client.post(page_url(worked, "public:ticket_reroute"), {"reason": "other team"})
    assert response.status_code == 409
    assert not fresh(worked).messages.filter(kind=Message.Kind.CUSTOMER).exists()


def test_customer_posts_need_csrf(worked):
    client = Client(enforce_csrf_checks=True)
    response = client.post(page_url(worked, "public:ticket_reply"), {"body": "hi"})
    assert response.status_code == 403
    assert not fresh(worked).messages.filter(kind=Message.Kind.CUSTOMER).exists()


def test_customer_posts_are_rate_limited(client, worked, settings):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "CUSTOMER_POSTS_PER_WINDOW": 2}
    for n in range(2):
        assert client.post(page_url(worked, "public:ticket_reply"), {"body": f"msg {n}"}).status_code == 302
    response = client.post(page_url(worked, "public:ticket_reply"), {"body": "one too many"})
    assert response.status_code == 429
    assert "try again later" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert fresh(worked).messages.filter(kind=Message.Kind.CUSTOMER).count() == 2


def test_page_speaks_the_customers_language_and_remembers_a_new_choice(client, worked):
    assert worked.customer.preferred_language == "en"
    response = client.get(page_url(worked), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Content-Language"] == "en"  # remembered language wins over the browser's
    client.post(reverse("set_language"), {"language": "zh-hans", "next": page_url(worked)})
    response = client.get(page_url(worked))
    assert response["Content-Language"] == "zh-hans"
    client.post(page_url(worked, "public:ticket_reply"), {"body": "我补充一下"})
    assert fresh(worked).customer.preferred_language == "zh-hans"


def test_page_costs_the_same_queries_however_long_the_conversation(client, worked, staffed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _team, agent, _lead = staffed

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_url(worked)).status_code == 200
        return len(queries)

    before = count()
    for n in range(5):
        services.add_message(
            ticket_id=worked.pk,
            actor=agent,
            kind=Message.Kind.REPLY,
            body=f"update {n}",
            files=attachments.check_uploads([png(f"p{n}.png")]),
        )
        services.add_message(ticket_id=worked.pk, actor=None, kind=Message.Kind.CUSTOMER, body=f"answer {n}")
    assert count() == before


@pytest.mark.parametrize(
    ("first_name", "last_name", "shown"),
    [("芳", "王", "王芳"), ("Fang", "Wang", "Fang Wang"), ("Anna", "", "Anna"), ("", "", "Agent")],
)
def test_the_handler_is_named_as_their_culture_writes_the_name(client, staffed, first_name, last_name, shown):
    _team, agent, _lead = staffed
    agent.first_name, agent.last_name = first_name, last_name
    agent.save(update_fields=["first_name", "last_name"])
    ticket = open_complaint()
    services.reroute(ticket_id=ticket.pk, actor=None, team=_team, version=None, reason="billing issue")
    services.assign(ticket_id=ticket.pk, actor=agent, assignee=agent, version=None)

    html = client.get(page_url(ticket)).content.decode()

    assert f"Handled by: {shown}<" in html


def steps_shown(html: str) -> list[tuple[str, str]]:
    """(state, label) of every step of the progress bar, in order."""
    found = re.findall(r'<li class="step (\w+)"[^>]*>(.*?)</li>', html, re.S)
    return [(state, re.sub(r"<[^>]+>[^<]*</span>", "", label).strip()) for state, label in found]


def test_progress_never_ticks_waiting_for_you_on_a_ticket_that_never_waited(client, worked, staffed):
    _team, agent, _lead = staffed
    services.transition(ticket_id=worked.pk, actor=agent, to=Status.IN_PROGRESS, version=None)
    services.resolve(
        ticket_id=worked.pk,
        actor=agent,
        version=None,
        root_cause=RootCauseFactory(),
        steps_taken="Refunded.",
        remedy=Resolution.Remedy.REFUND,
        amount="10.00",
    )
    steps = steps_shown(client.get(page_url(worked)).content.decode())
    assert steps == [
        ("done", "Received"),
        ("done", "Confirmed"),
        ("done", "In progress"),
        ("current", "Resolved"),
        ("todo", "Closed"),
    ]


def test_progress_shows_waiting_for_you_only_while_we_wait(client, worked, staffed):
    _team, agent, _lead = staffed
    services.await_customer(ticket_id=worked.pk, actor=agent, version=None, reason="need the bank slip")
    steps = steps_shown(client.get(page_url(worked)).content.decode())
    assert ("current", "Waiting for you") in steps and len(steps) == 6
    services.add_message(
        ticket_id=worked.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Here is the bank slip."
    )
    steps = steps_shown(client.get(page_url(worked)).content.decode())
    assert [label for _state, label in steps] == [
        "Received",
        "Confirmed",
        "In progress",
        "Resolved",
        "Closed",
    ]
    assert ("current", "In progress") in steps


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("channel", [Ticket.Channel.PHONE, Ticket.Channel.API])
def test_description_repeated_as_the_first_message_shows_once(client, db, channel):
    """Tickets carrying their description as a first customer message too (imports, the demo data, some
    integrations) show it once, with that message's files beside it."""
    ticket = services.open_ticket(
        actor=None,
        channel=channel,
        customer=services.CustomerDetails(name="李雷", phone="13800138000", language="en"),
        subject="Line dead",
        description="The landline has been dead since Monday.",
    ).ticket
    repeat = Message.objects.create(
        ticket=ticket,
        kind=Message.Kind.CUSTOMER,
        channel=channel,
        body="The landline has been dead since Monday.",
    )
    evidence = Attachment(
        ticket=ticket, message=repeat, original_name="line.png", content_type="image/png", size=len(PNG)
    )
    evidence.file.save("line.png", ContentFile(PNG))
    services.add_message(
        ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Still dead today."
    )
    html = client.get(page_url(ticket)).content.decode()
    assert visible_text(html).count("The landline has been dead since Monday.") == 1
    assert "Still dead today." in html
    # The folded message's file is listed with the description, downloadable as before.
    assert html.count("line.png") == 1
    assert client.get(page_url(ticket, "public:ticket_attachment", evidence.pk)).status_code == 200


def test_a_later_message_with_the_same_words_still_shows(client, worked):
    """Only the opening repeat is folded: the customer writing the same words again is a new message."""
    services.add_message(
        ticket_id=worked.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Something else first."
    )
    services.add_message(ticket_id=worked.pk, actor=None, kind=Message.Kind.CUSTOMER, body=worked.description)
    html = visible_text(client.get(page_url(worked)).content.decode())
    assert html.count(worked.description) == 2
