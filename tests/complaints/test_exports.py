"""complaints.exports: downloads that stream, are recorded, and never carry a live formula."""

import csv
import io
import re
import zipfile
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

import pytest
from defusedxml import ElementTree
from django.contrib.auth.models import Permission
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from complaints import exports
from complaints.models import ExportRecord
from complaints.states import Status
from tests.factories import CustomerFactory, TicketFactory, UserFactory

DANGEROUS = ['=HYPERLINK("http://evil.example","x")', "+1", "-2", "@x", "\tx", "\rx"]
SHEET_NS = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
OOXML_ESCAPE = re.compile(r"_x([0-9A-F]{4})_")


def sheet_text(element: Element) -> str:
    """The text of a string cell, with OOXML's _xHHHH_ escapes (control characters) decoded."""
    text = "".join(t.text or "" for t in element.iter(f"{{{SHEET_NS['s']}}}t"))
    return OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def read_csv(response: StreamingHttpResponse) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the BOM to read UTF-8 (Chinese) correctly"
    return list(csv.reader(io.StringIO(text[1:])))


def column_index(reference: str) -> int:
    """0 for A1, 1 for B7, 26 for AA3."""
    index = 0
    for letter in reference.rstrip("0123456789"):
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def read_xlsx(response: FileResponse) -> list[list[str]]:
    """The first sheet's cells as text, read with the standard library (inline and shared strings)."""
    content = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = [sheet_text(si) for si in root]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iterfind(".//s:sheetData/s:row", SHEET_NS):
        cells: dict[int, str] = {}
        for cell in row.iterfind("s:c", SHEET_NS):
            kind = cell.get("t")
            assert cell.find("s:f", SHEET_NS) is None, "no cell may hold a formula"
            if kind == "inlineStr":
                value = sheet_text(cell)
            elif kind == "s":
                value = shared[int(cell.find("s:v", SHEET_NS).text)]
            else:
                value = cell.find("s:v", SHEET_NS).text
            cells[column_index(cell.get("r"))] = value
        rows.append([cells.get(i, "") for i in range(max(cells, default=-1) + 1)])
    return rows


def export(user, file_format: str, rows, **kwargs):
    return exports.export_response(
        user=user,
        subject="tickets",
        filters={"status__exact": "new", "since": datetime(2026, 1, 1, tzinfo=UTC)},
        headers=["Subject", "Count"],
        rows=rows,
        file_format=file_format,
        filename="tickets",
        **kwargs,
    )


@pytest.mark.django_db
def test_csv_is_streamed_with_bom_and_neutralised_formulas(supervisor):
    response = export(supervisor, "csv", ([text, 1] for text in DANGEROUS))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == 'attachment; filename="tickets.csv"'
    record = ExportRecord.objects.get()
    assert record.row_count is None, "the count is known only once the stream has ended"
    rows = read_csv(response)
    assert rows[0] == ["Subject", "Count"]
    assert [row[0] for row in rows[1:]] == ["'" + text for text in DANGEROUS]
    record.refresh_from_db()
    assert record.row_count == len(DANGEROUS)
    assert record.filters == {"status__exact": "new", "since": "2026-01-01T00:00:00Z"}
    assert (record.user, record.subject, record.file_format) == (supervisor, "tickets", "csv")


@pytest.mark.django_db
def test_xlsx_holds_only_text_and_numbers_never_formulas(supervisor):
    response = export(supervisor, "xlsx", [[text, -3] for text in DANGEROUS] + [["投诉 正常", 2]])
    assert isinstance(response, FileResponse)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = read_xlsx(response)
    assert rows[0] == ["Subject", "Count"]
    assert [row[0] for row in rows[1:-1]] == ["'" + text for text in DANGEROUS]
    assert rows[-1] == ["投诉 正常", "2"]
    assert rows[1][1] == "-3", "a real number stays a number"
    assert ExportRecord.objects.get().row_count == len(DANGEROUS) + 1


@pytest.mark.django_db
def test_times_are_written_in_the_active_time_zone(supervisor):
    moment = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    with timezone.override("Asia/Shanghai"):
        response = export(supervisor, "csv", iter([["x", moment]]))
    assert read_csv(response)[1] == ["x", "2026-03-01 09:30"]


@pytest.mark.django_db
def test_an_empty_export_still_records_zero_rows(supervisor):
    b"".join(export(supervisor, "csv", iter([])).streaming_content)
    b"".join(export(supervisor, "xlsx", iter([])).streaming_content)
    assert list(ExportRecord.objects.values_list("row_count", flat=True)) == [0, 0]


