"""Live chat under load: N customers on WebSockets, each sending one message a second for D seconds to
agents who accepted their chats; measures the delivery time customer → agent (p50, p95, max), counts
the messages in the database against those acknowledged, and samples the servers' memory.

    .venv/bin/python bench/chat_load.py --customers 500 --seconds 60 --processes 2 \\
        --redis redis://127.0.0.1:6379/14 --postgres postgres://postgres@127.0.0.1:5432
    .venv/bin/python bench/chat_load.py --customers 50 --seconds 20          # SQLite, one process, in-memory layer

It builds a database of its own (SQLite in a temporary folder, or chat_bench on --postgres), starts daphne
process(es) on free ports (with --processes > 1 the Redis layer is required), signs the agents in
(one session per agent) and speaks the WebSocket protocol itself (no client library needed).
Figures measured on this machine are in bench/README.md ("Live chat").
"""

import argparse
import asyncio
import base64
import json
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.chat.servers import chat_site, free_port  # noqa: E402  (the same site the browser tests use)

AGENT_SEED = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from complaints.models import Team, TeamMembership
from chat.models import AgentPresence
team = Team.objects.get(slug="chat-desk")
keys = []
for n in range(%(agents)d):
    user = get_user_model().objects.create_user(f"bench-agent-{n}", password="x")
    user.groups.add(Group.objects.get(name="Agents"))
    TeamMembership.objects.create(team=team, user=user)
    AgentPresence.objects.create(user=user, status="online", capacity=%(capacity)d)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    keys.append(session.session_key)
AgentPresence.objects.exclude(user__username__startswith="bench-agent-").update(status="offline")
result = keys
"""


class Closed(Exception):
    pass


class Socket:
    """A minimal RFC 6455 client: text frames out (masked), text/ping/close frames in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base: str, path: str, cookie: str = "") -> "Socket":
        url = urllib.parse.urlsplit(base)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {url.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Origin: {base}",
        ] + ([f"Cookie: sessionid={cookie}"] if cookie else [])
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise Closed(head.split(b"\r\n", 1)[0].decode())
        return cls(reader, writer)

    async def send(self, payload: dict) -> None:
        data = json.dumps(payload).encode()
        header = bytearray([0x81])
        if len(data) < 126:
            header.append(0x80 | len(data))
        elif len(data) < 65536:
            header += bytes([0x80 | 126]) + len(data).to_bytes(2, "big")
        else:
            header += bytes([0x80 | 127]) + len(data).to_bytes(8, "big")
        mask = os.urandom(4)
        self.writer.write(bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        await self.writer.drain()

    async def recv(self) -> dict:
        while True:
            first, second = await self.reader.readexactly(2)
            size = second & 0x7F
            if size == 126:
                size = int.from_bytes(await self.reader.readexactly(2), "big")
            elif size == 127:
                size = int.from_bytes(await self.reader.readexactly(8), "big")
            data = await self.reader.readexactly(size)
            opcode = first & 0x0F
            if opcode == 1:
                return json.loads(data)
            if opcode == 8:
                raise Closed("closed by the server")
            if opcode == 9:  # ping: answer with a masked pong
                mask = os.urandom(4)
                self.writer.write(
                    bytes([0x8A, 0x80 | len(data)])
                    + mask
                    + bytes(b ^ mask[i % 4] for i, b in enumerate(data))
                )

    def close(self) -> None:
        self.writer.close()


def start_chat(base: str, n: int) -> str:
    form = urllib.parse.urlencode(
        {"name": f"Bench {n}", "email": f"bench{n}@example.com", "topic": "chat-demo", "consent": "on"}
    ).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(base + "/chat/", data=form))  # noqa: S310 - our own http server
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            raise
        return re.search(r"/chat/c/([^/]+)/", exc.headers["Location"]).group(1)
    raise RuntimeError("the pre-chat form did not redirect")


async def agent(
    base: str, key: str, latencies: list[float], sent: dict[str, float], stop: asyncio.Event
) -> None:
    sock = await Socket.open(base, "/ws/desk/chat/", cookie=key)
    try:
        while not stop.is_set():
            try:
                event = await asyncio.wait_for(sock.recv(), timeout=1)
            except TimeoutError:
                continue
            if event.get("type") == "offer":
                await sock.send({"type": "accept", "chat": event["chat"]})
            elif event.get("type") == "message" and event.get("from") == "customer":
                at = sent.get(event.get("client_id", ""))
                if at is not None:
                    latencies.append(time.perf_counter() - at)
    finally:
        sock.close()


async def customer(
    base: str, token: str, n: int, seconds: int, sent: dict, acked: set, stop: asyncio.Event
) -> None:
    sock = await Socket.open(base, f"/ws/chat/{token}/")
    try:
        await sock.recv()  # hello
        await sock.send(
            {"type": "message", "client_id": f"open-{n}", "text": f"Bench customer {n} says hello"}
        )
        while True:  # wait until an agent has the chat, so every timed message goes to them
            event = await asyncio.wait_for(sock.recv(), timeout=120)
            if event.get("type") == "ack":
                acked.add(event["client_id"])
            if event.get("type") == "state" and event.get("state") == "active":
                break

        async def reader() -> None:
            while True:
                event = await sock.recv()
                if event.get("type") == "ack":
                    acked.add(event["client_id"])

        reading = asyncio.create_task(reader())
        await asyncio.sleep(n % 1000 / 1000)  # spread the sends over the second
        for seq in range(seconds):
            client_id = f"c{n}-{seq}"
            sent[client_id] = time.perf_counter()
            await sock.send({"type": "message", "client_id": client_id, "text": f"message {seq} from {n}"})
            await asyncio.sleep(1)
        deadline = time.monotonic() + 15  # the last acknowledgements
        while time.monotonic() < deadline and any(f"c{n}-{seq}" not in acked for seq in range(seconds)):
            await asyncio.sleep(0.2)
        reading.cancel()
    finally:
        sock.close()


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        except (OSError, AttributeError):
            pass
    return total / 1024


