import pytest

from chat import services
from chat.models import AgentPresence
from tests.factories import AgentFactory, CategoryFactory, TeamFactory


@pytest.fixture(autouse=True)
def _in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _orm_on_the_test_thread(monkeypatch):
    """In-process consumer tests run the ORM on the test's own thread (channels' default), so no pool
    thread keeps a connection to the test database open (PostgreSQL could not drop it at the end).
    The thread pool the servers use is exercised by the browser, Redis and bench runs."""
    from channels.db import database_sync_to_async

    from chat import batching, consumers

    monkeypatch.setattr(consumers, "database_sync_to_async", database_sync_to_async)
    monkeypatch.setattr(batching, "in_thread", database_sync_to_async)


@pytest.fixture
def chat_team(db):
    return TeamFactory(slug="chat-team", name_zh="在线客服", name_en="Chat team")


@pytest.fixture
def topic(chat_team):
    return CategoryFactory(slug="chat-billing", name_zh="账单", name_en="Billing", default_team=chat_team)


@pytest.fixture
def chat_agent(chat_team):
    user = AgentFactory(team=chat_team, first_name="Li", last_name="Wei")
    AgentPresence.objects.create(user=user, status=AgentPresence.Status.ONLINE, connections=1)
    return user


def start(topic, **overrides):
    values = {
        "name": "王芳",
        "email": "wang@example.com",
        "phone": "",
        "topic": topic,
        "language": "en",
        "ip": "10.0.0.9",
    }
    return services.start_chat(**(values | overrides)).chat
