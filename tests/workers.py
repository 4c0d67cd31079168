"""What the end-to-end tests that start real Celery processes share: Redis and the test database."""

from pathlib import Path

import redis
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
REDIS = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def shared_database_url() -> str:
    """DATABASE_URL of the test database, so a worker process sees the rows the test commits."""
    database = connection.settings_dict
    return (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
