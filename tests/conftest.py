from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import translation

from tests.factories import AgentFactory, SupervisorFactory, TeamFactory


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own media folder, an empty cache (rate limits, tokens) and the default
    language (a request or an e-mail in Chinese must not leak its language into the next test)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)
    yield
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def team(db):
    return TeamFactory(slug="customer-service", name_zh="客服部", name_en="Customer service")


@pytest.fixture
def agent(team):
    return AgentFactory(team=team)


@pytest.fixture
def supervisor(db):
    return SupervisorFactory()


@pytest.fixture(autouse=True)
def _sequences_follow_restored_rows(request):
    """After a transactional test's database is flushed and the migrations' rows restored
    (serialized_rollback), PostgreSQL's sequences would hand out ids those rows already hold.
    Move every sequence past the highest id so the test can create rows."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
            cursor.execute(statement)


@pytest.fixture
def deliveries(monkeypatch):
    """send_delivery jobs queued on commit are recorded here; `run()` performs them as the worker would."""
    from channels_intake import outbound, tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.send_delivery, "delay", lambda delivery_id: queued.append(delivery_id))

    def run() -> None:
        while queued:
            outbound.send_delivery(delivery_id=queued.pop(0))

    return SimpleNamespace(queued=queued, run=run)
