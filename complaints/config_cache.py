"""Per-process copies of the desk's configuration: routing rules, categories, teams, SLA policies, calendars.

Opening a ticket reads all of them, and they change only when a supervisor edits them. Each
process keeps what it loaded together with the configuration version it saw. Any ORM write to a
configuration model (save, delete, and `ConfigQuerySet`'s update and bulk writes) bumps the
version in the cache every process shares once its transaction commits, so every process
reloads on its next use. A transaction that has changed configuration and not yet committed
reads the database directly and keeps nothing, so a rollback leaves no trace. A change made
behind the ORM's back (raw SQL, a migration in another process) is seen within MAX_AGE seconds.
"""

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

VERSION_KEY = "complaints:config-version"
MAX_AGE = 60.0

# name → (version, monotonic time loaded, value)
_loaded: dict[str, tuple[str, float, Any]] = {}


# The version read once for a whole operation (see `one_version`); None outside one.
_scope_version: ContextVar[str | None] = ContextVar("config_cache_scope_version", default=None)


def cached[T](name: str, load: Callable[[], T]) -> T:
    """`load()`'s result, kept per process until the configuration changes (or MAX_AGE passes)."""
    if _changed_in_open_transaction():
        return load()
    version = _scope_version.get() or _shared_version()
    if version is None:  # the shared cache is down: correct but slower, straight from the database
        return load()
    entry = _loaded.get(name)
    now = time.monotonic()
    if entry is not None and entry[0] == version and now - entry[1] < MAX_AGE:
        return entry[2]
    value = load()
    _loaded[name] = (version, now, value)
    return value


@contextmanager
def one_version() -> Iterator[None]:
    """Read the shared version once for everything `cached` serves inside (opening a ticket reads
    routing, policies and calendars: one cache round trip instead of one each)."""
    if _scope_version.get() is not None:
        yield
        return
    token = _scope_version.set(_shared_version())
    try:
        yield
    finally:
        _scope_version.reset(token)


def _shared_version() -> str | None:
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(VERSION_KEY)
    except Exception:
        logger.warning("Configuration cache unavailable; reading the configuration from the database")
        return None
    return version


def clear() -> None:
    """Forget this process's copies (tests: a flushed database sends no signals)."""
    _loaded.clear()


def _bump_version() -> None:
    _loaded.clear()
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("Configuration cache unavailable; other processes see the change within %ss", MAX_AGE)


def _changed_in_open_transaction(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this connection's open transaction changed configuration (its bump still waits for commit)."""
    pending = getattr(connections[using], "run_on_commit", ())
    return any(callback is _bump_version for _savepoints, callback, *_rest in pending)


def configuration_changed(*, using: str | None = None, **kwargs: object) -> None:
    """Receiver for writes to configuration models; also called by ConfigQuerySet's bulk writes."""
    using = using or DEFAULT_DB_ALIAS
    _loaded.clear()
    if not _changed_in_open_transaction(using):  # one bump per transaction is enough
        transaction.on_commit(_bump_version, using=using)


class ConfigQuerySet(models.QuerySet):
    """The manager of a configuration model: writes that send no signals still invalidate the copies."""

    def update(self, **kwargs: Any) -> int:
        rows = super().update(**kwargs)
        configuration_changed(using=self.db)
        return rows

    def delete(self) -> tuple[int, dict[str, int]]:
        result = super().delete()
        configuration_changed(using=self.db)
        return result

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list:
        created = super().bulk_create(objs, *args, **kwargs)
        configuration_changed(using=self.db)
        return created

    def bulk_update(self, objs: Any, *args: Any, **kwargs: Any) -> int:
        rows = super().bulk_update(objs, *args, **kwargs)
        configuration_changed(using=self.db)
        return rows


def watch(*config_models: type[models.Model]) -> None:
    """Connect the invalidation receivers for these models (called from the apps' ready())."""
    for model in config_models:
        label = model._meta.label_lower
        post_save.connect(configuration_changed, sender=model, dispatch_uid=f"config_cache.save.{label}")
        post_delete.connect(configuration_changed, sender=model, dispatch_uid=f"config_cache.delete.{label}")
