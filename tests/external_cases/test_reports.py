"""Per-source figures, the CSV export in the source's field order, the dashboard list."""

import csv
import io

import pytest
import time_machine

from external_cases import reports, services
from external_cases.models import ExternalCase

from .conftest import ODR_VALUES, sh

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cases(open_ticket, odr, boss):
    on_time = services.register_case(
        ticket_id=open_ticket().pk, actor=boss, source=odr, number="ODR-1", received_at=sh(2026, 9, 25, 10, 0)
    )
    late = services.register_case(
        ticket_id=open_ticket(email="b@example.com", subject="二").pk,
        actor=boss,
        source=odr,
        number="ODR-2",
        received_at=sh(2026, 9, 25, 11, 0),
    )
    with time_machine.travel(sh(2026, 10, 9, 10, 0), tick=False):
        services.record_report_back(case_id=on_time.pk, actor=boss, values=ODR_VALUES, outcome="settled")
    with time_machine.travel(sh(2026, 10, 20, 11, 0), tick=False):
        services.record_report_back(
            case_id=late.pk, actor=boss, values={**ODR_VALUES, "result": "not_agreed"}, outcome="not_settled"
        )
    return on_time, late


def test_per_source_report_counts_on_time_rate_and_average_time(two_cases):
    rows = reports.source_report(
        cases=ExternalCase.objects.all(), start=sh(2026, 9, 1, 0, 0), end=sh(2026, 10, 1, 0, 0)
    )
    assert len(rows) == 1
    row = rows[0]
    assert (row["source"], row["cases"], row["reported"], row["on_time"]) == ("12315-odr", 2, 2, 1)
    assert row["on_time_rate"] == 50.0
    # 14 days and 25 days: 19.5 days on average.
    assert row["average_hours_to_report"] == 19.5 * 24
    assert row["outcomes"] == {"Not settled": 1, "Settled": 1}


def test_the_csv_export_has_the_sources_fields_in_its_order(two_cases, boss, odr):
    body = reports.export_csv(user=boss, source=odr, start=sh(2026, 9, 1, 0, 0), end=sh(2026, 10, 1, 0, 0))
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == [
        "Ticket",
        "External case number",
        "Received",
        "Report back by",
        "Reported back",
        "On time",
        "Outcome",
        "Handling time",
        "Negotiation process",
        "Negotiation method",
        "Negotiation result",
        "Recorded by",
    ]
    assert [row[1] for row in rows[1:]] == ["ODR-1", "ODR-2"]
    assert [row[5] for row in rows[1:]] == ["yes", "no"]
    assert rows[1][8] == ODR_VALUES["process"]


def test_the_export_in_chinese_has_chinese_headings(two_cases, boss, odr):
    from django.utils import translation

    with translation.override("zh-hans"):
        body = reports.export_csv(
            user=boss, source=odr, start=sh(2026, 9, 1, 0, 0), end=sh(2026, 10, 1, 0, 0)
        )
    assert "协商过程" in body.splitlines()[0]


def test_the_dashboard_lists_cases_due_in_the_next_48_hours(open_ticket, heimao, odr, boss, client):
    with time_machine.travel(sh(2026, 11, 2, 9, 0), tick=False):
        services.register_case(
            ticket_id=open_ticket().pk,
            actor=boss,
            source=heimao,
            number="HM-SOON",
            received_at=sh(2026, 11, 2, 8, 0),
        )
        services.register_case(
            ticket_id=open_ticket(email="x@example.com", subject="三").pk,
            actor=boss,
            source=odr,
            number="ODR-LATER",
            received_at=sh(2026, 11, 2, 8, 0),
        )
        client.force_login(boss)
        page = client.get("/admin/").content.decode()
    assert "HM-SOON" in page
    assert "ODR-LATER" not in page
