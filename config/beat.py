"""Exactly one Celery beat per deployment: a scheduler that holds a lock in Redis while it runs.

Two beats would queue every periodic job twice. The tasks are safe to run twice, but the sweeps
would do their work twice as often and the mailbox poller would race itself, so a second beat
(a second host, a copy left running after a deploy, `celery worker -B` next to a beat) waits
until the first one stops, or exits when `beat_lock_wait` is off. The lock is a Redis key with a
time to live, renewed on every tick; a beat that dies without releasing it (SIGKILL, lost host)
is replaced once the key expires.

Settings (Django, CELERY_ namespace): `CELERY_BEAT_LOCK_TTL` (seconds, default 60) and
`CELERY_BEAT_LOCK_WAIT` (default True). The lock lives in the broker's Redis under the broker's
`global_keyprefix`, so installations sharing a Redis keep separate locks. With a broker other
than Redis (the embedded demo's file-system broker) there is no lock and one beat is trusted.
"""

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from celery import Celery
from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

LOCK_KEY = "complaint-desk:beat-lock"
DEFAULT_TTL = 60

# Extend the key only while it still holds our token; 1 when extended, 0 when not ours.
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"
)
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class BeatLockHeld(SystemExit):
    """Another beat holds the lock and this one was told not to wait."""


class BeatLock:
    """A Redis key naming the one beat that may run; `token` says who holds it (host, pid)."""

    def __init__(self, client: redis.Redis, *, key: str, ttl: int) -> None:
        self.client = client
        self.key = key
        self.ttl = ttl
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; True when it is ours now."""
        return bool(self.client.set(self.key, self.token, nx=True, ex=self.ttl))

    def holder(self) -> str:
        value = self.client.get(self.key)
        return value.decode() if value else "nobody"

    def renew(self) -> bool:
        """Extend our lock; False when it is no longer ours (expired and taken by another beat)."""
        if self.client.eval(_RENEW, 1, self.key, self.token, self.ttl):
            return True
        # Expired while we were slow and nobody else took it: take it again.
        return self.acquire()

    def release(self) -> None:
        self.client.eval(_RELEASE, 1, self.key, self.token)


def lock_for(app: Celery) -> BeatLock | None:
    """The beat lock of the app's broker, or None when the broker is not Redis."""
    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    prefix = (app.conf.broker_transport_options or {}).get("global_keyprefix", "")
    ttl = int(app.conf.get("beat_lock_ttl") or DEFAULT_TTL)
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    return BeatLock(client, key=f"{prefix}{LOCK_KEY}", ttl=ttl)


@contextmanager
def _exit_on_stop_signals() -> Iterator[None]:
    """While waiting for the lock, SIGTERM/SIGINT end the process at once.

    Celery's own handler would try to save a schedule this beat never opened.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class SingleBeatScheduler(PersistentScheduler):
    """Celery's file-backed scheduler, run only while this process holds the deployment's beat lock."""

    lock: BeatLock | None = None

    def setup_schedule(self) -> None:
        self.lock = lock_for(self.app)
        if self.lock is None:
            logger.info("beat: the broker is not Redis, no beat lock; run exactly one beat.")
        else:
            self._wait_for_lock()
            # Tick often enough to renew the lock well before it expires.
            self.max_interval = min(self.max_interval, self.lock.ttl / 3)
            self._renewed_at = time.monotonic()
        try:
            super().setup_schedule()
        except BaseException:
            self.close()
            raise

    def _wait_for_lock(self) -> None:
        wait = self.app.conf.get("beat_lock_wait", True)
        announced = False
        with _exit_on_stop_signals():
            while not (acquired := self._try_acquire()):
                if acquired is None:
                    time.sleep(min(5.0, self.lock.ttl / 3))
                    continue
                holder = self.lock.holder()
                if not wait:
                    message = (
                        f"beat: another beat is running ({holder}, Redis key {self.lock.key}); "
                        "exactly one beat may run per deployment, so this one exits."
                    )
                    raise BeatLockHeld(message)  # printed by Celery as the process ends, exit status 1
                if not announced:
                    logger.warning(
                        "beat: another beat is running (%s, Redis key %s); exactly one beat may run per "
                        "deployment, so this one waits and takes over if that one stops "
                        "(its lock expires %s s after it dies).",
                        holder,
                        self.lock.key,
                        self.lock.ttl,
                    )
                    announced = True
                time.sleep(min(5.0, self.lock.ttl / 3))
        logger.info("beat: holding the beat lock %s as %s", self.lock.key, self.lock.token)

    def _try_acquire(self) -> bool | None:
        """True: ours; False: another beat holds it; None: Redis unreachable (restarting), so this beat
        waits for it instead of exiting."""
        try:
            return self.lock.acquire()
        except redis.RedisError as exc:
            logger.warning("beat: Redis unreachable, waiting for it to take the beat lock: %s", exc)
            return None

    def tick(self, *args: object, **kwargs: object) -> float:
        if self.lock is not None and time.monotonic() - self._renewed_at >= self.lock.ttl / 3:
            self._renew()
        return super().tick(*args, **kwargs)

    def _renew(self) -> None:
        try:
            still_ours = self.lock.renew()
        except redis.RedisError as exc:
            # The broker is down as well, so nothing can be queued; try again on the next tick.
            logger.warning("beat: could not renew the beat lock: %s", exc)
            return
        if not still_ours:
            logger.error(
                "beat: the beat lock %s is held by %s now; this beat stops so that only one runs.",
                self.lock.key,
                self.lock.holder(),
            )
            self.lock = None
            raise SystemExit(1)
        self._renewed_at = time.monotonic()

    def close(self) -> None:
        super().close()
        if self.lock is not None:
            try:
                self.lock.release()
            except redis.RedisError as exc:
                logger.warning("beat: could not release the beat lock (it expires by itself): %s", exc)
            self.lock = None