async def run(args: argparse.Namespace, site) -> dict:
    ports = [free_port() for _ in range(args.processes)]
    bases = [site.serve(port) for port in ports]
    pids = [p.pid for p in site.processes]
    keys = site.query(AGENT_SEED % {"agents": args.agents, "capacity": -(-args.customers // args.agents) + 1})
    tokens = await asyncio.gather(
        *(asyncio.to_thread(start_chat, bases[n % len(bases)], n) for n in range(args.customers))
    )
    latencies: list[float] = []
    sent: dict[str, float] = {}
    acked: set[str] = set()
    stop = asyncio.Event()
    agents = [
        asyncio.create_task(agent(bases[i % len(bases)], key, latencies, sent, stop))
        for i, key in enumerate(keys)
    ]
    await asyncio.sleep(1)
    memory = [rss_mb(pids)]

    async def sample() -> None:
        while not stop.is_set():
            await asyncio.sleep(5)
            memory.append(rss_mb(pids))

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    load_before = os.getloadavg()
    results = await asyncio.gather(
        *(
            asyncio.wait_for(
                customer(bases[(n + 1) % len(bases)], token, n, args.seconds, sent, acked, stop),
                timeout=args.seconds + 180,
            )
            for n, token in enumerate(tokens)
        ),
        return_exceptions=True,
    )
    load_after = os.getloadavg()
    elapsed = time.perf_counter() - started
    await asyncio.sleep(2)
    stop.set()
    await asyncio.gather(*agents, sampler, return_exceptions=True)
    failures = [r for r in results if isinstance(r, Exception)]
    stored = site.query(
        "from complaints.models import Message, Ticket\n"
        "result = {'messages': Message.objects.filter(channel='chat', kind='customer').count(),"
        " 'tickets': Ticket.objects.filter(channel='chat').count()}"
    )
    timed_acked = {c for c in acked if not c.startswith("open-")}
    latencies.sort()
    return {
        "customers": args.customers,
        "seconds": args.seconds,
        "processes": args.processes,
        "layer": "redis" if args.redis else "in-memory",
        "database": "PostgreSQL" if args.postgres else "SQLite",
        "elapsed_s": round(elapsed, 1),
        "sent": len(sent),
        "acknowledged": len(timed_acked),
        "delivered_to_agents": len(latencies),
        "stored_customer_messages": stored["messages"],
        "chat_tickets": stored["tickets"],
        # Sent but neither acknowledged nor in the database (the opening messages are the tickets' descriptions).
        "lost": max(0, len(sent) - stored["messages"]),
        "unacknowledged": len(sent) - len(timed_acked),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1) if latencies else None,
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "memory_mb_start_end": [round(memory[0]), round(memory[-1])],
        "memory_mb_max": round(max(memory)),
        # The machine's 1/5/15-minute load averages when the customers started and ended: a shared
        # machine's figures are upper bounds.
        "load_average_start_end": [[round(x, 1) for x in load_before], [round(x, 1) for x in load_after]],
        "customer_failures": [repr(f)[:200] for f in failures[:5]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--agents", type=int, default=25)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument(
        "--redis", default="", help="REDIS_URL for the channel layer (needed with --processes > 1)"
    )
    parser.add_argument(
        "--postgres",
        default="",
        help="PostgreSQL server URL; the bench (re)creates the database --db-name there",
    )
    parser.add_argument(
        "--db-name", default="chat_bench", help="the PostgreSQL database the bench (re)creates"
    )
    args = parser.parse_args()
    if args.processes > 1 and not args.redis:
        parser.error("several processes share the chat only through Redis: give --redis")
    database_url = ""
    if args.postgres:
        import psycopg

        with psycopg.connect(args.postgres + "/postgres", autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{args.db_name}"')
            pg.execute(f'CREATE DATABASE "{args.db_name}"')
        database_url = f"{args.postgres}/{args.db_name}"
    with (
        tempfile.TemporaryDirectory() as folder,
        chat_site(Path(folder), redis_url=args.redis, database_url=database_url) as site,
    ):
        site.env |= {
            "CHAT_CHATS_PER_IP_PER_HOUR": "1000000",
            "CHAT_CONNECTIONS_PER_IP": "1000000",
            # Every bench customer comes from 127.0.0.1: the per-address message limit would refuse them.
            "CHAT_MESSAGES_PER_IP_PER_10S": "1000000",
            "CHANNEL_LAYER_PREFIX": f"bench-chat-{os.getpid()}",
        }
        result = asyncio.run(run(args, site))
        print(json.dumps(result, indent=2))
        if result["customer_failures"]:
            for log in sorted(Path(folder).glob("daphne-*.log")):
                print(f"--- {log.name} (last lines)", *log.read_text().splitlines()[-15:], sep="\n")


if __name__ == "__main__":
    main()
