import pytest

from tests.factories import AgentFactory, TeamFactory

from .factories import inspector, scorecard


@pytest.fixture
def card(db):
    return scorecard()


@pytest.fixture
def team(db):
    return TeamFactory(slug="billing", name_zh="计费部", name_en="Billing")


@pytest.fixture
def agent(team):
    return AgentFactory(username="wang-fang", first_name="芳", last_name="王", team=team)


@pytest.fixture
def lead(team):
    return AgentFactory(username="lead-li", team=team, team__role="lead")


@pytest.fixture
def qa(db):
    return inspector("qa-zhao")
