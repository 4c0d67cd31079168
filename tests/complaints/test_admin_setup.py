"""The set-up checklist on the admin index of a fresh install (no seed_demo): shown to supervisors
while teams, members, routing or an SLA policy are missing, each step linking to its admin page and
ticked once done; gone when every required step is done."""

import pytest
from django.urls import reverse

from complaints.models import RoutingRule, Team
from sla.models import SlaPolicy
from tests.factories import AgentFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

INDEX = "/admin/"


@pytest.fixture
def fresh_install(db):
    """What migrate leaves behind: reference data and default SLA policies, but no team and no rule."""
    RoutingRule.objects.all().delete()
    Team.objects.all().delete()


def _steps(response) -> dict[str, dict]:
    checklist = response.context["setup_checklist"]
    return {step["key"]: step for step in checklist} if checklist else {}


def test_a_fresh_install_shows_the_checklist_with_links_that_fix_each_step(client, supervisor, fresh_install):
    client.force_login(supervisor)
    response = client.get(INDEX)
    steps = _steps(response)
    assert list(steps) == ["teams", "members", "routing", "mailbox", "sla_policy"]
    assert {key: step["done"] for key, step in steps.items()} == {
        "teams": False,
        "members": False,
        "routing": False,
        "mailbox": False,
        "sla_policy": True,  # the migrations install the default policies
    }
    assert steps["teams"]["href"] == reverse("admin:complaints_team_add")
    assert steps["routing"]["href"] == reverse("admin:complaints_routingrule_add")
    assert steps["mailbox"]["href"] == reverse("admin:channels_intake_mailbox_add")
    assert steps["sla_policy"]["href"] == reverse("admin:sla_slapolicy_add")
    assert not steps["mailbox"]["required"]
    html = response.content.decode()
    assert 'id="console-setup"' in html
    assert f'href="{reverse("admin:complaints_team_add")}">Create the teams</a>' in html
    for href in (step["href"] for step in steps.values()):
        assert client.get(href).status_code == 200, href


def test_steps_are_ticked_as_they_are_done_and_the_list_goes_when_the_required_ones_are(
    client, supervisor, fresh_install
):
    client.force_login(supervisor)
    team = TeamFactory()
    steps = _steps(client.get(INDEX))
    assert (steps["teams"]["done"], steps["members"]["done"]) == (True, False)
    assert 'class="console-step-done" data-step="teams"' in client.get(INDEX).content.decode()

    AgentFactory(team=team)
    RoutingRule.objects.create(name="Everything to the team", set_team=team)
    response = client.get(INDEX)
    assert response.context["setup_checklist"] is None  # the mailbox is optional
    assert 'id="console-setup"' not in response.content.decode()

    SlaPolicy.objects.update(is_active=False)
    assert _steps(client.get(INDEX))["sla_policy"]["done"] is False


def test_staff_who_are_not_supervisors_do_not_see_it(client, fresh_install):
    clerk = UserFactory(is_staff=True)
    client.force_login(clerk)
    response = client.get(INDEX)
    assert response.status_code == 200
    assert response.context["setup_checklist"] is None
    assert 'id="console-setup"' not in response.content.decode()
