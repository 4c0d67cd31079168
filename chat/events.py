"""What the connections are told, and how: one group per chat (its customer's connections) and one
per agent (their console). Sent on commit, so nothing is shown that the database does not hold."""

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from complaints.models import Message
from complaints.naming import user_name_for_customers

from .models import AgentPresence, Chat


def chat_group(chat: Chat) -> str:
    return f"chat-{chat.public_id.hex}"


def agent_group(user_id: int) -> str:
    return f"chat-agent-{user_id}"


def send_now(group: str, payload: dict[str, Any], *, agent_id: int | None = None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for name in [group] + ([agent_group(agent_id)] if agent_id and group != agent_group(agent_id) else []):
        async_to_sync(layer.group_send)(name, {"type": "chat.event", "payload": payload})


async def send_many(deliveries: list[tuple[str, dict[str, Any]]]) -> None:
    """Send (group, payload) events, one group_send per group (its payloads in order, as one
    "chat.events" the consumers unpack): a batch of lines costs a round trip per chat and agent,
    not per line and receiver."""
    layer = get_channel_layer()
    if layer is None or not deliveries:
        return
    by_group: dict[str, list[dict[str, Any]]] = {}
    for group, payload in deliveries:
        by_group.setdefault(group, []).append(payload)
    await asyncio.gather(
        *(
            layer.group_send(group, {"type": "chat.events", "payloads": payloads})
            for group, payloads in by_group.items()
        )
    )


def send_on_commit(group: str, payload: dict[str, Any], *, agent_id: int | None = None) -> None:
    transaction.on_commit(lambda: send_now(group, payload, agent_id=agent_id))


def close_blocked_on_commit(chat: Chat) -> None:
    """Tell the chat's open customer sockets that it is blocked: each says why and closes (4403)."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(chat_group(chat), {"type": "chat.blocked"})

    transaction.on_commit(send)


def _at(moment) -> str:
    return timezone.localtime(moment).isoformat()


def message(
    chat: Chat, message: Message, *, client_id: str = "", images: list[int] | None = None
) -> dict[str, Any]:
    """The message as both ends show it; `images` given (a text line: []) spares the attachments query."""
    from .selectors import plain

    if images is None:
        images = [a.pk for a in message.attachments.all() if a.content_type.startswith("image/")]

    author = (
        "customer"
        if message.kind == Message.Kind.CUSTOMER
        else "note"
        if message.kind == Message.Kind.NOTE
        else "agent"
    )
    return {
        "type": "message",
        "chat": str(chat.public_id),
        "id": message.pk,
        "client_id": client_id,
        "from": author,
        "name": user_name_for_customers(message.author) if author == "agent" else "",
        "text": plain(message.body),
        "at": _at(message.created_at),
        # Ids: the widget fetches them through its token, the console through the desk's attachment view.
        "images": images,
    }


def opening_message(chat: Chat, *, body: str, created_at, client_id: str) -> dict[str, Any]:
    return {
        "type": "message",
        "chat": str(chat.public_id),
        "id": None,
        "client_id": client_id,
        "from": "customer",
        "name": "",
        "text": body,
        "at": _at(created_at),
        "images": [],
    }


def customer_label(chat: Chat) -> str:
    """Who the chat says it is: the name typed in its form (older chats: the record's masked name,
    unless the contact was claimed)."""
    if chat.given_name or chat.contact_claimed:
        return chat.given_name
    return str(chat.customer)


def state(chat: Chat) -> dict[str, Any]:
    """The chat as the widget shows it; the reference only where the customer may see it."""
    from . import services

    return {
        "type": "state",
        "chat": str(chat.public_id),
        "state": chat.state,
        "agent": services.agent_name(chat) if chat.state == Chat.State.ACTIVE else "",
        "reference": chat.ticket.reference if chat.ticket_id and chat.reveals_ticket else "",
        "rating": chat.rating,
        # Only the name typed in this chat: the contact may have matched someone else's record.
        "customer": customer_label(chat),
        "topic": chat.topic.name if chat.topic_id else "",
    }


def offer(chat: Chat) -> dict[str, Any]:
    return {
        "type": "offer",
        "chat": str(chat.public_id),
        "customer": customer_label(chat),
        "contact_verified": not chat.contact_claimed,
        "topic": chat.topic.name if chat.topic_id else "",
        "reference": chat.ticket.reference if chat.ticket_id else "",
        "since": date_format(timezone.localtime(chat.created_at), "TIME_FORMAT"),
    }


def presence(presence: AgentPresence) -> dict[str, Any]:
    return {"type": "presence", "status": presence.status, "capacity": presence.capacity}
