"""Every change to a chat: starting, the customer's and the agent's messages (stored as the ticket's
messages through complaints.services before anyone is told), offers, acceptance, transfer, the end,
the rating, availability and the sweep that moves lapsed offers and dropped agents on.

Each function locks the chat row, writes, and sends its events to the connections on commit
(`events.send_on_commit`), so a message is shown as sent only once it is in the database.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from complaints import policy, routing
from complaints import services as complaint_services
from complaints.attachments import CheckedFile
from complaints.errors import ComplaintError
from complaints.models import Category, Message, Team, TeamMembership, Ticket
from complaints.models.tickets import Channel
from complaints.naming import user_name_for_customers
from feedback import services as feedback_services

from . import events
from .errors import ChatRefused
from .models import AgentPresence, Chat, ChatBlock

User = get_user_model()
LIVE = (Chat.State.WAITING, Chat.State.OFFERED, Chat.State.ACTIVE)


def _conf(name: str) -> int:
    return int(settings.CHAT[name])


def _lock(chat_id: int) -> Chat:
    chat = (
        Chat.objects.select_for_update(of=("self",))
        .select_related("customer", "ticket", "agent", "team", "topic")
        .filter(pk=chat_id)
        .first()
    )
    if chat is None:
        raise ChatRefused(_("No such chat."), code="no_chat")
    return chat


def is_blocked(*, customer_id: int | None = None, ip: str | None = None) -> bool:
    q = Q()
    if customer_id:
        q |= Q(customer_id=customer_id)
    if ip and is_address(ip):
        q |= Q(ip=ip)
    return bool(q) and ChatBlock.objects.filter(q).exists()


def close_blocked_chats(block: ChatBlock) -> int:
    """A new block takes effect on the chats already open: their customer sockets are closed."""
    q = Q()
    if block.customer_id:
        q |= Q(customer_id=block.customer_id)
    if block.ip:
        q |= Q(ip=block.ip)
    chats = list(Chat.objects.filter(q, state__in=LIVE)) if q else []
    for chat in chats:
        events.close_blocked_on_commit(chat)
    return len(chats)


def is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ChatRefused(_("The message is empty."), code="empty")
    if len(text) > _conf("MESSAGE_MAX_CHARS"):
        raise ChatRefused(
            _("A message can be at most %(count)s characters.") % {"count": _conf("MESSAGE_MAX_CHARS")},
            code="too_long",
        )
    return text


# --- availability -------------------------------------------------------------------------


def presence_for(user: object) -> AgentPresence:
    return AgentPresence.objects.get_or_create(user=user)[0]


def online_agents(team_id: int | None) -> list[int]:
    """Ids of the team's agents who are online with the console open (any team's, for a chat no
    topic or rule gave a team)."""
    members = TeamMembership.objects.filter(is_away=False, user__is_active=True)
    if team_id is not None:
        members = members.filter(team_id=team_id)
    members = members.values("user_id")
    return list(
        AgentPresence.objects.filter(
            user_id__in=members, status=AgentPresence.Status.ONLINE, connections__gt=0
        ).values_list("user_id", flat=True)
    )


def set_availability(*, agent: object, status: str, capacity: int | None = None) -> AgentPresence:
    if status not in AgentPresence.Status.values:
        raise ChatRefused(_("Choose online, away or offline."), code="bad_status")
    with transaction.atomic():
        presence = presence_for(agent)
        presence = AgentPresence.objects.select_for_update().get(pk=presence.pk)
        presence.status = status
        fields = ["status", "updated_at"]
        if capacity is not None:
            if not 1 <= int(capacity) <= 20:
                raise ChatRefused(_("Capacity is from 1 to 20 chats."), code="bad_capacity")
            presence.capacity = int(capacity)
            fields.append("capacity")
        presence.save(update_fields=fields)
        events.send_on_commit(events.agent_group(agent.pk), events.presence(presence))
        if status == AgentPresence.Status.ONLINE:
            transaction.on_commit(dispatch_waiting)
    return presence


def agent_connected(*, agent: object) -> AgentPresence:
    with transaction.atomic():
        presence = presence_for(agent)
        AgentPresence.objects.filter(pk=presence.pk).update(
            connections=F("connections") + 1, disconnected_at=None
        )
        presence.refresh_from_db()
    return presence


def agent_disconnected(*, agent: object, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        presence = AgentPresence.objects.select_for_update().filter(user=agent).first()
        if presence is None:
            return
        presence.connections = max(0, presence.connections - 1)
        if presence.connections == 0:
            presence.disconnected_at = now
        presence.save(update_fields=["connections", "disconnected_at", "updated_at"])


# --- starting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    chat: Chat
    agents_online: bool


def start_chat(
    *, name: str, email: str, phone: str, topic: Category | None, language: str, ip: str | None
) -> Started:
    """The pre-chat form's result: the customer found or created, the team chosen by topic and rules."""
    if ip and is_blocked(ip=ip):
        raise ChatRefused(
            _("The chat is not available to you. Please use the complaint form."), code="blocked"
        )
    before = timezone.now()
    customer = complaint_services.find_or_create_customer(
        complaint_services.CustomerDetails(name=name, email=email, phone=phone, language=language)
    )
    # A customer on file before this form: the contact was claimed, not proven.
    claimed = customer.created_at < before
    if is_blocked(customer_id=customer.pk):
        raise ChatRefused(
            _("The chat is not available to you. Please use the complaint form."), code="blocked"
        )
    decision = routing.classify(channel=Channel.CHAT, category=topic, text="")
    chat = Chat.objects.create(
        customer=customer,
        given_name=(name or "").strip()[:200],
        contact_claimed=claimed,
        topic=topic,
        team=decision.team,
        language=language,
        ip=ip if ip and is_address(ip) else None,
    )
    return Started(chat=chat, agents_online=bool(online_agents(chat.team_id)))


