"""The customers' lines stored in batches (chat/lines.py, chat/batching.py): each line checked alone,
the stored ones written together, acknowledged and delivered once committed."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chat import batching, events, lines, services
from chat.models import AgentPresence, Chat, ChatBlock
from chat.tokens import chat_token
from complaints.models import Message, TicketEvent
from config.asgi import application

from .conftest import start


@pytest.fixture
def roomy_agent(chat_agent):
    AgentPresence.objects.filter(user=chat_agent).update(capacity=20)
    return chat_agent


def open_chat(topic, agent, n: int) -> Chat:
    """A chat whose first line opened its ticket, accepted by the agent."""
    chat = start(topic, email=f"line{n}@example.com", name=f"Customer {n}")
    services.customer_says(chat_id=chat.pk, client_id="open", text=f"Hello from {n}")
    services.accept(chat_id=chat.pk, agent=agent)
    return Chat.objects.select_related("ticket").get(pk=chat.pk)


def line(chat: Chat, client_id: str, text: str = "A line", ip: str = "10.0.0.9") -> lines.Line:
    return lines.Line(chat_id=chat.pk, client_id=client_id, text=text, ip=ip, language="en")


@pytest.mark.django_db
def test_a_batch_stores_each_line_on_its_chats_ticket_and_delivers_after_the_commit(topic, roomy_agent):
    chats = [open_chat(topic, roomy_agent, n) for n in range(6)]
    with CaptureQueriesContext(connection) as two:
        lines.customer_says_many([line(chat, "a") for chat in chats[:2]])
    with CaptureQueriesContext(connection) as six:
        stored = lines.customer_says_many([line(chat, "b", f"Line of {chat.pk}") for chat in chats])
    # The chats, blocks, resends, messages, events, tickets and the SLA clocks (sla.receivers.move_clocks
    # reacts to the whole batch) are one statement each, whatever the number of lines.
    assert len(six) == len(two), [q["sql"][:80] for q in six.captured_queries]
    for chat, said in zip(chats, stored.results, strict=True):
        message = Message.objects.get(pk=said.message_id)
        assert (message.ticket_id, message.kind, message.channel) == (chat.ticket_id, "customer", "chat")
        assert message.body == f"Line of {chat.pk}" and not said.duplicate
        assert TicketEvent.objects.filter(
            ticket=chat.ticket, kind="customer_message", detail__message_id=message.pk
        )
    # Each line to its chat's sockets and to the agent's console, in order.
    groups = [group for group, _ in stored.deliveries]
    expected = []
    for chat in chats:
        expected += [events.chat_group(chat), events.agent_group(roomy_agent.pk)]
    assert groups == expected
    assert stored.deliveries[0][1]["text"] == f"Line of {chats[0].pk}"
    assert stored.deliveries[0][1]["client_id"] == "b" and stored.deliveries[0][1]["from"] == "customer"


@pytest.mark.django_db
def test_a_refused_line_is_refused_alone(topic, roomy_agent):
    good, ended, blocked = (open_chat(topic, roomy_agent, n) for n in range(3))
    services.end_chat(chat_id=ended.pk)
    ChatBlock.objects.create(customer=blocked.customer, reason="abuse")
    stored = lines.customer_says_many(
        [
            line(good, "1", "Still there?"),
            line(ended, "1"),
            line(blocked, "1"),
            line(good, "2", "<script>alert(1)</script>"),
            line(good, "", "no id"),
            line(good, "3", "x" * 5000),
            line(good, "4", "From a blocked address", ip="10.9.9.9"),
        ]
    )
    ChatBlock.objects.create(ip="10.9.9.9", reason="abuse")
    later = lines.customer_says_many([line(good, "5", ip="10.9.9.9"), line(good, "6", "Fine")])
    results = stored.results
    assert isinstance(results[0], services.Said) and isinstance(results[6], services.Said)
    assert [getattr(r, "code", None) for r in results[1:6]] == [
        "ended",
        "blocked",
        "empty",
        "no_client_id",
        "too_long",
    ]
    assert [getattr(r, "code", None) for r in later.results] == ["blocked", None]
    assert list(good.ticket.messages.order_by("pk").values_list("body", flat=True)) == [
        "Still there?",
        "From a blocked address",
        "Fine",
    ]
    assert not ended.ticket.messages.exists() and not blocked.ticket.messages.exists()


@pytest.mark.django_db
def test_a_line_sent_twice_is_stored_once(topic, roomy_agent):
    chat = open_chat(topic, roomy_agent, 0)
    first = lines.customer_says_many([line(chat, "c-1"), line(chat, "c-1"), line(chat, "open")])
    again = lines.customer_says_many([line(chat, "c-1")])
    stored, copy, opening = first.results
    assert copy.message_id == stored.message_id and copy.duplicate and not stored.duplicate
    assert opening.duplicate  # the opening line is the ticket's description
    assert again.results[0].message_id == stored.message_id and again.results[0].duplicate
    assert chat.ticket.messages.count() == 1
    assert len(first.deliveries) == 2  # the chat and the agent hear it once


@pytest.mark.django_db
def test_a_chats_first_line_in_a_batch_opens_its_ticket(topic, roomy_agent):
    chat = start(topic)
    stored = lines.customer_says_many([line(chat, "1", "My bill is wrong"), line(chat, "2", "It says 300")])
    chat.refresh_from_db()
    assert chat.ticket.description == "My bill is wrong" and chat.state == Chat.State.OFFERED
    assert list(chat.ticket.messages.values_list("body", flat=True)) == ["It says 300"]
    assert stored.results[0].message_id is None and stored.results[1].message_id is not None


@pytest.mark.django_db
def test_a_failed_batch_stores_its_lines_one_by_one(topic, roomy_agent, monkeypatch):
    chats = [open_chat(topic, roomy_agent, n) for n in range(3)]
    real = lines.customer_says_many

    def fails_when_several(batch):
        if len(batch) > 1:
            raise RuntimeError("deadlock detected")
        return real(batch)

    monkeypatch.setattr(lines, "customer_says_many", fails_when_several)
    results, deliveries = batching._store([line(chat, "x") for chat in chats])
    assert all(isinstance(r, services.Said) for r in results)
    assert Message.objects.filter(ticket__chats__in=chats, kind="customer").count() == 3
    assert len(deliveries) == 6


@pytest.mark.django_db
def test_lines_over_the_rate_are_not_stored(topic, roomy_agent, settings):
    settings.CHAT = settings.CHAT | {"MESSAGES_PER_10S": 2}
    chat = open_chat(topic, roomy_agent, 0)
    results, _ = batching._store([line(chat, str(n)) for n in range(4)])
    assert [type(r).__name__ for r in results] == ["Said", "Said", "RateLimited", "RateLimited"]
    assert results[2].retry_after > 0
    assert chat.ticket.messages.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lines_sent_at_once_on_several_sockets_are_acknowledged_and_reach_the_agent(
    topic, roomy_agent, settings
):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SITE_URL = "http://testserver"
    chats = [open_chat(topic, roomy_agent, n) for n in range(3)]
    batches: list[int] = []
    real = batching._store

    def counting(batch):
        batches.append(len(batch))
        return real(batch)

    client = Client()
    client.force_login(roomy_agent)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def go():
        origin = (b"origin", b"http://testserver")
        desk = WebsocketCommunicator(
            application, "/ws/desk/chat/", headers=[origin, (b"cookie", cookie.encode())]
        )
        assert (await desk.connect())[0]
        sockets = [
            WebsocketCommunicator(application, f"/ws/chat/{chat_token(c)}/", headers=[origin]) for c in chats
        ]
        for sock in sockets:
            assert (await sock.connect())[0]
            await sock.receive_json_from()
        await asyncio.gather(
            *(
                s.send_json_to({"type": "message", "client_id": f"m{n}", "text": f"Now {n}"})
                for n, s in enumerate(sockets)
            )
        )
        for n, sock in enumerate(sockets):
            while (event := await sock.receive_json_from(timeout=5))["type"] != "ack":
                pass
            assert event["client_id"] == f"m{n}" and event["id"]
        heard = set()
        while len(heard) < 3:
            event = await desk.receive_json_from(timeout=5)
            if event["type"] == "message":
                heard.add(event["text"])
        for comm in (*sockets, desk):
            await comm.disconnect()
        return heard

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batching, "_store", counting)
        heard = async_to_sync(go)()
    assert heard == {"Now 0", "Now 1", "Now 2"}
    assert sum(batches) == 3 and len(batches) < 3  # written together, not one transaction each
    assert Message.objects.filter(kind="customer", body__startswith="Now ").count() == 3
