"""Django's Redis cache, failing open: while Redis is unreachable it behaves as an empty cache that keeps
nothing, instead of raising into the request.

Everything the desk keeps in the cache can be recomputed or forgiven for the seconds Redis restarts:
rate limits and the API's throttles count from one again (an outage does not refuse customers),
queue counts and the configuration version are read from the database, the chat's socket counts
start over. So `get` answers the default, `add` stores (nothing was there), `incr` finds no key
(ValueError, as for an expired counter) and writes are dropped. A warning is logged at most every
LOG_EVERY seconds per process.
"""

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
LOG_EVERY = 10.0
_logged_at = [float("-inf")]


def _fail_open(answer: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Call the real method; when Redis is unreachable, log (throttled) and return answer(*args)."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(self: "FailOpenRedisCache", *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                if time.monotonic() - _logged_at[0] >= LOG_EVERY:
                    _logged_at[0] = time.monotonic()
                    logger.warning("cache: Redis unreachable, answering as an empty cache: %s", exc)
                return answer(*args, **kwargs)

        return call

    return wrap


def _default(key: str, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


def _missing_counter(*args: Any, **kwargs: Any) -> int:
    raise ValueError("Key not found (the cache is unreachable).")


class FailOpenRedisCache(RedisCache):
    get = _fail_open(_default)(RedisCache.get)
    get_many = _fail_open(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _fail_open(lambda *a, **k: False)(RedisCache.has_key)
    add = _fail_open(lambda *a, **k: True)(RedisCache.add)
    set = _fail_open(lambda *a, **k: None)(RedisCache.set)
    set_many = _fail_open(lambda *a, **k: [])(RedisCache.set_many)
    touch = _fail_open(lambda *a, **k: False)(RedisCache.touch)
    delete = _fail_open(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _fail_open(lambda *a, **k: None)(RedisCache.delete_many)
    incr = _fail_open(_missing_counter)(RedisCache.incr)
    clear = _fail_open(lambda *a, **k: False)(RedisCache.clear)