# --- messages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Said:
    """A stored message: its id and time; `duplicate` when the client id had been stored before."""

    message_id: int | None
    created_at: datetime
    duplicate: bool = False


def _existing(chat: Chat, external_id: str) -> Message | None:
    # The excluded blank ids let SQLite use the partial unique index (channel, external_id) too.
    return (
        Message.objects.filter(channel=Channel.CHAT, external_id=external_id, ticket_id=chat.ticket_id)
        .exclude(external_id="")
        .first()
    )


def blocked_refusal() -> ChatRefused:
    return ChatRefused(_("The chat is not available to you. Please use the complaint form."), code="blocked")


def customer_says(
    *,
    chat_id: int,
    client_id: str,
    text: str,
    files: list[CheckedFile] | tuple = (),
    ip: str | None = None,
    now: datetime | None = None,
) -> Said:
    """Store the customer's message (the first one opens the ticket) and route a new chat. A block
    of the chat's customer, its address or the sender's (`ip`) holds on every message, also on a
    socket opened before the block."""
    client_id = (client_id or "")[:64]
    if not client_id:
        raise ChatRefused(_("The message has no id."), code="no_client_id")
    text = check_text(text) if not files or (text or "").strip() else (text or "").strip()
    now = now or timezone.now()
    with transaction.atomic():
        chat = _lock(chat_id)
        if chat.state == Chat.State.ENDED:
            raise ChatRefused(_("This chat has ended."), code="ended")
        if is_blocked(customer_id=chat.customer_id, ip=chat.ip) or (ip and is_blocked(ip=ip)):
            raise blocked_refusal()
        external_id = chat.external_id(client_id)
        if chat.opening_client_id == client_id:
            return Said(message_id=None, created_at=chat.ticket.created_at, duplicate=True)
        if chat.ticket_id and (found := _existing(chat, external_id)):
            return Said(message_id=found.pk, created_at=found.created_at, duplicate=True)
        body = text or _("(image)")
        if chat.ticket_id is None:
            return open_chat_ticket(chat, client_id=client_id, body=body, files=files, now=now)
        message = complaint_services.add_message(
            ticket_id=chat.ticket_id,
            actor=None,
            kind=Message.Kind.CUSTOMER,
            body=body,
            channel=Channel.CHAT,
            files=files,
            external_id=external_id,
        )
        events.send_on_commit(
            events.chat_group(chat),
            events.message(chat, message, client_id=client_id),
            agent_id=chat.agent_id,
        )
    return Said(message_id=message.pk, created_at=message.created_at)


