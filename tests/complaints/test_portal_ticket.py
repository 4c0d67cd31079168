"""The ticket workspace: what it shows, who may see it, the audited reveal, evidence files, next ticket."""

import pytest
from django.core.files.base import ContentFile

from complaints.models import Attachment, CannedReply, KBArticle, Message, PiiAccess
from tests.complaints.portal_helpers import HTMX
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    SupervisorFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def ticket(team, agent):
    customer = CustomerFactory(name="张伟", email="zhang.wei@example.com", phone="13812341234")
    return TicketFactory(
        team=team, assignee=agent, customer=customer, language="en", subject="Broadband down"
    )


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def url(ticket, suffix: str = "") -> str:
    return f"/desk/tickets/{ticket.reference}/{suffix}"


def test_workspace_shows_the_ticket_with_masked_contact(signed_in, ticket):
    html = signed_in.get(url(ticket)).content.decode()
    assert ticket.reference in html
    assert "Broadband down" in html
    assert "138****1234" in html
    assert "z***@example.com" in html
    assert "13812341234" not in html
    assert "zhang.wei@example.com" not in html
    assert "/intake/phone/?ticket=" + ticket.reference in html


def test_another_teams_ticket_is_not_found(client, ticket):
    client.force_login(AgentFactory(team=TeamFactory(slug="legal")))
    for path in ["", "version/", "merge-candidates/"]:
        assert client.get(url(ticket, path)).status_code == 404, path
    assert client.post(url(ticket, "actions/note/"), {"note-version": 1, "note-body": "x"}).status_code == 404
    assert not Message.objects.exists()


def test_the_assignee_sees_a_ticket_of_another_team(client, ticket):
    outsider = AgentFactory(team=TeamFactory(slug="legal"))
    ticket.assignee = outsider
    ticket.save(update_fields=["assignee"])
    client.force_login(outsider)
    assert client.get(url(ticket)).status_code == 200


def test_supervisors_see_every_ticket(client, ticket):
    client.force_login(SupervisorFactory())
    assert client.get(url(ticket)).status_code == 200


@pytest.mark.parametrize("path", ["", "version/", "merge-candidates/"])
def test_pages_need_sign_in_and_permissions(client, ticket, path):
    assert client.get(url(ticket, path)).status_code == 302
    client.force_login(UserFactory())
    assert client.get(url(ticket, path)).status_code == 403


def test_an_agent_cannot_reveal_contact_data(signed_in, ticket):
    html = signed_in.get(url(ticket)).content.decode()
    assert "Reveal contact" not in html
    assert signed_in.post(url(ticket, "reveal/")).status_code == 403
    assert not PiiAccess.objects.exists()


