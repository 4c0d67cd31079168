"""The two WebSocket ends: the customer's widget (authorised by the chat's signed token only) and the
agent's console (the desk session). Thin: every change goes through chat.services."""

import asyncio
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async as _database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils import translation

from channels_intake.customer import ratelimit
from complaints import policy
from complaints.errors import ComplaintError
from complaints.models import Team

from . import batching, events, lines, selectors, services
from .models import Chat
from .tokens import chat_from_token

logger = logging.getLogger(__name__)


def database_sync_to_async(fn):
    """The ORM call in a thread of the pool, each with its own connection: channels' default runs every
    consumer's database work of a process on one thread, which queues all chats behind each other."""
    return _database_sync_to_async(fn, thread_sensitive=False)


# Close codes the clients know: the widget stops reconnecting on these.
REFUSED = 4403
TOO_MANY = 4429
SWEEP_SECONDS = 5
_last_sweep = 0.0
# A frame is a message of at most CHAT["MESSAGE_MAX_CHARS"] and its envelope; anything far bigger is refused unread.
MAX_FRAME_CHARS = 64 * 1024


def _client_ip(scope: dict[str, Any]) -> str:
    """The peer's address; behind N trusted proxies (as for the web pages), the forwarded one."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    headers = dict(scope.get("headers") or [])
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    if proxies and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    client = scope.get("client") or ["unknown"]
    return str(client[0])


def message_limits(chat_id: int, ip: str) -> list[ratelimit.Limit]:
    """The customer's message rate, per chat and per address, in the shared cache (Redis in production),
    so it holds across connections and processes: fixed 10-second windows."""
    conf = settings.CHAT
    return [
        ratelimit.Limit("chat-msg-chat", str(chat_id), conf["MESSAGES_PER_10S"], 10),
        ratelimit.Limit("chat-msg-ip", ip, conf.get("MESSAGES_PER_IP_PER_10S", 40), 10),
    ]


def _sockets_key(chat_id: int) -> str:
    return f"chat-sockets:{chat_id}"


# The count lives while its sockets ping (the widget pings every 25 s): one left by a process that
# died is forgotten this many seconds after the chat's last ping.
SOCKETS_COUNT_SECONDS = 120


def take_socket(chat_id: int) -> bool:
    """Count one more open customer socket on the chat; False (and not counted) past SOCKETS_PER_CHAT."""
    key = _sockets_key(chat_id)
    cache.add(key, 0, timeout=SOCKETS_COUNT_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.add(key, 1, timeout=SOCKETS_COUNT_SECONDS)
        count = 1
    cache.touch(key, SOCKETS_COUNT_SECONDS)
    if count > settings.CHAT.get("SOCKETS_PER_CHAT", 3):
        release_socket(chat_id)
        return False
    return True


def keep_socket(chat_id: int) -> None:
    cache.touch(_sockets_key(chat_id), SOCKETS_COUNT_SECONDS)


def release_socket(chat_id: int) -> None:
    try:
        if cache.decr(_sockets_key(chat_id)) < 0:
            cache.set(_sockets_key(chat_id), 0, timeout=SOCKETS_COUNT_SECONDS)
    except ValueError:
        pass


class _Base(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """JSON text frames only; binary, oversized or malformed frames are answered, never a crash."""
        if not text_data or len(text_data) > MAX_FRAME_CHARS:
            await self.send_json({"type": "error", "code": "bad_frame", "message": "Send JSON text frames."})
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_json({"type": "error", "code": "bad_frame", "message": "Send JSON text frames."})
            return
        await self.receive_json(content, **kwargs)

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def _leave_all(self) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _error(self, exc: ComplaintError, **extra: Any) -> None:
        await self.send_json(
            {"type": "error", "code": getattr(exc, "code", "refused"), "message": exc.message, **extra}
        )

    async def chat_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])

    async def chat_events(self, event: dict[str, Any]) -> None:
        """Several events for this group at once (a batch of lines, events.send_many), in order."""
        for payload in event["payloads"]:
            await self.send_json(payload)


class CustomerConsumer(_Base):
    """/ws/chat/<token>/: one chat only, the one its token names."""

    async def connect(self) -> None:
        self.groups_joined = []
        self.ip = _client_ip(self.scope)
        conf = settings.CHAT
        verdict = await database_sync_to_async(ratelimit.hit)(
            ratelimit.Limit("chat-connect-ip", self.ip, conf["CONNECTIONS_PER_IP"], 60)
        )
        if not verdict.allowed:
            await self.close(code=TOO_MANY)
            return
        try:
            self.chat = await database_sync_to_async(chat_from_token)(
                self.scope["url_route"]["kwargs"]["token"]
            )
        except (signing.BadSignature, Chat.DoesNotExist):
            await self.close(code=REFUSED)
            return
        if await database_sync_to_async(services.is_blocked)(customer_id=self.chat.customer_id, ip=self.ip):
            await self.close(code=REFUSED)
            return
        if not await database_sync_to_async(take_socket)(self.chat.pk):
            await self.close(code=TOO_MANY)
            return
        self.holds_socket = True
        self.typing_at = 0.0
        await self._join(events.chat_group(self.chat))
        await self.accept()
        await self.send_json(await database_sync_to_async(selectors.customer_hello)(self.chat.pk))

    async def disconnect(self, code: int) -> None:
        if getattr(self, "holds_socket", False):
            self.holds_socket = False
            await database_sync_to_async(release_socket)(self.chat.pk)
        await self._leave_all()

    async def chat_blocked(self, event: dict[str, Any]) -> None:
        """The chat's customer or address was blocked while connected: say so and close."""
        await self._close_blocked()

    async def _close_blocked(self, client_id: str = "") -> None:
        with translation.override(self.chat.language):
            exc = services.blocked_refusal()
        await self._error(exc, client_id=client_id)
        await self.close(code=REFUSED)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ping":
            await database_sync_to_async(keep_socket)(self.chat.pk)
            await self.send_json({"type": "pong"})
            return
        if kind == "typing":
            if time.monotonic() - self.typing_at > 2:
                self.typing_at = time.monotonic()
                await database_sync_to_async(services.typing)(chat=self.chat, by_agent=False)
            return
        client_id = str(content.get("client_id") or "")[:64]
        if kind == "message":
            await self._say(client_id, str(content.get("text") or ""))
            return
        verdict = await database_sync_to_async(ratelimit.hit)(*message_limits(self.chat.pk, self.ip))
        if not verdict.allowed:
            await self._rate_limited(client_id, verdict.retry_after)
            return
        with translation.override(self.chat.language):
            try:
                if kind == "end":
                    await database_sync_to_async(services.end_chat)(chat_id=self.chat.pk)
                elif kind == "rate":
                    await database_sync_to_async(services.rate_chat)(
                        chat_id=self.chat.pk, rating=content.get("rating")
                    )
            except ComplaintError as exc:
                if getattr(exc, "code", "") == "blocked":
                    await self._close_blocked(client_id)
                    return
                await self._error(exc, client_id=client_id)

    async def _rate_limited(self, client_id: str, retry_after: int) -> None:
        await self.send_json(
            {"type": "error", "code": "rate_limited", "client_id": client_id, "retry": retry_after or 10}
        )

    async def _say(self, client_id: str, text: str) -> None:
        """The line goes into this process's next batch (chat/batching.py); acknowledged once stored."""
        line = lines.Line(
            chat_id=self.chat.pk, client_id=client_id, text=text, ip=self.ip, language=self.chat.language
        )
        try:
            said = await batching.batcher().say(line)
        except ComplaintError as exc:
            if getattr(exc, "code", "") == "blocked":
                await self._close_blocked(client_id)
                return
            await self._error(exc, client_id=client_id)
            return
        if isinstance(said, batching.RateLimited):
            await self._rate_limited(client_id, said.retry_after)
            return
        await self.send_json(
            {"type": "ack", "client_id": client_id, "id": said.message_id, "duplicate": said.duplicate}
        )


