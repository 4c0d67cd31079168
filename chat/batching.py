"""The customers' lines of one server process, stored in small batches: the lines that arrive on
any of the process's sockets while a batch is being written (or within WINDOW_SECONDS of a quiet
moment) go into the database together (chat/lines.py), then each socket gets its acknowledgement
and the agents' consoles the lines, right after the commit.

One writer per process at a time: under load the batch grows with the arrival rate instead of the
lines queueing behind each other's transactions; when quiet, a line waits WINDOW_SECONDS at most.
"""

import asyncio
import logging
import time
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from channels_intake.customer import ratelimit

from . import events, lines

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 0.003


def in_thread(fn):
    """The batch's ORM work on a thread of the pool with its own connection, off the event loop."""
    return database_sync_to_async(fn, thread_sensitive=False)


MAX_LINES = 250


@dataclass(frozen=True)
class RateLimited:
    """The line was over the chat's or the address's message rate: not stored; retry after this."""

    retry_after: int


def _limits(line: lines.Line) -> list[ratelimit.Limit]:
    from .consumers import message_limits

    return message_limits(line.chat_id, line.ip or "unknown")


def _hit_all(batch: list[lines.Line]) -> list[int]:
    """Count every line against its chat's and address's limits (ratelimit.hit's counters, which the
    upload view counts too); per line the seconds to wait, 0 when allowed. On Redis, the whole batch
    in one pipelined round trip instead of two to four per line."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return [ratelimit.hit(*_limits(line)).retry_after for line in batch]
    now = time.time()
    keyed = [
        [(backend.make_and_validate_key(ratelimit._key(limit, now)), limit) for limit in _limits(line)]
        for line in batch
    ]
    pipe = backend._cache.get_client(write=True).pipeline(transaction=False)
    for limits in keyed:
        for key, limit in limits:
            pipe.set(key, 0, ex=limit.window + 1, nx=True)  # as ratelimit.hit's add: the window's first
            pipe.incr(key)
    counts = iter(pipe.execute()[1::2])
    waits = []
    for limits in keyed:
        wait = 0
        for _key, limit in limits:
            if next(counts) > limit.count:
                wait = max(wait, limit.window - int(now % limit.window))
        waits.append(wait)
    return waits


def _store(batch: list[lines.Line]) -> tuple[list[object], list]:
    """In a worker thread: the rate limits (the shared cache), then the batch in one transaction;
    if the batch as a whole fails (a deadlock, a lost connection), each line is tried alone, so one
    line cannot cost the others."""
    results: list[object] = [None] * len(batch)
    allowed: list[int] = []
    for n, wait in enumerate(_hit_all(batch)):
        if wait:
            results[n] = RateLimited(wait)
        else:
            allowed.append(n)
    todo = [batch[n] for n in allowed]
    try:
        stored = lines.customer_says_many(todo)
        outcome, deliveries = stored.results, stored.deliveries
    except Exception:
        logger.warning("A batch of %s chat lines failed; storing them one by one", len(todo), exc_info=True)
        outcome, deliveries = [], []
        for line in todo:
            try:
                one = lines.customer_says_many([line])
            except Exception as exc:  # the consumer raises it: the socket closes, the widget resends
                outcome.append(exc)
                continue
            outcome += one.results
            deliveries += one.deliveries
    for n, result in zip(allowed, outcome, strict=True):
        results[n] = result
    return results, deliveries


class Batcher:
    """Collects the process's lines and writes them, one batch at a time (see the module docstring)."""

    def __init__(self) -> None:
        self.pending: list[tuple[lines.Line, asyncio.Future]] = []
        self.writer: asyncio.Task | None = None

    async def say(self, line: lines.Line) -> object:
        """The line's Said once its batch has committed and been sent to the agents, or its
        refusal (a ComplaintError raised, or a RateLimited returned)."""
        future = asyncio.get_running_loop().create_future()
        self.pending.append((line, future))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write())
        result = await future
        if isinstance(result, Exception):
            raise result
        return result

    async def _write(self) -> None:
        await asyncio.sleep(WINDOW_SECONDS)
        while self.pending:
            taken, self.pending = self.pending[:MAX_LINES], self.pending[MAX_LINES:]
            started = time.perf_counter()
            try:
                results, deliveries = await in_thread(_store)([line for line, _ in taken])
            except Exception as exc:
                logger.exception("Chat lines not stored")
                for _line, future in taken:
                    if not future.done():
                        future.set_exception(exc)
                continue
            stored = time.perf_counter()
            try:
                await events.send_many(deliveries)
            except Exception:
                # Stored: the console's history and the widget's next hello show them.
                logger.exception("Chat lines stored but not sent")
            for (_line, future), result in zip(taken, results, strict=True):
                if not future.done():
                    future.set_result(result)
            logger.debug(
                "chat batch: %s lines stored in %.0f ms, sent in %.0f ms; %s waiting",
                len(taken),
                (stored - started) * 1000,
                (time.perf_counter() - stored) * 1000,
                len(self.pending),
            )


_batchers: dict[asyncio.AbstractEventLoop, Batcher] = {}


def batcher() -> Batcher:
    """This process's (this event loop's) batcher."""
    loop = asyncio.get_running_loop()
    found = _batchers.get(loop)
    if found is None:
        for old in [old for old in _batchers if old.is_closed()]:
            del _batchers[old]
        found = _batchers[loop] = Batcher()
    return found
