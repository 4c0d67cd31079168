"""The chat's HTTP side: the pre-chat form, framing, images, the console page, the admin's embed
snippet, transfer, the stats section, and hostile input."""

import io
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from chat import reports, services
from chat.models import AgentPresence, Chat
from chat.tokens import chat_token
from complaints.models import Attachment, Message, Ticket
from config.asgi import application
from tests.factories import AgentFactory, SupervisorFactory, TeamFactory

from .conftest import start

pytestmark = pytest.mark.django_db


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


def test_the_pre_chat_form_preselects_the_topic_and_is_framable(client, topic, settings):
    settings.CHAT = {**settings.CHAT, "EMBED_ORIGINS": ["https://shop.example"]}
    response = client.get("/chat/?topic=chat-billing")
    assert response.status_code == 200
    assert 'value="chat-billing" selected' in response.content.decode()
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors 'self' https://shop.example" in response.headers["Content-Security-Policy"]


def test_the_pre_chat_form_needs_a_contact_and_consent(client, topic):
    response = client.post("/chat/", {"name": "A", "topic": "chat-billing"})
    assert response.status_code == 400
    assert not Chat.objects.exists()


def test_starting_a_chat_leads_to_its_page_and_is_limited_per_address(client, topic, settings):
    settings.CHAT = {**settings.CHAT, "CHATS_PER_IP_PER_HOUR": 2}
    form = {
        "name": "<script>alert(1)</script>",
        "email": "x@example.com",
        "topic": "chat-billing",
        "consent": "on",
    }
    first = client.post("/chat/", form)
    assert first.status_code == 302 and first["Location"].startswith("/chat/c/")
    page = client.get(first["Location"])
    assert page.status_code == 200 and b"<script>alert(1)" not in page.content
    assert client.post("/chat/", form).status_code == 302
    assert client.post("/chat/", form).status_code == 429
    assert Chat.objects.count() == 2


def test_a_bad_token_is_404(client):
    assert client.get("/chat/c/forged/").status_code == 404
    assert client.post("/chat/c/forged/upload/").status_code == 404


