"""The workspace's queries: one EXISTS tells the apps' panels and badges whether they have anything for
the ticket, so a ticket with nothing of theirs costs them no reads; what they show does not change."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import services
from tests.factories import TicketFactory
from tests.feedback.test_desk_queue import visit_on

pytestmark = pytest.mark.django_db

# Apps' tables the workspace of a ticket without any of their rows must not read beyond the EXISTS.
QUIET_TABLES = (
    "feedback_returnvisit",
    "remedies_remedy",
    "handoffs_handoff",
    "external_cases_externalcase",
    "external_cases_escalationrisk",
    "assist_assistsuggestion",
    "incidents_incidentlink",
)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def ticket(team, agent):
    return TicketFactory(team=team, assignee=agent, language="en")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def url(ticket) -> str:
    return f"/desk/tickets/{ticket.reference}/"


def _queries_of(client, ticket) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url(ticket)).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_apps_with_nothing_for_the_ticket_read_nothing_but_the_shared_exists(signed_in, ticket, agent):
    for n in range(15):
        services.add_message(ticket_id=ticket.pk, actor=agent, kind="note", body=f"note {n}")
    signed_in.get(url(ticket))
    sql = _queries_of(signed_in, ticket)
    exists = [q for q in sql if q.startswith("SELECT EXISTS")]
    assert len(exists) == 1, exists  # every app's question in the one query
    reading = [q for q in sql if q not in exists and any(f'"{table}"' in q for table in QUIET_TABLES)]
    assert reading == []
    # Was 34 before the shared EXISTS and the cached root causes. In tests the configuration cache
    # is bypassed (the test's own transaction changed configuration), so categories, teams, root
    # causes, articles and canned replies for assist are read here and not in a warm process.
    assert len(sql) <= 23, "\n".join(sql)


def test_a_return_visit_still_shows_its_panel(signed_in, ticket):
    visit_on(ticket)
    html = signed_in.get(url(ticket)).content.decode()
    assert "Return visits" in html and "Record the outcome" in html


def test_without_a_return_visit_there_is_no_panel(signed_in, ticket):
    assert "Return visits" not in signed_in.get(url(ticket)).content.decode()
