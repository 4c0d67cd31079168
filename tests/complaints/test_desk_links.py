"""The desk's top bar: the pages other apps register in complaints.extensions, and who sees them."""

import pytest
from django.utils.translation import gettext_lazy as _

from complaints import extensions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def top_bar(client) -> str:
    page = client.get("/desk/").content.decode()
    return page.split("<nav", 1)[1].split("</nav>", 1)[0]


def test_every_app_page_is_in_the_top_bar_with_its_address(client, agent):
    client.force_login(agent)
    bar = top_bar(client)
    for label, address in [
        ("Log a phone call", "/intake/phone/"),
        ("External cases", "/desk/external-cases/"),
        ("Major incidents", "/desk/incidents/"),
        ("Quality inspection", "/desk/quality/"),
    ]:
        assert f'<a href="{address}">{label}</a>' in bar


def test_the_top_bar_reads_in_chinese(client, agent, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(agent)
    bar = top_bar(client)
    assert "重大故障" in bar


def test_a_link_only_some_users_may_follow_is_shown_only_to_them(client, agent, supervisor, monkeypatch):
    monkeypatch.setattr(extensions, "DESK_LINKS", list(extensions.DESK_LINKS))
    extensions.register_desk_link(_("Reports"), "desk:queue", visible=lambda user: user.pk == supervisor.pk)
    extensions.register_desk_link(_("Reports again"), "desk:queue")  # one link per page

    client.force_login(agent)
    assert ">Reports</a>" not in top_bar(client)
    client.force_login(supervisor)
    assert top_bar(client).count(">Reports") == 1