def test_a_supervisor_reveal_is_audited(client, ticket):
    supervisor = SupervisorFactory()
    client.force_login(supervisor)
    assert "Reveal contact (audited)" in client.get(url(ticket)).content.decode()

    response = client.post(url(ticket, "reveal/"), **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="customer"')
    assert "13812341234" in html and "zhang.wei@example.com" in html and "张伟" in html
    access = PiiAccess.objects.get()
    assert (access.user, access.customer, access.ticket) == (supervisor, ticket.customer, ticket)
    assert access.fields == "name,email,phone"


def test_reveal_without_javascript_shows_the_whole_page(client, ticket):
    client.force_login(SupervisorFactory())
    response = client.post(url(ticket, "reveal/"))
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert "13812341234" in response.content.decode()
    assert PiiAccess.objects.count() == 1


def test_timeline_shows_messages_notes_and_events(signed_in, ticket, agent):
    from complaints import services

    services.add_message(ticket_id=ticket.pk, actor=None, kind="customer", body="Still no internet")
    services.add_message(ticket_id=ticket.pk, actor=agent, kind="note", body="Checked the line")
    services.escalate(ticket_id=ticket.pk, actor=agent, version=None, reason="Third day")
    html = signed_in.get(url(ticket)).content.decode()
    assert 'class="message message-customer"' in html
    assert 'class="message message-note"' in html
    assert "Third day" in html
    assert html.index("Still no internet") < html.index("Checked the line") < html.index("Third day")


def test_canned_replies_and_articles_in_the_customers_language(signed_in, ticket, team):
    CannedReply.objects.create(title="Apology EN", language="en", body="We are sorry.", team=team)
    CannedReply.objects.create(title="道歉", language="zh-hans", body="非常抱歉。")
    KBArticle.objects.create(
        slug="reset", title_zh="重置", title_en="Reset", body_zh="重启光猫", body_en="Restart the modem"
    )
    html = signed_in.get(url(ticket)).content.decode()
    assert "Apology EN" in html and 'data-text="We are sorry."' in html
    assert "道歉" not in html
    assert 'data-text="Restart the modem"' in html
    assert "重启光猫" not in html


def test_insert_without_javascript_prefills_the_reply(signed_in, ticket):
    canned = CannedReply.objects.create(title="Apology", language="en", body="We are sorry for the outage.")
    html = signed_in.get(url(ticket), {"insert": f"canned-{canned.pk}"}).content.decode()
    assert "We are sorry for the outage.</textarea>" in html


def test_sla_countdown(signed_in, ticket):
    from datetime import timedelta

    from django.utils import timezone

    ticket.sla_due_at = timezone.now() + timedelta(hours=2, minutes=5)
    ticket.sla_state = "at_risk"
    ticket.save(update_fields=["sla_due_at", "sla_state"])
    html = signed_in.get(url(ticket)).content.decode()
    assert "Due in 2\xa0hours" in html


def _attachment(ticket, name: str, content_type: str, data: bytes) -> Attachment:
    item = Attachment(
        ticket=ticket, original_name=name, content_type=content_type, size=len(data), sha256="0" * 64
    )
    item.file.save(name, ContentFile(data), save=False)
    item.save()
    return item


def test_images_are_previewed_inline_and_other_files_downloaded(signed_in, ticket):
    image = _attachment(ticket, "photo.png", "image/png", PNG)
    document = _attachment(ticket, "bill.pdf", "application/pdf", b"%PDF-1.4")
    html = signed_in.get(url(ticket)).content.decode()
    assert f'<img src="/desk/attachments/{image.pk}/"' in html

    shown = signed_in.get(f"/desk/attachments/{image.pk}/")
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline")
    assert b"".join(shown.streaming_content) == PNG

    downloaded = signed_in.get(f"/desk/attachments/{document.pk}/")
    assert downloaded["Content-Type"] == "application/octet-stream"
    assert downloaded["Content-Disposition"].startswith("attachment")


def test_attachments_of_another_teams_ticket_are_not_found(client, ticket):
    item = _attachment(ticket, "photo.png", "image/png", PNG)
    client.force_login(AgentFactory(team=TeamFactory(slug="legal")))
    assert client.get(f"/desk/attachments/{item.pk}/").status_code == 404


def test_next_ticket_opens_the_most_urgent_other_ticket(signed_in, agent, team, ticket):
    from datetime import timedelta

    from django.utils import timezone

    urgent = TicketFactory(team=team, assignee=agent, sla_due_at=timezone.now() + timedelta(minutes=10))
    response = signed_in.get("/desk/next/", {"after": urgent.reference})
    assert response["Location"] == url(ticket)
    response = signed_in.get("/desk/next/", {"after": ticket.reference})
    assert response["Location"] == url(urgent)


def test_next_ticket_with_nothing_waiting_returns_to_the_queue(client, team):
    client.force_login(AgentFactory(team=team))
    response = client.get("/desk/next/", follow=True)
    assert "Nothing else is waiting for you." in response.content.decode()


def test_workspace_query_count_does_not_grow_with_the_timeline(
    signed_in, ticket, agent, django_assert_max_num_queries
):
    from complaints import services

    for n in range(15):
        services.add_message(ticket_id=ticket.pk, actor=agent, kind="note", body=f"note {n}")
    with django_assert_max_num_queries(23):
        assert signed_in.get(url(ticket)).status_code == 200


# --- the timeline in words ----------------------------------------------------------------------


def _timeline(html: str) -> str:
    import re

    section = html[
        html.index('<section id="timeline">') : html.index(
            "</section>", html.index('<section id="timeline">')
        )
    ]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", section))


@pytest.mark.parametrize(
    ("language", "words", "codes"),
    [
        (
            "en",
            [
                "Status changed: Resolved → In progress",
                "Re-routed: Customer service → Technical",
                "Opened: Web form",
                "Reclassified: Category: Billing → Network; Priority: P3 – normal → P1 – urgent",
                "First reply to the customer.",
                "Escalated: level 0 → level 1",
            ],
            ["resolved →", "→ technical", "in_progress", "billing-x"],
        ),
        (
            "zh-hans",
            ["首次回复客户", "技术部"],
            ["resolved →", "→ technical", "First reply to the customer."],
        ),
    ],
)
def test_the_timeline_reads_in_words_in_the_readers_language(client, settings, language, words, codes):
    from complaints import services
    from complaints.events import EventKind, SystemReason
    from complaints.models import TicketEvent
    from tests.factories import CategoryFactory

    settings.LANGUAGE_CODE = language
    team = TeamFactory(slug="customer-service", name_zh="客服部", name_en="Customer service")
    technical = TeamFactory(slug="technical", name_zh="技术部", name_en="Technical")
    supervisor = SupervisorFactory()
    billing = CategoryFactory(slug="billing-x", name_en="Billing", name_zh="账单")
    network = CategoryFactory(slug="network-x", name_en="Network", name_zh="网络")
    ticket = TicketFactory(team=team, category=billing, priority=3, language="en")
    TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.OPENED, to_value="new", detail={"channel": "web"}
    )
    services.add_message(ticket_id=ticket.pk, actor=supervisor, kind=Message.Kind.REPLY, body="Hello")
    services.reclassify(ticket_id=ticket.pk, actor=supervisor, version=None, priority=1, category=network)
    services.escalate(ticket_id=ticket.pk, actor=supervisor, version=None, reason="VIP")
    TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.STATUS_CHANGED, from_value="resolved", to_value="in_progress"
    )
    services.reroute(ticket_id=ticket.pk, actor=supervisor, team=technical, version=None, reason="Line fault")
    event = ticket.events.get(kind=EventKind.STATUS_CHANGED, reason_code=SystemReason.FIRST_REPLY)
    assert event.reason == ""  # stored as a code, put into words when read
    client.force_login(supervisor)
    text = _timeline(client.get(url(ticket), HTTP_ACCEPT_LANGUAGE=language).content.decode())
    for expected in words:
        assert expected in text, (expected, text)
    for code in codes:
        assert code not in text, (code, text)


