"""Per-source figures, the CSV and XLSX export in the source's field order, the dashboard list."""

import csv
import io

import pytest
import time_machine

from complaints.models import ExportRecord
from external_cases import reports, services
from external_cases.models import ExternalCase, ReportBack
from tests.complaints.test_exports import read_xlsx

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


ODR_COLUMNS = [
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


def exported(user, source, file_format: str = "csv") -> list[list[str]]:
    response = reports.export_response(
        user=user,
        source=source,
        start=sh(2026, 9, 1, 0, 0),
        end=sh(2026, 10, 1, 0, 0),
        file_format=file_format,
    )
    if file_format == "xlsx":
        return read_xlsx(response)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # Excel opens the Chinese text
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_export_has_the_sources_fields_in_its_order(two_cases, boss, odr, file_format):
    rows = exported(boss, odr, file_format)
    assert rows[0] == ODR_COLUMNS
    assert [row[1] for row in rows[1:]] == ["ODR-1", "ODR-2"]
    assert [row[5] for row in rows[1:]] == ["yes", "no"]
    assert rows[1][8] == ODR_VALUES["process"]
    assert rows[1][2] == "2026-09-25 10:00"  # local time
    record = ExportRecord.objects.get()
    assert (record.user, record.file_format, record.row_count) == (boss, file_format, 2)
    assert record.subject == "external_cases:12315-odr"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_export_in_chinese_has_chinese_headings(two_cases, boss, odr, file_format):
    from django.utils import translation

    with translation.override("zh-hans"):
        rows = exported(boss, odr, file_format)
    assert rows[0][:2] == ["工单", "外部案件编号"]
    assert "协商过程" in rows[0]


def test_a_value_that_could_run_as_a_formula_is_neutralised_in_both_formats(two_cases, boss, odr):
    ReportBack.objects.filter(case=two_cases[0]).update(values={**ODR_VALUES, "process": "=HYPERLINK(1)"})
    assert exported(boss, odr, "csv")[1][8] == "'=HYPERLINK(1)"
    assert exported(boss, odr, "xlsx")[1][8] == "'=HYPERLINK(1)"


def test_the_report_page_offers_csv_and_xlsx_of_the_period_shown(two_cases, boss, client):
    client.force_login(boss)
    page = client.get("/desk/external-cases/report/", {"start": "2026-09-01", "end": "2026-09-30"})
    html = page.content.decode()
    link = "/desk/external-cases/export/?source=12315-odr&amp;start=2026-09-01&amp;end=2026-09-30"
    assert link in html and f"{link}&amp;file_format=xlsx" in html
    download = client.get(
        "/desk/external-cases/export/",
        {"source": "12315-odr", "start": "2026-09-01", "end": "2026-09-30", "file_format": "xlsx"},
    )
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "external-cases-12315-odr-20260901-20260930.xlsx" in download["Content-Disposition"]
    assert [row[1] for row in read_xlsx(download)[1:]] == ["ODR-1", "ODR-2"]


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