@pytest.mark.django_db
def test_unknown_format_is_refused(supervisor):
    with pytest.raises(ValueError):
        export(supervisor, "pdf", [])
    assert not ExportRecord.objects.exists()


# --- the ticket export of the console ------------------------------------------------------------


def export_url(file_format: str) -> str:
    return reverse("admin:complaints_ticket_export", args=[file_format])


def column(rows: list[list[str]], name: str) -> list[str]:
    index = rows[0].index(name)
    return [row[index] if index < len(row) else "" for row in rows[1:]]


@pytest.fixture
def plain_supervisor(client):
    """Staff who may read and export tickets but not see contact data in full."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_ticket", "export_tickets"], content_type__app_label="complaints"
        )
    )
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_export_link_downloads_exactly_the_filtered_list_with_full_contact_for_supervisors(
    client, supervisor
):
    client.force_login(supervisor)
    wanted = TicketFactory(
        subject='=HYPERLINK("http://evil.example","click")',
        customer=CustomerFactory(name="王小明", email="wang@example.com", phone="13812345678"),
    )
    TicketFactory(status=Status.CLOSED)
    response = client.get(export_url("csv"), {"status__exact": "new"})
    assert isinstance(response, StreamingHttpResponse)
    rows = read_csv(response)
    assert column(rows, "reference") == [wanted.reference]
    assert column(rows, "subject") == ['\'=HYPERLINK("http://evil.example","click")']
    assert column(rows, "customer e-mail") == ["wang@example.com"]
    assert column(rows, "customer phone") == ["13812345678"]
    assert column(rows, "customer name") == ["王小明"]
    assert column(rows, "created") == [timezone.localtime(wanted.created_at).strftime("%Y-%m-%d %H:%M")]
    assert column(rows, "status") == ["New"]
    record = ExportRecord.objects.get()
    assert (record.user, record.subject, record.included_pii, record.row_count) == (
        supervisor,
        "tickets",
        True,
        1,
    )
    assert record.filters == {"status__exact": "new"}


@pytest.mark.django_db
def test_export_masks_contact_for_staff_without_the_pii_permission(client, plain_supervisor):
    TicketFactory(customer=CustomerFactory(name="王小明", email="wang@example.com", phone="13812345678"))
    rows = read_csv(client.get(export_url("csv")))
    assert column(rows, "customer phone") == ["138****5678"]
    assert "wang@example.com" not in column(rows, "customer e-mail")[0]
    assert "王小明" not in column(rows, "customer name")[0]
    assert ExportRecord.objects.get().included_pii is False


@pytest.mark.django_db
def test_export_follows_the_changelist_search(client, plain_supervisor):
    wanted = TicketFactory(customer=CustomerFactory(email="find.me@example.com"))
    TicketFactory.create_batch(3)
    rows = read_csv(client.get(export_url("csv"), {"q": "find.me@example.com"}))
    assert column(rows, "reference") == [wanted.reference]
    assert ExportRecord.objects.get().filters == {"q": "f***@example.com"}, (
        "the audit row holds no contact in clear"
    )


@pytest.mark.django_db
def test_export_selected_as_xlsx_neutralises_every_dangerous_subject(client, supervisor):
    client.force_login(supervisor)
    dangerous = ["+1", "-2", "@x", "\tx", "=1+1"]
    selected = [TicketFactory(subject=subject) for subject in dangerous]
    TicketFactory(subject="not selected")
    response = client.post(
        "/admin/complaints/ticket/",
        {"action": "export_selected_xlsx", "_selected_action": [t.pk for t in selected]},
    )
    assert isinstance(response, FileResponse)
    rows = read_xlsx(response)
    assert sorted(column(rows, "subject")) == sorted("'" + subject for subject in dangerous)
    record = ExportRecord.objects.get()
    assert record.file_format == "xlsx" and record.row_count == len(dangerous)
    assert record.filters["selected"] == sorted(t.pk for t in selected)


@pytest.mark.django_db
def test_export_needs_the_export_permission(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client.force_login(viewer)
    TicketFactory()
    assert client.get(export_url("csv")).status_code == 403
    response = client.post(
        "/admin/complaints/ticket/", {"action": "export_selected_csv", "_selected_action": [1]}
    )
    assert not isinstance(response, StreamingHttpResponse)
    assert not ExportRecord.objects.exists()