def open_chat_ticket(chat: Chat, *, client_id: str, body: str, files=(), now: datetime | None = None) -> Said:
    """The (locked) chat's first message opens its ticket and routes the chat: offered to an agent,
    or offline (taken as a ticket) when none of the team is online."""
    now = now or timezone.now()
    with override(chat.language):
        topic = chat.topic.name if chat.topic else _("Live chat")
    from .selectors import plain

    first_line = (plain(complaint_services.sanitise(body)) or topic).splitlines()[0][:80]
    opened = complaint_services.open_ticket(
        actor=None,
        channel=Channel.CHAT,
        customer=chat.customer,
        subject=f"{topic}: {first_line}"[:200],
        description=body,
        category=chat.topic,
        default_team=chat.team,
        language=chat.language,
        files=files,
        external_id=chat.external_id(client_id),
    )
    ticket = opened.ticket
    chat.ticket = ticket
    chat.team_id = ticket.team_id or chat.team_id
    chat.reveals_ticket = (
        not opened.is_repeat
        and not Ticket.objects.filter(customer_id=ticket.customer_id).exclude(pk=ticket.pk).exists()
    )
    fields = ["ticket", "team", "reveals_ticket"]
    if opened.message is None:
        chat.opening_client_id = client_id
        fields.append("opening_client_id")
    if online_agents(chat.team_id):
        fields += _offer_next(chat, now=now)
    else:
        chat.state = Chat.State.OFFLINE
        chat.ended_at = now
        fields += ["state", "ended_at"]
    chat.save(update_fields=sorted(set(fields)))
    created = opened.message.created_at if opened.message else ticket.created_at
    events.send_on_commit(
        events.chat_group(chat),
        events.opening_message(chat, body=body, created_at=created, client_id=client_id),
        agent_id=chat.offered_to_id,
    )
    events.send_on_commit(events.chat_group(chat), events.state(chat))
    return Said(message_id=opened.message.pk if opened.message else None, created_at=created)


def agent_says(*, chat_id: int, agent: object, client_id: str, text: str, note: bool = False) -> Said:
    """The agent's reply (through the core's reply service) or internal note on the chat's ticket."""
    client_id = (client_id or "")[:64]
    if not client_id:
        raise ChatRefused(_("The message has no id."), code="no_client_id")
    text = check_text(text)
    with transaction.atomic():
        chat = _lock(chat_id)
        if chat.agent_id != agent.pk or chat.state != Chat.State.ACTIVE:
            raise ChatRefused(_("This chat is not yours now."), code="not_yours")
        external_id = chat.external_id(client_id, side="n" if note else "a")
        if found := _existing(chat, external_id):
            return Said(message_id=found.pk, created_at=found.created_at, duplicate=True)
        message = complaint_services.add_message(
            ticket_id=chat.ticket_id,
            actor=agent,
            kind=Message.Kind.NOTE if note else Message.Kind.REPLY,
            body=text,
            channel=Channel.CHAT,
            external_id=external_id,
        )
        payload = events.message(chat, message, client_id=client_id)
        if note:
            events.send_on_commit(events.agent_group(agent.pk), payload)
        else:
            events.send_on_commit(events.chat_group(chat), payload, agent_id=agent.pk)
    return Said(message_id=message.pk, created_at=message.created_at)


def typing(*, chat: Chat, by_agent: bool) -> None:
    payload = {"type": "typing", "chat": str(chat.public_id), "by": "agent" if by_agent else "customer"}
    events.send_now(events.chat_group(chat), payload, agent_id=None if by_agent else chat.agent_id)


# --- offers, acceptance, transfer ----------------------------------------------------------


def _load(user_ids: list[int]) -> dict[int, int]:
    rows = (
        Chat.objects.filter(
            Q(agent_id__in=user_ids, state=Chat.State.ACTIVE)
            | Q(offered_to_id__in=user_ids, state=Chat.State.OFFERED)
        )
        .values("agent_id", "offered_to_id", "state")
        .annotate(n=Count("pk"))
    )
    load = dict.fromkeys(user_ids, 0)
    for row in rows:
        who = row["agent_id"] if row["state"] == Chat.State.ACTIVE else row["offered_to_id"]
        load[who] = load.get(who, 0) + row["n"]
    return load


def _pick_agent(chat: Chat) -> int | None:
    """The least busy online agent of the chat's team with room for one more; those passed over last."""
    online = online_agents(chat.team_id)
    if not online:
        return None
    capacity = dict(AgentPresence.objects.filter(user_id__in=online).values_list("user_id", "capacity"))
    load = _load(online)
    free = [uid for uid in online if load[uid] < capacity[uid]]
    fresh = [uid for uid in free if uid not in chat.passed_over]
    pool = fresh or free  # everyone passed: round the team again
    if not pool:
        return None
    return min(pool, key=lambda uid: (load[uid], uid))


def _offer_next(chat: Chat, *, now: datetime) -> list[str]:
    """Offer the (locked) chat to the next agent, or leave it waiting; the fields changed."""
    agent_id = _pick_agent(chat)
    chat.offered_to_id, chat.offered_at = agent_id, (now if agent_id else None)
    chat.state = Chat.State.OFFERED if agent_id else Chat.State.WAITING
    if agent_id:
        events.send_on_commit(events.agent_group(agent_id), events.offer(chat))
    return ["offered_to", "offered_at", "state"]


