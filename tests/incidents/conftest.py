from types import SimpleNamespace

import pytest

from complaints import services
from complaints.models import RoutingRule, Ticket
from incidents import tasks
from tests.factories import AgentFactory, CategoryFactory, RootCauseFactory, TeamFactory

TASKS = [
    "deliver_update",
    "resolve_linked",
    "tell_linked",
    "notify_surge",
    "detect_surges",
    "warn_steps",
    "warn_late_updates",
]


@pytest.fixture(autouse=True)
def _no_routing_rules(db):
    """Tickets keep the team their category gives them."""
    RoutingRule.objects.update(is_active=False)


@pytest.fixture(autouse=True)
def worker(monkeypatch):
    """The incidents tasks queued (on commit) are recorded here; `run()` performs them as a worker would."""
    queued: list[tuple[str, tuple]] = []
    for name in TASKS:
        monkeypatch.setattr(
            getattr(tasks, name), "delay", lambda *args, _name=name: queued.append((_name, args))
        )

    def run() -> None:
        while queued:
            name, args = queued.pop(0)
            getattr(tasks, name).run(*args)

    return SimpleNamespace(queued=queued, run=run)


@pytest.fixture
def category(team):
    return CategoryFactory(
        slug="network-test", name_zh="网络质量", name_en="Network quality", default_team=team
    )


@pytest.fixture
def other_team(db):
    return TeamFactory(slug="billing-team", name_zh="账务组", name_en="Billing")


@pytest.fixture
def other_agent(other_team):
    return AgentFactory(team=other_team)


@pytest.fixture
def cause(db):
    return RootCauseFactory(slug="base-station-failure", name_zh="基站故障", name_en="Base station failure")


@pytest.fixture
def open_ticket(category):
    """Open a ticket through the complaint services, as a customer on the web form would."""
    counter = iter(range(10_000))

    def opener(**extra) -> Ticket:
        n = next(counter)
        opened = services.open_ticket(
            actor=None,
            channel=extra.pop("channel", Ticket.Channel.WEB),
            customer=services.CustomerDetails(
                name="张三", email=extra.pop("email", f"c{n}@example.com"), phone=""
            ),
            subject=extra.pop("subject", "海淀区宽带断网"),
            description=extra.pop("description", "从早上开始家里宽带无法上网，光猫红灯闪烁。"),
            category=extra.pop("category", category),
            **extra,
        )
        return Ticket.objects.get(pk=opened.ticket.pk)

    return opener
