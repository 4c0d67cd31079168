import pytest
from django.core.cache import cache

from tests.factories import AgentFactory, SupervisorFactory, TeamFactory


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own media folder and an empty cache (rate limits, tokens)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team(db):
    return TeamFactory(slug="customer-service", name_zh="客服部", name_en="Customer service")


@pytest.fixture
def agent(team):
    return AgentFactory(team=team)


@pytest.fixture
def supervisor(db):
    return SupervisorFactory()