class AgentConsumer(_Base):
    """/ws/desk/chat/: the signed-in agent's console; it also runs the sweep while it is open."""

    async def connect(self) -> None:
        self.groups_joined = []
        self.user = self.scope.get("user")
        if (
            self.user is None
            or not self.user.is_authenticated
            or not await database_sync_to_async(policy.may_use_desk)(self.user)
        ):
            await self.close(code=REFUSED)
            return
        await self._join(events.agent_group(self.user.pk))
        await database_sync_to_async(services.agent_connected)(agent=self.user)
        await self.accept()
        await self.send_json(await database_sync_to_async(selectors.agent_hello)(self.user))
        self.sweeper = asyncio.create_task(self._sweep())

    async def _sweep(self) -> None:
        global _last_sweep
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            # One sweep per process per round, however many consoles it serves (the sweep covers all chats).
            if time.monotonic() - _last_sweep < SWEEP_SECONDS * 0.9:
                continue
            _last_sweep = time.monotonic()
            try:
                await database_sync_to_async(services.sweep)()
            except Exception:
                # The next round tries again; the console stays up.
                logger.exception("Chat sweep failed")

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "sweeper"):
            self.sweeper.cancel()
            await database_sync_to_async(services.agent_disconnected)(agent=self.user)
        await self._leave_all()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
            return
        try:
            await self._handle(kind, content)
        except ComplaintError as exc:
            await self._error(exc, client_id=str(content.get("client_id") or ""), chat=content.get("chat"))

    async def _handle(self, kind: str, content: dict[str, Any]) -> None:
        if kind == "status":
            await database_sync_to_async(services.set_availability)(
                agent=self.user, status=str(content.get("status")), capacity=content.get("capacity")
            )
            return
        chat = await database_sync_to_async(selectors.chat_by_public_id)(str(content.get("chat") or ""))
        if chat is None:
            raise services.ChatRefused("No such chat.", code="no_chat")
        call = database_sync_to_async
        if kind == "accept":
            await call(services.accept)(chat_id=chat.pk, agent=self.user)
            await self.send_json(await call(selectors.agent_chat)(chat.pk, self.user))
        elif kind == "decline":
            await call(services.decline)(chat_id=chat.pk, agent=self.user)
        elif kind in ("reply", "note"):
            client_id = str(content.get("client_id") or "")
            said = await call(services.agent_says)(
                chat_id=chat.pk,
                agent=self.user,
                client_id=client_id,
                text=str(content.get("text") or ""),
                note=kind == "note",
            )
            await self.send_json(
                {"type": "ack", "chat": str(chat.public_id), "client_id": client_id, "id": said.message_id}
            )
        elif kind == "typing":
            if chat.agent_id == self.user.pk:
                await call(services.typing)(chat=chat, by_agent=True)
        elif kind == "end":
            await call(services.end_chat)(chat_id=chat.pk, agent=self.user)
        elif kind == "transfer":
            to_agent, to_team = await call(_transfer_target)(content)
            await call(services.transfer)(
                chat_id=chat.pk, agent=self.user, to_agent=to_agent, to_team=to_team
            )


def _transfer_target(content: dict[str, Any]) -> tuple[Any, Any]:
    from django.contrib.auth import get_user_model

    agent_id, team_id = content.get("agent"), content.get("team")
    to_agent = get_user_model().objects.filter(pk=agent_id, is_active=True).first() if agent_id else None
    to_team = Team.objects.filter(pk=team_id).first() if team_id else None
    return to_agent, to_team