def test_message_headings_name_the_author_and_only_a_customers_channel(signed_in, ticket, agent):
    from complaints import services

    agent.first_name, agent.last_name = "芳", "王"
    agent.save()
    services.add_message(
        ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Any news?", channel="api"
    )
    services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="Checking now")
    text = _timeline(signed_in.get(url(ticket)).content.decode())
    assert "From the customer · via API" in text
    assert "Public reply · 王芳 ·" in text
    assert "· ·" not in text


def test_a_merges_system_reason_reads_in_each_readers_language(client, settings, team):
    from complaints import services
    from complaints.events import EventKind, SystemReason
    from complaints.states import Status

    supervisor = SupervisorFactory()
    customer = CustomerFactory()
    source = TicketFactory(team=team, customer=customer, language="en")
    target = TicketFactory(team=team, customer=customer)
    services.merge(source_id=source.pk, target_id=target.pk, actor=supervisor)
    closed = source.events.get(kind=EventKind.STATUS_CHANGED, to_value=Status.CLOSED)
    assert (closed.reason, closed.reason_code, closed.reason_params) == (
        "",
        SystemReason.MERGED_INTO,
        {"ref": target.reference},
    )
    client.force_login(supervisor)
    for language, words in (("en", f"Merged into {target.reference}"), ("zh-hans", "合并")):
        settings.LANGUAGE_CODE = language
        text = _timeline(client.get(url(source), HTTP_ACCEPT_LANGUAGE=language).content.decode())
        assert words in text, (language, text)
