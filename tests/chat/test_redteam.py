"""Red-team findings on the live chat (F3 blocks on open sockets, F4 the full origin, F5 a claimed
contact, F6 the flood limit across connections) and the chat replies not mailed while it is live."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels_intake.models import OutboundMessage
from chat import selectors, services
from chat.models import Chat, ChatBlock
from chat.tokens import chat_token
from complaints import services as complaint_services
from complaints.models import Customer, Message
from config.asgi import application
from tests.factories import TicketFactory

from .conftest import start
from .test_consumers import agent_socket, customer, next_of, run
from .test_pages import png

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    settings.SITE_URL = "http://testserver"
    settings.DEBUG = False


def origin(value: str) -> tuple[bytes, bytes]:
    return (b"origin", value.encode())


# --- F4: the origin is scheme, host and port ------------------------------------------------


def test_only_the_sites_own_origin_opens_the_agent_console(topic, chat_agent, settings):
    settings.CHAT = {**settings.CHAT, "EMBED_ORIGINS": ["https://shop.example"]}
    cookie = dict(agent_socket(chat_agent, settings).scope["headers"])[b"cookie"]

    async def opens(value: str) -> bool:
        comm = WebsocketCommunicator(
            application, "/ws/desk/chat/", headers=[origin(value), (b"cookie", cookie)]
        )
        connected, _ = await comm.connect()
        if connected:
            await comm.disconnect()
        return connected

    async def go():
        assert await opens("http://testserver")
        # Another port or scheme of the desk's host, another allowed host, and an embedding site: refused.
        for other in (
            "http://testserver:9999",
            "https://testserver",
            "http://localhost",
            "https://shop.example",
        ):
            assert not await opens(other), other

    run(go)


def test_the_customer_socket_takes_our_origin_and_the_embedding_sites_only(topic, settings):
    settings.CHAT = {**settings.CHAT, "EMBED_ORIGINS": ["https://shop.example"]}
    chat = start(topic)

    async def opens(value: str) -> bool:
        comm = customer(chat, origin=origin(value))
        connected, _ = await comm.connect()
        if connected:
            await comm.disconnect()
        return connected

    async def go():
        assert await opens("http://testserver")
        assert await opens("https://shop.example")
        for other in ("http://testserver:9999", "https://shop.example:8443", "http://shop.example", "null"):
            assert not await opens(other), other

    run(go)


def test_with_debug_the_requests_own_host_and_scheme_is_allowed(topic, settings):
    settings.DEBUG = True
    chat = start(topic)

    async def opens(value: str, host: str) -> bool:
        comm = WebsocketCommunicator(
            application, f"/ws/chat/{chat_token(chat)}/", headers=[origin(value), (b"host", host.encode())]
        )
        connected, _ = await comm.connect()
        if connected:
            await comm.disconnect()
        return connected

    async def go():
        assert await opens("http://127.0.0.1:8123", "127.0.0.1:8123")
        assert not await opens("http://127.0.0.1:9999", "127.0.0.1:8123")
        assert not await opens("https://127.0.0.1:8123", "127.0.0.1:8123")

    run(go)


# --- F3: a block holds on an open socket -----------------------------------------------------


def test_a_block_closes_the_open_socket_of_the_chat(topic):
    chat = start(topic)

    async def go():
        comm = customer(chat)
        assert (await comm.connect())[0]
        await comm.receive_json_from()
        await database_sync_to_async(ChatBlock.objects.create)(customer=chat.customer, reason="abuse")
        error = await next_of(comm, "error")
        assert error["code"] == "blocked" and error["message"]
        assert (await comm.receive_output(timeout=3))["code"] == 4403

    run(go)


def test_a_message_on_a_socket_opened_before_the_block_is_refused(topic):
    chat = start(topic)

    async def go():
        comm = customer(chat)
        assert (await comm.connect())[0]
        await comm.receive_json_from()
        await comm.send_json_to({"type": "message", "client_id": "before", "text": "hello"})
        await next_of(comm, "ack")
        # bulk_create sends no post_save: only the check on each message can stop this one.
        await database_sync_to_async(ChatBlock.objects.bulk_create)(
            [ChatBlock(customer=chat.customer, reason="abuse")]
        )
        await comm.send_json_to({"type": "message", "client_id": "after", "text": "after block"})
        error = await next_of(comm, "error")
        assert error["code"] == "blocked" and error["client_id"] == "after"
        assert (await comm.receive_output(timeout=3))["code"] == 4403

    run(go)
    assert not Message.objects.filter(external_id__endswith=":c:after").exists()
    with pytest.raises(services.ChatRefused):
        services.customer_says(chat_id=chat.pk, client_id="svc", text="still here")


def test_an_upload_of_a_blocked_customer_is_refused_with_403_json(client, topic):
    chat = start(topic)
    services.customer_says(chat_id=chat.pk, client_id="c1", text="Here is the bill")
    ChatBlock.objects.create(ip="10.0.0.9", reason="abuse")
    url = reverse("chat:upload", args=[chat_token(chat)])
    response = client.post(url, {"client_id": "img", "file": SimpleUploadedFile("bill.png", png())})
    assert response.status_code == 403
    assert response.json()["code"] == "blocked"
    assert not Message.objects.filter(external_id__endswith=":c:img").exists()


# --- F6: the flood limit is per chat and per address, across connections --------------------


def test_the_message_limit_holds_across_connections_of_a_chat(topic, settings):
    settings.CHAT = {**settings.CHAT, "MESSAGES_PER_10S": 3}
    chat = start(topic)

    async def go():
        first, second = customer(chat), customer(chat)
        for comm in (first, second):
            assert (await comm.connect())[0]
            await comm.receive_json_from()
        codes = []
        for n, comm in enumerate([first, second, first, second]):
            await comm.send_json_to({"type": "message", "client_id": f"m{n}", "text": f"hello {n}"})
            event = await comm.receive_json_from()
            while event["type"] not in ("ack", "error"):
                event = await comm.receive_json_from()
            codes.append(event.get("code", event["type"]))
        assert codes == ["ack", "ack", "ack", "rate_limited"]
        for comm in (first, second):
            await comm.disconnect()

    run(go)


def test_the_message_limit_holds_per_address_across_chats(topic, settings):
    settings.CHAT = {**settings.CHAT, "MESSAGES_PER_10S": 10, "MESSAGES_PER_IP_PER_10S": 2}
    one, two = start(topic), start(topic, email="two@example.com")

    async def go():
        codes = []
        for n, chat in enumerate([one, two, one]):
            comm = customer(chat)
            assert (await comm.connect())[0]
            await comm.receive_json_from()
            await comm.send_json_to({"type": "message", "client_id": f"m{n}", "text": "hi"})
            event = await comm.receive_json_from()
            while event["type"] not in ("ack", "error"):
                event = await comm.receive_json_from()
            codes.append(event.get("code", event["type"]))
            await comm.disconnect()
        assert codes == ["ack", "ack", "rate_limited"]

    run(go)


def test_at_most_three_sockets_are_open_on_a_chat(topic):
    chat = start(topic)

    async def go():
        open_ = []
        for _ in range(3):
            comm = customer(chat)
            assert (await comm.connect())[0]
            open_.append(comm)
        fourth = customer(chat)
        connected, code = await fourth.connect()
        assert not connected and code == 4429
        await open_.pop().disconnect()
        again = customer(chat)
        assert (await again.connect())[0]
        for comm in [*open_, again]:
            await comm.disconnect()

    run(go)


# --- F5: a claimed contact is not proof of identity ------------------------------------------


def test_a_claimed_contact_shows_only_the_typed_name_and_is_marked_unverified(topic, chat_team, chat_agent):
    victim = Customer.objects.create(name="林小红", email="victim@example.com")
    TicketFactory(customer=victim, subject="Refund for order 778812", team=chat_team)
    chat = start(topic, name="attacker", email="victim@example.com")
    assert chat.customer_id == victim.pk and chat.contact_claimed

    async def go():
        comm = customer(chat)
        assert (await comm.connect())[0]
        hello = await comm.receive_json_from()
        assert hello["customer"] == "attacker"
        assert "林" not in repr(hello) and "contact_verified" not in hello
        await comm.send_json_to({"type": "message", "client_id": "c1", "text": "my order?"})
        state = await next_of(comm, "state")
        assert state["customer"] == "attacker"
        await comm.disconnect()

    run(go)
    chat.refresh_from_db()
    services.accept(chat_id=chat.pk, agent=chat_agent)
    console = selectors.agent_chat(chat.pk, chat_agent)
    assert console["contact_verified"] is False
    assert console["open_tickets"] and all(t["subject"] == "" for t in console["open_tickets"])
    assert "778812" not in repr(console) and "林" not in repr(console)


def test_a_new_customer_is_shown_as_typed_and_not_marked(topic, chat_agent):
    chat = start(topic, name="王芳", email="new@example.com")
    assert not chat.contact_claimed
    services.customer_says(chat_id=chat.pk, client_id="c1", text="hello")
    services.accept(chat_id=chat.pk, agent=chat_agent)
    console = selectors.agent_chat(chat.pk, chat_agent)
    assert console["contact_verified"] is True and console["customer"] == "王芳"


def test_the_console_page_carries_the_unverified_mark_in_both_languages(client, chat_agent):
    client.force_login(chat_agent)
    english = client.get("/desk/chat/", headers={"accept-language": "en"})
    assert b"contact given in chat, not verified" in english.content
    chinese = client.get("/desk/chat/", headers={"accept-language": "zh-hans"})
    assert "聊天中提供的联系方式，未经核实" in chinese.content.decode()


# --- replies typed in the live chat are not mailed as well ----------------------------------


def test_live_chat_replies_are_not_mailed_but_replies_after_the_end_are(topic, chat_agent):
    chat = start(topic, email="mail@example.com")
    services.customer_says(chat_id=chat.pk, client_id="c1", text="hello")
    services.accept(chat_id=chat.pk, agent=chat_agent)
    services.agent_says(chat_id=chat.pk, agent=chat_agent, client_id="a1", text="Let me check.")
    replies = OutboundMessage.objects.filter(purpose=OutboundMessage.Purpose.REPLY)
    assert not replies.exists()
    services.end_chat(chat_id=chat.pk)
    chat = Chat.objects.get(pk=chat.pk)
    later = complaint_services.add_message(
        ticket_id=chat.ticket_id, actor=chat_agent, kind=Message.Kind.REPLY, body="The refund is on its way."
    )
    assert list(replies.values_list("message_id", "recipient")) == [(later.pk, "mail@example.com")]
