"""Issue 15 item 2: markup a customer typed never runs on a page, whatever path stored it.

Bodies are sanitised at the one function that writes messages, and templates never mark user text
safe without a sanitiser in between (the `message_html` filter cleans again at display).
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from channels_intake.tokens import ticket_token
from complaints import services
from complaints.models import Message, Ticket
from complaints.services import CustomerDetails
from tests.factories import SupervisorFactory

from .helpers import DESCRIPTION, SUBJECT, VICTIM_EMAIL, victim_ticket

SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
LINKS = '<a href="javascript:alert(1)">click</a> <a href="data:text/html,<script>alert(2)</script>">data</a>'


def live_markup(html: str) -> list[str]:
    """Every piece of markup in `html` that would run: script elements, event handlers, js/data links."""
    found = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>\s*alert", html, re.I)
    found += re.findall(r"<img[^>]*\bonerror\s*=", html, re.I)
    found += re.findall(r"""href\s*=\s*["']?\s*(?:javascript|data):""", html, re.I)
    return found


def customer_page(client, ticket: Ticket) -> str:
    response = client.get(reverse("public:ticket", args=[ticket_token(ticket)]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_a_repeat_folded_from_a_scripted_subject_is_stored_and_shown_without_markup(client):
    ticket = victim_ticket()
    folded = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=CustomerDetails(name="Alice Zhang", email=VICTIM_EMAIL),
        subject=f"{SCRIPT}{IMG}{SUBJECT}",
        description=DESCRIPTION,
    )
    assert folded.is_repeat and folded.ticket.pk == ticket.pk
    body = Message.objects.get(ticket=ticket).body
    assert "<script" not in body and "onerror" not in body
    assert SUBJECT in body
    assert live_markup(customer_page(client, ticket)) == []


@pytest.mark.django_db
def test_a_merge_copies_the_source_subject_without_markup(client):
    target = victim_ticket()
    source = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.EMAIL,
        customer=CustomerDetails(email=VICTIM_EMAIL),
        subject=f"{SCRIPT}{IMG} something else entirely",
        description="A second, unrelated problem with the invoice layout.",
    ).ticket
    assert source.pk != target.pk
    services.merge(source_id=source.pk, target_id=target.pk, actor=SupervisorFactory())
    copied = Message.objects.get(ticket=target)
    assert "<script" not in copied.body and "onerror" not in copied.body
    assert live_markup(customer_page(client, target)) == []


@pytest.mark.django_db
def test_every_message_kind_is_sanitised_when_written(agent):
    ticket = victim_ticket()
    for kind in (Message.Kind.CUSTOMER, Message.Kind.REPLY, Message.Kind.NOTE):
        message = services.add_message(
            ticket_id=ticket.pk, actor=agent, kind=kind, body=f"{SCRIPT}{IMG}{LINKS} ok"
        )
        assert live_markup(message.body) == [] and "ok" in message.body


@pytest.mark.django_db
def test_a_body_stored_before_the_rule_still_shows_as_harmless_text(client, settings, supervisor):
    """A row written raw (before sanitising at the write, or by a path that missed it) cannot run."""
    ticket = victim_ticket()
    Message.objects.create(
        ticket=ticket, kind=Message.Kind.REPLY, channel=ticket.channel, body=f"{SCRIPT}{IMG}{LINKS} legacy"
    )
    Ticket.objects.filter(pk=ticket.pk).update(description=f"{SCRIPT}{IMG} old description")
    page = customer_page(client, ticket)
    assert live_markup(page) == [] and "legacy" in page and "old description" in page

    client.force_login(supervisor)
    desk = client.get(reverse("desk:ticket", args=[ticket.reference]))
    assert desk.status_code == 200
    assert live_markup(desk.content.decode()) == []


@pytest.mark.django_db
def test_fields_shown_as_typed_are_escaped_on_the_customer_page_desk_and_admin(client, supervisor):
    ticket = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=CustomerDetails(name=f"N{SCRIPT}", email="mallory@example.com"),
        subject=f"S{SCRIPT}{IMG}",
        description="Plain description",
        desired_outcome=f"O{SCRIPT}{IMG}",
        order_number=f"X{IMG}",
    ).ticket
    page = customer_page(client, ticket)
    assert live_markup(page) == []
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in page  # the subject, as text

    client.force_login(supervisor)
    for url in (
        reverse("desk:ticket", args=[ticket.reference]),
        reverse("admin:complaints_ticket_change", args=[ticket.pk]),
        reverse("admin:complaints_ticket_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert live_markup(response.content.decode()) == [], url


def test_no_template_marks_user_text_safe():
    """`|safe` only on text we wrote (Django's password help); stored bodies go through message_html."""
    allowed = {("registration/password_reset_confirm.html", "field.help_text|safe")}
    found = set()
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        name = path.relative_to(Path(settings.BASE_DIR, "templates")).as_posix()
        for match in re.finditer(r"\{\{\s*([^}]*\|\s*safe\b[^}]*)\}\}", path.read_text()):
            found.add((name, match.group(1).strip()))
    assert found <= allowed, found - allowed
