"""The public transparency page and API: small cells hidden, sections as a supervisor chose, nothing from a ticket."""

from datetime import datetime

import pytest
from django.utils import timezone

from complaints.models import Ticket
from quality import transparency
from quality.models import CorrectiveAction, TransparencySettings
from tests.factories import CategoryFactory, CustomerFactory, RootCauseFactory, TicketFactory

from .factories import resolution

pytestmark = pytest.mark.django_db
ZONE = timezone.get_fixed_timezone(8 * 60)
NOW = datetime(2026, 3, 20, 12, tzinfo=ZONE)


def _opened(n: int, when: datetime, **kwargs) -> list[Ticket]:
    tickets = []
    for i in range(n):
        ticket = TicketFactory(subject=f"Secret subject {i}", description="私密内容 private text", **kwargs)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=when)
        tickets.append(ticket)
    return tickets


@pytest.fixture
def data(time_machine, supervisor):
    time_machine.move_to(NOW, tick=False)
    billing = CategoryFactory(slug="billing-t", name_zh="计费", name_en="Billing")
    network = CategoryFactory(slug="network-t", name_zh="网络", name_en="Network")
    customer = CustomerFactory(name="李雷")
    march = _opened(12, datetime(2026, 3, 5, tzinfo=ZONE), category=billing, customer=customer)
    _opened(3, datetime(2026, 3, 6, tzinfo=ZONE), category=network)
    _opened(4, datetime(2026, 2, 6, tzinfo=ZONE), category=billing)
    cause = RootCauseFactory(slug="tariff", name_zh="资费说明不清", name_en="Unclear tariff")
    for ticket in march:
        resolution(ticket)
        ticket.resolutions.update(root_cause=cause)
    CorrectiveAction.objects.create(
        title="Internal: rewrite bill",
        problem="internal problem text",
        root_cause=cause,
        action="internal",
        owner=supervisor,
        due_date=NOW.date(),
        is_public=True,
        public_summary_zh="账单资费说明已改写",
        public_summary_en="The bill now explains the tariff",
    )
    transparency.compute_snapshot()
    return march


def test_small_cells_are_hidden_and_large_ones_shown(client, data):
    page = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    figures = page.context["figures"]
    march = next(row for row in figures["months"] if row["month"] == "2026-03-01")
    february = next(row for row in figures["months"] if row["month"] == "2026-02-01")
    assert march["received"] == 15 and february["received"] is None
    categories = {c["name"]: c["months"] for c in figures["categories"]}
    assert categories["Billing"][-1] == 12
    assert categories["Billing"][-2] is None  # February's 4
    assert "Network" not in categories  # never at 10 or more
    assert "Unclear tariff" in page.text and "The bill now explains the tariff" in page.text


def test_the_page_never_shows_a_reference_a_name_or_ticket_text(client, data):
    for language in ("en", "zh-hans"):
        page = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE=language).text
        api = client.get("/api/v1/transparency/", HTTP_ACCEPT_LANGUAGE=language).text
        for text in (page, api):
            assert "CMP-" not in text
            assert "李雷" not in text and "Secret subject" not in text and "private text" not in text
            assert "internal problem text" not in text and "Internal: rewrite bill" not in text


def test_the_api_is_public_and_gives_the_figures_of_the_page(client, data):
    answer = client.get("/api/v1/transparency/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 200
    body = answer.json()
    page = client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="zh-hans").context["figures"]
    assert body == page
    assert body["causes"][0]["name"] == "资费说明不清"


def test_a_supervisor_chooses_the_public_sections(client, data):
    TransparencySettings.objects.filter(pk=1).update(show_causes=False, show_satisfaction=False)
    body = client.get("/api/v1/transparency/").json()
    assert "causes" not in body and "causes" not in body["sections"]
    assert "satisfied" not in body["months"][0] and "received" in body["months"][0]
    assert "Unclear tariff" not in client.get("/transparency/", HTTP_ACCEPT_LANGUAGE="en").text


def test_the_page_reads_only_the_snapshot(client, data, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        client.get("/transparency/")


def test_the_home_page_links_to_the_figures(client, db):
    assert 'href="/transparency/"' in client.get("/").text
