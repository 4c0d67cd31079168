"""The chat's WebSocket ends through the real ASGI stack (origin check, session, routing), with
channels' WebsocketCommunicator and the in-memory layer."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from chat import services
from chat.models import AgentPresence, Chat, ChatBlock
from chat.tokens import chat_token
from complaints.models import Message, Ticket
from config.asgi import application
from tests.factories import AgentFactory

from .conftest import start

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SITE_URL = "http://testserver"


def run(coro_fn):
    return async_to_sync(coro_fn)()


def customer(chat, origin=ORIGIN):
    return WebsocketCommunicator(application, f"/ws/chat/{chat_token(chat)}/", headers=[origin])


def agent_socket(user, settings):
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return WebsocketCommunicator(
        application, "/ws/desk/chat/", headers=[ORIGIN, (b"cookie", cookie.encode())]
    )


async def next_of(comm, kind, timeout=3):
    """The next event of this type (others on the way are skipped)."""
    while True:
        event = await comm.receive_json_from(timeout=timeout)
        if event.get("type") == kind:
            return event


def test_a_forged_origin_is_refused(topic):
    chat = start(topic)

    async def go():
        comm = customer(chat, origin=(b"origin", b"http://evil.example"))
        connected, _ = await comm.connect()
        assert not connected

    run(go)


def test_a_forged_or_mangled_token_is_refused(topic):
    chat = start(topic)

    async def go():
        for token in ("nonsense", chat_token(chat)[:-2] + "xx"):
            comm = WebsocketCommunicator(application, f"/ws/chat/{token}/", headers=[ORIGIN])
            connected, _ = await comm.connect()
            assert not connected

    run(go)


def test_a_customer_hears_only_their_own_chat(topic):
    mine, other = start(topic), start(topic, email="other@example.com")

    async def go():
        a = customer(mine)
        assert (await a.connect())[0]
        hello = await a.receive_json_from()
        assert hello["type"] == "hello" and hello["chat"] == str(mine.public_id)
        b = customer(other)
        assert (await b.connect())[0]
        await b.receive_json_from()
        await b.send_json_to({"type": "message", "client_id": "b1", "text": "secret of the other chat"})
        await next_of(b, "ack")
        # Whatever the first connection sends, it is about its own chat only.
        await a.send_json_to({"type": "message", "client_id": "a1", "text": "mine"})
        seen = []
        while not await a.receive_nothing(timeout=0.5):
            seen.append(await a.receive_json_from())
        assert all(e.get("chat", str(mine.public_id)) == str(mine.public_id) for e in seen)
        assert "secret" not in repr(seen)
        await a.disconnect()
        await b.disconnect()

    run(go)
    assert Chat.objects.get(pk=mine.pk).ticket.description == "mine"


def test_a_resent_message_is_stored_once(topic, chat_agent):
    chat = start(topic)

    async def go():
        comm = customer(chat)
        await comm.connect()
        await comm.receive_json_from()
        for _ in range(2):
            await comm.send_json_to({"type": "message", "client_id": "c-1", "text": "My bill is wrong"})
        first, second = await next_of(comm, "ack"), await next_of(comm, "ack")
        assert first["client_id"] == second["client_id"] == "c-1"
        assert second["duplicate"] is True
        for _ in range(3):
            await comm.send_json_to({"type": "message", "client_id": "c-2", "text": "It says 300 yuan"})
        for _ in range(3):
            await next_of(comm, "ack")
        # After a reconnect the transcript has each message once.
        await comm.disconnect()
        again = customer(chat)
        await again.connect()
        hello = await again.receive_json_from()
        assert [m["client_id"] for m in hello["messages"]] == ["c-1", "c-2"]
        await again.disconnect()

    run(go)
    ticket = Ticket.objects.get(chats__pk=chat.pk)
    assert ticket.channel == "chat"
    assert ticket.description == "My bill is wrong"
    assert ticket.messages.filter(kind=Message.Kind.CUSTOMER).count() == 1


def test_floods_and_oversized_messages_are_refused(topic, settings):
    settings.CHAT = {**settings.CHAT, "MESSAGES_PER_10S": 3, "MESSAGE_MAX_CHARS": 50}
    chat = start(topic)

    async def go():
        comm = customer(chat)
        await comm.connect()
        await comm.receive_json_from()
        await comm.send_json_to({"type": "message", "client_id": "long", "text": "x" * 51})
        error = await next_of(comm, "error")
        assert error["code"] == "too_long" and error["client_id"] == "long"
        for n in range(3):
            await comm.send_json_to({"type": "message", "client_id": f"m{n}", "text": f"hello {n}"})
        refused = await next_of(comm, "error")
        assert refused["code"] == "rate_limited" and refused["client_id"] == "m2"
        await comm.disconnect()

    run(go)
    assert Chat.objects.get(pk=chat.pk).ticket.messages.count() == 1  # m0 opened it, m1 is a message


def test_connections_per_address_are_limited(topic, settings):
    settings.CHAT = {**settings.CHAT, "CONNECTIONS_PER_IP": 2}
    chat = start(topic)

    async def go():
        results = []
        for _ in range(3):
            comm = customer(chat)
            results.append((await comm.connect())[0])
            await comm.disconnect()
        assert results == [True, True, False]

    run(go)


def test_a_blocked_customer_is_refused(topic):
    chat = start(topic)
    ChatBlock.objects.create(customer=chat.customer, reason="abuse")

    async def go():
        comm = customer(chat)
        assert not (await comm.connect())[0]

    run(go)
    with pytest.raises(services.ChatRefused):
        start(topic)


def test_the_agent_socket_needs_a_desk_session(topic, settings):
    async def go():
        comm = WebsocketCommunicator(application, "/ws/desk/chat/", headers=[ORIGIN])
        assert not (await comm.connect())[0]

    run(go)


def test_customer_and_agent_talk_live(topic, chat_team, settings):
    agent = AgentFactory(team=chat_team, first_name="Wei", last_name="Li")
    AgentPresence.objects.create(user=agent, status=AgentPresence.Status.ONLINE)
    chat = start(topic)
    desk = agent_socket(agent, settings)

    async def go():
        assert (await desk.connect())[0]
        hello = await desk.receive_json_from()
        assert hello["status"] == "online"
        comm = customer(chat)
        await comm.connect()
        assert (await comm.receive_json_from())["agents_online"] is True
        await comm.send_json_to({"type": "message", "client_id": "c1", "text": "Hello, my bill"})
        await next_of(comm, "ack")
        offer = await next_of(desk, "offer")
        assert offer["chat"] == str(chat.public_id)
        await desk.send_json_to({"type": "accept", "chat": offer["chat"]})
        opened = await next_of(desk, "chat")
        assert opened["messages"][0]["text"] == "Hello, my bill"
        state = await next_of(comm, "state")
        while state["state"] != "active":
            state = await next_of(comm, "state")
        assert state["agent"] == "Wei Li" or state["agent"]
        await desk.send_json_to({"type": "typing", "chat": offer["chat"]})
        assert (await next_of(comm, "typing"))["by"] == "agent"
        await desk.send_json_to(
            {"type": "reply", "chat": offer["chat"], "client_id": "a1", "text": "Let me check."}
        )
        reply = await next_of(comm, "message")
        assert reply["from"] == "agent" and reply["text"] == "Let me check." and reply["name"]
        await desk.send_json_to(
            {"type": "note", "chat": offer["chat"], "client_id": "n1", "text": "VIP customer"}
        )
        while (await next_of(desk, "ack"))["client_id"] != "n1":
            pass
        await comm.send_json_to({"type": "end"})
        assert (await next_of(comm, "state"))["state"] == "ended"
        assert (await next_of(desk, "state"))["state"] == "ended"
        await comm.send_json_to({"type": "rate", "rating": 5})
        assert (await next_of(comm, "state"))["rating"] == 5
        # The note never reached the customer.
        again = customer(chat)
        await again.connect()
        hello = await again.receive_json_from()
        assert "VIP" not in repr(hello)
        for c in (comm, again, desk):
            await c.disconnect()

    run(go)
    chat.refresh_from_db()
    assert chat.rating == 5 and chat.agent == agent
    ticket = chat.ticket
    assert ticket.assignee == agent and ticket.first_response_at is not None
    assert list(ticket.messages.values_list("kind", flat=True)) == ["reply", "note"]


def test_no_agent_online_takes_the_message_as_a_ticket(topic):
    chat = start(topic)

    async def go():
        comm = customer(chat)
        await comm.connect()
        assert (await comm.receive_json_from())["agents_online"] is False
        await comm.send_json_to(
            {"type": "message", "client_id": "c1", "text": "Nobody there? My meter is broken."}
        )
        await next_of(comm, "ack")
        state = await next_of(comm, "state")
        assert state["state"] == "offline" and state["reference"].startswith("CMP-")
        await comm.disconnect()

    run(go)
    chat.refresh_from_db()
    assert chat.state == Chat.State.OFFLINE and chat.ticket.channel == "chat"


def test_an_offer_not_taken_goes_to_the_next_agent_and_a_dropped_agent_returns_the_chat(topic, chat_team):
    first = AgentFactory(team=chat_team)
    second = AgentFactory(team=chat_team)
    for user in (first, second):
        AgentPresence.objects.create(user=user, status=AgentPresence.Status.ONLINE, connections=1)
    chat = start(topic)
    services.customer_says(chat_id=chat.pk, client_id="c1", text="Hello")
    chat.refresh_from_db()
    offered = chat.offered_to
    assert chat.state == Chat.State.OFFERED and offered in (first, second)
    services.sweep(now=timezone.now() + timedelta(seconds=31))
    chat.refresh_from_db()
    taker = second if offered == first else first
    assert chat.offered_to == taker
    services.accept(chat_id=chat.pk, agent=taker)
    services.agent_disconnected(agent=taker)
    services.sweep(now=timezone.now() + timedelta(seconds=5))
    chat.refresh_from_db()
    assert chat.state == Chat.State.ACTIVE  # within the grace period
    services.sweep(now=timezone.now() + timedelta(seconds=31))
    chat.refresh_from_db()
    assert chat.state == Chat.State.OFFERED and chat.offered_to == offered and chat.agent is None


def test_a_chat_goes_to_the_least_busy_agent_within_capacity(topic, chat_team):
    busy, free = AgentFactory(team=chat_team), AgentFactory(team=chat_team)
    for user in (busy, free):
        AgentPresence.objects.create(user=user, status=AgentPresence.Status.ONLINE, connections=1, capacity=1)
    earlier = start(topic, email="a@example.com")
    services.customer_says(chat_id=earlier.pk, client_id="1", text="first")
    earlier.refresh_from_db()
    services.accept(chat_id=earlier.pk, agent=earlier.offered_to)
    later = start(topic, email="b@example.com")
    services.customer_says(chat_id=later.pk, client_id="1", text="second")
    later.refresh_from_db()
    assert later.offered_to != earlier.agent
    third = start(topic, email="c@example.com")
    services.customer_says(chat_id=third.pk, client_id="1", text="third")
    third.refresh_from_db()
    assert third.state == Chat.State.WAITING  # both agents are at capacity
