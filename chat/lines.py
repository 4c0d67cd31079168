"""The customers' chat lines stored many at once: what the sockets of one process received within a
few milliseconds goes into the database in one transaction (chat/batching.py collects them).

Each line is checked as `services.customer_says` checks one (an ended chat, a block, the client id
seen before), and the stored ones are the chats' tickets' messages through the core's bulk
`add_messages`: one lock query for the chats, one for the tickets, one INSERT for the messages and
one for their events. A line refused is refused alone; the others are stored.

Nothing is sent from here: the caller gets, with the results, the events to send once the
transaction has committed (`Stored.deliveries`), so a line is shown only once the database holds it.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import override

from complaints import services as complaint_services
from complaints.errors import ComplaintError
from complaints.models import Message
from complaints.models.tickets import Channel

from . import events, services
from .errors import ChatRefused
from .models import Chat, ChatBlock


@dataclass(frozen=True)
class Line:
    """One text line a customer's socket sent: the chat, the widget's id of the line, the text and
    the sender's address; `language` is the chat's (a refusal is worded in it)."""

    chat_id: int
    client_id: str
    text: str
    ip: str | None = None
    language: str = "en"


@dataclass
class Stored:
    """Per line, in the order given, a Said or the ChatRefused that refused it; `deliveries` are the
    (group, payload) events to send after the commit, in order."""

    results: list[services.Said | ComplaintError]
    deliveries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _checked_text(line: Line) -> str | ChatRefused:
    with override(line.language):
        if not (line.client_id or "")[:64]:
            return ChatRefused(_("The message has no id."), code="no_client_id")
        try:
            text = services.check_text(line.text)
        except ChatRefused as refusal:
            return refusal
        # The core refuses a body that is empty once sanitised (only markup): refuse this line alone.
        if not complaint_services.sanitise(text):
            return ChatRefused(_("The message is empty."), code="empty")
    return text


def _lock_chats(chat_ids: set[int]) -> dict[int, Chat]:
    """The chats of the batch locked in one query, in primary-key order (as every batch locks them)."""
    query = (
        Chat.objects.select_for_update(of=("self",))
        .select_related("customer", "ticket", "agent", "team", "topic")
        .filter(pk__in=chat_ids)
        .order_by("pk")
    )
    return {chat.pk: chat for chat in query}


def _blocked(chats: list[Chat], ips: set[str]) -> tuple[set[int], set[str]]:
    """The blocked customers and addresses among the batch's, in one query."""
    customers = {chat.customer_id for chat in chats if chat.customer_id}
    addresses = {ip for ip in ips | {str(chat.ip) for chat in chats if chat.ip} if services.is_address(ip)}
    q = Q(customer_id__in=customers) | Q(ip__in=addresses) if addresses else Q(customer_id__in=customers)
    rows = ChatBlock.objects.filter(q).values_list("customer_id", "ip")
    blocked_customers, blocked_ips = set(), set()
    for customer_id, ip in rows:
        if customer_id:
            blocked_customers.add(customer_id)
        if ip:
            blocked_ips.add(str(ip))
    return blocked_customers, blocked_ips


def _stored_before(chats: list[Chat], external_ids: list[str]) -> dict[str, tuple[int, Any]]:
    """The lines already stored (a resend after a reconnect), by external id: (message id, time)."""
    ticket_ids = {chat.ticket_id for chat in chats if chat.ticket_id}
    if not ticket_ids or not external_ids:
        return {}
    rows = (
        Message.objects.filter(channel=Channel.CHAT, external_id__in=external_ids, ticket_id__in=ticket_ids)
        .exclude(external_id="")
        .values_list("external_id", "pk", "created_at")
    )
    return {external_id: (pk, at) for external_id, pk, at in rows}


def customer_says_many(lines: list[Line]) -> Stored:
    """Store the customers' lines (see the module's docstring). The first line of a chat without a
    ticket opens it (services.customer_says does, one by one); the rest go in one add_messages."""
    results: list[services.Said | ComplaintError | None] = [None] * len(lines)
    texts: dict[int, str] = {}
    for n, line in enumerate(lines):
        checked = _checked_text(line)
        if isinstance(checked, ChatRefused):
            results[n] = checked
        else:
            texts[n] = checked
    stored = Stored(results=results)  # type: ignore[arg-type]
    if not texts:
        return stored
    with transaction.atomic():
        chats = _lock_chats({lines[n].chat_id for n in texts})
        blocked_customers, blocked_ips = _blocked(
            list(chats.values()), {lines[n].ip for n in texts if lines[n].ip}
        )
        before = _stored_before(
            list(chats.values()),
            [
                chats[lines[n].chat_id].external_id(lines[n].client_id[:64])
                for n in texts
                if lines[n].chat_id in chats
            ],
        )
        new: list[complaint_services.NewMessage] = []
        new_lines: list[int] = []
        in_batch: dict[str, int] = {}  # external id → the line of this batch that stores it
        for n, text in texts.items():
            line, client_id = lines[n], lines[n].client_id[:64]
            chat = chats.get(line.chat_id)
            with override(line.language):
                if chat is None:
                    results[n] = ChatRefused(_("No such chat."), code="no_chat")
                    continue
                if chat.state == Chat.State.ENDED:
                    results[n] = ChatRefused(_("This chat has ended."), code="ended")
                    continue
                if (
                    chat.customer_id in blocked_customers
                    or (chat.ip and str(chat.ip) in blocked_ips)
                    or (line.ip and line.ip in blocked_ips)
                ):
                    results[n] = services.blocked_refusal()
                    continue
            external_id = chat.external_id(client_id)
            if chat.opening_client_id == client_id:
                results[n] = services.Said(message_id=None, created_at=chat.ticket.created_at, duplicate=True)
                continue
            if external_id in before:
                pk, at = before[external_id]
                results[n] = services.Said(message_id=pk, created_at=at, duplicate=True)
                continue
            if external_id in in_batch:
                continue  # the same line twice in one batch (two sockets, a quick resend): answered below
            in_batch[external_id] = n
            if chat.ticket_id is None:
                # The chat's first line opens its ticket and routes the chat (its events go on commit).
                results[n] = services.open_chat_ticket(chat, client_id=client_id, body=text)
                continue
            new.append(
                complaint_services.NewMessage(
                    ticket_id=chat.ticket_id,
                    kind=Message.Kind.CUSTOMER,
                    body=text,
                    channel=Channel.CHAT,
                    external_id=external_id,
                )
            )
            new_lines.append(n)
        messages = complaint_services.add_messages(actor=None, messages=new) if new else []
        for n, message in zip(new_lines, messages, strict=True):
            results[n] = services.Said(message_id=message.pk, created_at=message.created_at)
            chat = chats[lines[n].chat_id]
            payload = events.message(chat, message, client_id=lines[n].client_id[:64], images=[])
            stored.deliveries.append((events.chat_group(chat), payload))
            if chat.agent_id:
                stored.deliveries.append((events.agent_group(chat.agent_id), payload))
        for n, line in enumerate(lines):  # the second copy of a line answered as the first was
            if results[n] is None:
                first = results[in_batch[chats[line.chat_id].external_id(line.client_id[:64])]]
                results[n] = (
                    services.Said(message_id=first.message_id, created_at=first.created_at, duplicate=True)
                    if isinstance(first, services.Said)
                    else first
                )
    return stored