def accept(*, chat_id: int, agent: object, now: datetime | None = None) -> Chat:
    now = now or timezone.now()
    with transaction.atomic():
        chat = _lock(chat_id)
        if chat.state != Chat.State.OFFERED or chat.offered_to_id != agent.pk:
            raise ChatRefused(_("This chat is no longer offered to you."), code="not_offered")
        chat.state, chat.agent, chat.accepted_at = Chat.State.ACTIVE, agent, now
        chat.offered_to, chat.offered_at = None, None
        chat.save(update_fields=["state", "agent", "accepted_at", "offered_to", "offered_at"])
        _assign_ticket(chat, agent)
        events.send_on_commit(events.chat_group(chat), events.state(chat), agent_id=agent.pk)
    return chat


def _assign_ticket(chat: Chat, agent: object) -> None:
    """The ticket follows the chat to the agent who accepted it. Chat routing is automatic assignment
    (the system offered the chat, the agent accepted), so it assigns as the system does: within the
    team, by the core's assign service and its rules."""
    ticket = Ticket.objects.only("pk", "assignee_id", "status").get(pk=chat.ticket_id)
    if ticket.assignee_id == agent.pk or not ticket.is_open:
        return
    try:
        with transaction.atomic():
            complaint_services.assign(ticket_id=ticket.pk, actor=None, assignee=agent, version=None)
    except ComplaintError:
        pass  # the chat is theirs; the ticket stays with whom the team's rules gave it


def decline(*, chat_id: int, agent: object, now: datetime | None = None) -> Chat:
    now = now or timezone.now()
    with transaction.atomic():
        chat = _lock(chat_id)
        if chat.state != Chat.State.OFFERED or chat.offered_to_id != agent.pk:
            raise ChatRefused(_("This chat is no longer offered to you."), code="not_offered")
        _pass_over(chat, agent.pk, now=now)
    return chat


def _pass_over(chat: Chat, agent_id: int, *, now: datetime) -> None:
    chat.passed_over = sorted(set(chat.passed_over) | {agent_id})
    events.send_on_commit(
        events.agent_group(agent_id), {"type": "offer_withdrawn", "chat": str(chat.public_id)}
    )
    fields = _offer_next(chat, now=now)
    chat.save(update_fields=["passed_over", *fields])
    events.send_on_commit(events.chat_group(chat), events.state(chat))


def transfer(
    *,
    chat_id: int,
    agent: object,
    to_agent: object | None = None,
    to_team: Team | None = None,
    now: datetime | None = None,
) -> Chat:
    """Hand the chat to another agent (offered to them) or to another team (offered to its next agent)."""
    now = now or timezone.now()
    if (to_agent is None) == (to_team is None):
        raise ChatRefused(_("Choose an agent or a team to transfer to."), code="bad_transfer")
    with transaction.atomic():
        chat = _lock(chat_id)
        if chat.agent_id != agent.pk or chat.state != Chat.State.ACTIVE:
            raise ChatRefused(_("This chat is not yours now."), code="not_yours")
        if to_team is not None and to_team.pk != chat.team_id:
            complaint_services.reroute(
                ticket_id=chat.ticket_id,
                actor=agent,
                team=to_team,
                version=None,
                reason=_("Live chat transferred"),
            )
            chat.team = to_team
        chat.agent, chat.passed_over = None, [agent.pk]
        if to_agent is not None:
            if to_agent.pk not in online_agents(chat.team_id):
                raise ChatRefused(_("That agent is not online for this chat's team."), code="agent_offline")
            chat.state, chat.offered_to, chat.offered_at = Chat.State.OFFERED, to_agent, now
            events.send_on_commit(events.agent_group(to_agent.pk), events.offer(chat))
            fields = ["state", "offered_to", "offered_at"]
        else:
            fields = _offer_next(chat, now=now)
        chat.save(update_fields=["agent", "passed_over", "team", *fields])
        events.send_on_commit(events.agent_group(agent.pk), {"type": "closed", "chat": str(chat.public_id)})
        events.send_on_commit(events.chat_group(chat), events.state(chat))
    return chat


# --- the end ---------------------------------------------------------------------------------