def test_an_image_is_stored_as_the_customers_message_once(client, topic, chat_agent):
    chat = start(topic)
    services.customer_says(chat_id=chat.pk, client_id="c1", text="Here is the bill")
    url = reverse("chat:upload", args=[chat_token(chat)])
    for _ in range(2):
        response = client.post(url, {"client_id": "img-1", "file": SimpleUploadedFile("bill.png", png())})
        assert response.status_code == 200
    assert response.json()["duplicate"] is True
    message = Message.objects.get(external_id__endswith=":c:img-1")
    attachment = Attachment.objects.get(message=message)
    assert attachment.content_type == "image/png"
    image = client.get(reverse("chat:customer_file", args=[chat_token(chat), attachment.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    # Another chat's token does not open this chat's image.
    other = start(topic, email="other@example.com")
    assert (
        client.get(reverse("chat:customer_file", args=[chat_token(other), attachment.pk])).status_code == 404
    )


def test_only_images_pass_the_web_forms_checks(client, topic):
    chat = start(topic)
    url = reverse("chat:upload", args=[chat_token(chat)])
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")
    assert client.post(url, {"client_id": "x", "file": pdf}).status_code == 400
    fake = SimpleUploadedFile("a.png", b"<script>alert(1)</script>")
    assert client.post(url, {"client_id": "y", "file": fake}).status_code == 400
    assert client.post(url, {"client_id": "z"}).status_code == 400
    assert not Ticket.objects.exists()


def test_the_console_needs_a_desk_user(client, agent):
    assert client.get("/desk/chat/").status_code == 302
    client.force_login(agent)
    page = client.get("/desk/chat/")
    assert page.status_code == 200 and b"chat/console.js" in page.content
    assert b'href="/desk/chat/"' in client.get("/desk/").content


def test_the_admin_shows_the_embed_snippet(client, settings):
    client.force_login(SupervisorFactory(is_superuser=True, is_staff=True))
    page = client.get("/admin/chat/chat/").content.decode()
    assert "chat/embed.js" in page and "data-chat=" in page and "&lt;iframe" in page


def test_a_transfer_offers_the_chat_to_the_other_agent_or_team(topic, chat_team, chat_agent):
    other = AgentFactory(team=chat_team)
    AgentPresence.objects.create(user=other, status=AgentPresence.Status.ONLINE, connections=1)
    chat = start(topic)
    services.customer_says(chat_id=chat.pk, client_id="1", text="hello")
    chat.refresh_from_db()
    holder = chat.offered_to
    services.accept(chat_id=chat.pk, agent=holder)
    target = other if holder == chat_agent else chat_agent
    services.transfer(chat_id=chat.pk, agent=holder, to_agent=target)
    chat.refresh_from_db()
    assert chat.state == Chat.State.OFFERED and chat.offered_to == target and chat.agent is None
    services.accept(chat_id=chat.pk, agent=target)
    second_team = TeamFactory(slug="second-line")
    with pytest.raises(services.ChatRefused):
        services.transfer(chat_id=chat.pk, agent=holder, to_team=second_team)  # no longer theirs
    services.transfer(chat_id=chat.pk, agent=target, to_team=second_team)
    chat.refresh_from_db()
    assert chat.team == second_team and chat.state == Chat.State.WAITING  # nobody of that team online
    assert chat.ticket.team == second_team


def test_the_rating_feeds_the_stats_section(topic, chat_agent):
    chat = start(topic)
    services.customer_says(chat_id=chat.pk, client_id="1", text="hello")
    chat.refresh_from_db()
    with pytest.raises(services.ChatRefused):
        services.rate_chat(chat_id=chat.pk, rating=5)  # not ended yet
    services.end_chat(chat_id=chat.pk)
    with pytest.raises(services.ChatRefused):
        services.rate_chat(chat_id=chat.pk, rating=9)
    services.rate_chat(chat_id=chat.pk, rating=4)
    now = timezone.now()
    section = reports.chat_section(now - timedelta(days=1), now + timedelta(days=1), Ticket.objects.all())
    assert section == {"chats": 1, "taken_as_tickets": 0, "rated": 1, "csat": 100.0, "average_rating": 4.0}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_malformed_and_binary_frames_are_answered_not_fatal(topic, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SITE_URL = "http://testserver"
    chat = start(topic)

    async def go():
        comm = WebsocketCommunicator(
            application, f"/ws/chat/{chat_token(chat)}/", headers=[(b"origin", b"http://testserver")]
        )
        assert (await comm.connect())[0]
        await comm.receive_json_from()
        await comm.send_to(text_data="{not json")
        assert (await comm.receive_json_from())["code"] == "bad_frame"
        await comm.send_to(bytes_data=b"\x00\x01")
        assert (await comm.receive_json_from())["code"] == "bad_frame"
        await comm.send_to(text_data="x" * 70_000)
        assert (await comm.receive_json_from())["code"] == "bad_frame"
        await comm.send_json_to(["a list"])
        await comm.send_json_to({"type": "message", "client_id": "ok", "text": "still here"})
        assert (await comm.receive_json_from())["type"] in ("ack", "message", "state")
        await comm.disconnect()

    async_to_sync(go)()


def test_a_chat_ticket_gets_the_chat_sla_policy(topic, chat_agent):
    from sla.policies import policy_for

    chat = start(topic)
    services.customer_says(chat_id=chat.pk, client_id="1", text="Is anyone there?")
    ticket = Chat.objects.get(pk=chat.pk).ticket
    policy = policy_for(ticket)
    assert policy.match_channel == "chat" and policy.first_response_minutes == 1
    assert ticket.sla_due_at <= ticket.created_at + timedelta(minutes=1, seconds=1)


def test_an_agent_cannot_act_on_another_agents_chat(topic, chat_team, chat_agent):
    chat = start(topic)
    services.customer_says(chat_id=chat.pk, client_id="1", text="hello")
    services.accept(chat_id=chat.pk, agent=chat_agent)
    intruder = AgentFactory(team=chat_team)
    for attempt in (
        lambda: services.agent_says(chat_id=chat.pk, agent=intruder, client_id="x", text="hi"),
        lambda: services.accept(chat_id=chat.pk, agent=intruder),
        lambda: services.end_chat(chat_id=chat.pk, agent=intruder),
        lambda: services.transfer(chat_id=chat.pk, agent=intruder, to_agent=intruder),
    ):
        with pytest.raises(services.ChatRefused):
            attempt()
    assert not Message.objects.filter(kind=Message.Kind.REPLY).exists()


def test_the_sweep_task_runs_the_sweep(topic):
    from chat.tasks import sweep

    assert sweep() == 0
