"""config.cache.FailOpenRedisCache: with Redis unreachable the cache answers as an empty one, so a rate
limit, a throttle and a cached count go on working (from the database, counting from one)."""

import pytest
from django.core.cache.backends.redis import RedisCache

from channels_intake.customer import ratelimit
from config.cache import FailOpenRedisCache
from tests.workers import redis_answers


@pytest.fixture
def unreachable() -> FailOpenRedisCache:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    return FailOpenRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})


def test_an_unreachable_redis_answers_as_an_empty_cache(unreachable, caplog):
    assert unreachable.get("missing", "default") == "default"
    assert unreachable.get_many(["a", "b"]) == {}
    assert unreachable.add("counter", 1, timeout=10) is True
    with pytest.raises(ValueError):
        unreachable.incr("counter")
    assert unreachable.get_or_set("counts", lambda: {"mine": 3}, 30) == {"mine": 3}
    unreachable.set("x", 1)
    unreachable.delete("x")
    assert unreachable.touch("x") is False
    assert "Redis unreachable" in caplog.text


def test_the_plain_redis_cache_raises_where_this_one_does_not():
    from redis.exceptions import ConnectionError as RedisConnectionError

    plain = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    with pytest.raises(RedisConnectionError):
        plain.get("missing")


def test_a_rate_limit_lets_customers_through_while_redis_is_away(unreachable, monkeypatch):
    monkeypatch.setattr(ratelimit, "cache", unreachable)
    limit = ratelimit.Limit(scope="submit", subject="203.0.113.9", count=1, window=60)
    assert all(ratelimit.hit(limit).allowed for _ in range(3))


@pytest.mark.skipif(not redis_answers(), reason="needs Redis at 127.0.0.1:6379")
def test_with_redis_up_it_is_the_ordinary_redis_cache():
    cache = FailOpenRedisCache("redis://127.0.0.1:6379/7", {"KEY_PREFIX": "fail-open-test"})
    cache.set("k", 41, timeout=10)
    assert cache.incr("k") == 42
    assert cache.add("k", 0) is False
    cache.delete("k")