def end_chat(*, chat_id: int, agent: object | None = None, now: datetime | None = None) -> Chat:
    """End the chat (the customer, with agent None, or its agent); the rating and transcript follow."""
    now = now or timezone.now()
    with transaction.atomic():
        chat = _lock(chat_id)
        if agent is not None and chat.agent_id != agent.pk:
            raise ChatRefused(_("This chat is not yours now."), code="not_yours")
        if chat.state in (Chat.State.ENDED, Chat.State.OFFLINE):
            return chat
        notify = chat.agent_id or chat.offered_to_id
        chat.state, chat.ended_at, chat.offered_to, chat.offered_at = Chat.State.ENDED, now, None, None
        chat.save(update_fields=["state", "ended_at", "offered_to", "offered_at"])
        events.send_on_commit(events.chat_group(chat), events.state(chat), agent_id=notify)
        transaction.on_commit(dispatch_waiting)
    return chat


def rate_chat(*, chat_id: int, rating: int, now: datetime | None = None) -> Chat:
    """The one-click rating at the end (1–5; it may be changed while the chat page is open)."""
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ChatRefused(_("Choose a rating from 1 to 5."), code="bad_rating")
    with transaction.atomic():
        chat = _lock(chat_id)
        if chat.state not in (Chat.State.ENDED, Chat.State.OFFLINE) or chat.ticket_id is None:
            raise ChatRefused(_("You can rate the chat once it has ended."), code="not_ended")
        chat.rating, chat.rated_at = rating, now or timezone.now()
        try:
            answer = feedback_services.record_chat_rating(
                ticket_id=chat.ticket_id, rating=rating, survey_id=chat.survey_id, now=chat.rated_at
            )
        except ComplaintError as error:
            raise ChatRefused(error.message, code="rating_closed") from error
        chat.survey_id = answer.survey_id
        chat.save(update_fields=["rating", "rated_at", "survey"])
        events.send_on_commit(events.chat_group(chat), events.state(chat), agent_id=chat.agent_id)
    return chat


# --- the sweep: lapsed offers, dropped agents, waiting chats --------------------------------


def sweep(*, now: datetime | None = None) -> int:
    """Move lapsed offers to the next agent, return dropped agents' chats to the queue, offer waiting
    chats to agents with room. Safe to run from several processes at once (row locks decide)."""
    now = now or timezone.now()
    moved = 0
    lapsed = Chat.objects.filter(
        state=Chat.State.OFFERED, offered_at__lt=now - timedelta(seconds=_conf("OFFER_SECONDS"))
    ).values_list("pk", flat=True)
    for chat_id in list(lapsed[:200]):
        with transaction.atomic():
            chat = _lock(chat_id)
            if chat.state == Chat.State.OFFERED and chat.offered_at < now - timedelta(
                seconds=_conf("OFFER_SECONDS")
            ):
                _pass_over(chat, chat.offered_to_id, now=now)
                moved += 1
    gone = AgentPresence.objects.filter(
        connections=0, disconnected_at__lt=now - timedelta(seconds=_conf("AGENT_GRACE_SECONDS"))
    ).values("user_id")
    for chat_id in list(
        Chat.objects.filter(state=Chat.State.ACTIVE, agent_id__in=gone).values_list("pk", flat=True)[:200]
    ):
        with transaction.atomic():
            chat = _lock(chat_id)
            if chat.state != Chat.State.ACTIVE:
                continue
            dropped = chat.agent_id
            chat.agent = None
            chat.passed_over = sorted(set(chat.passed_over) | {dropped})
            fields = _offer_next(chat, now=now)
            chat.save(update_fields=["agent", "passed_over", *fields])
            events.send_on_commit(events.chat_group(chat), events.state(chat))
            moved += 1
    return moved + dispatch_waiting(now=now)


def dispatch_waiting(*, now: datetime | None = None) -> int:
    """Offer waiting chats (oldest first) to agents who have room now."""
    now = now or timezone.now()
    offered = 0
    for chat_id in list(
        Chat.objects.filter(state=Chat.State.WAITING, ticket__isnull=False)
        .order_by("created_at")
        .values_list("pk", flat=True)[:100]
    ):
        with transaction.atomic():
            chat = _lock(chat_id)
            if chat.state != Chat.State.WAITING:
                continue
            fields = _offer_next(chat, now=now)
            if chat.state == Chat.State.OFFERED:
                chat.save(update_fields=fields)
                events.send_on_commit(events.chat_group(chat), events.state(chat))
                offered += 1
    return offered


# --- what the console shows ------------------------------------------------------------------


def agent_name(chat: Chat) -> str:
    return user_name_for_customers(chat.agent) if chat.agent_id else ""


def customer_open_tickets(chat: Chat, viewer: object) -> list[Ticket]:
    tickets = Ticket.objects.filter(customer_id=chat.customer_id).exclude(status__in=["resolved", "closed"])
    return [
        t for t in tickets.select_related("team").order_by("-created_at")[:10] if policy.can_see(viewer, t)
    ]
