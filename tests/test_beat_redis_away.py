"""config.beat: a beat that starts while Redis is restarting waits for it and then takes the lock, instead
of dying with a connection error (or claiming another beat runs)."""

from types import SimpleNamespace

import redis

from config import beat


class FlakyLock:
    key, ttl, token = "complaint-desk:beat-lock", 6, "host:1:abc"

    def __init__(self, failures: int) -> None:
        self.failures = failures

    def acquire(self) -> bool:
        if self.failures:
            self.failures -= 1
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return True

    def holder(self) -> str:
        raise AssertionError("nobody holds the lock: the holder is not asked")


def test_a_beat_starting_while_redis_is_away_waits_and_takes_the_lock(monkeypatch, caplog):
    pauses = []
    monkeypatch.setattr(beat.time, "sleep", pauses.append)
    scheduler = beat.SingleBeatScheduler.__new__(beat.SingleBeatScheduler)
    scheduler.app = SimpleNamespace(conf={"beat_lock_wait": False})  # even one told not to wait
    scheduler.lock = FlakyLock(failures=3)
    scheduler._wait_for_lock()
    assert pauses == [2.0, 2.0, 2.0]
    assert "Redis unreachable" in caplog.text and "another beat is running" not in caplog.text
    assert "holding the beat lock" in caplog.text
