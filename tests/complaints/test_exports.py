"""complaints.exports: downloads that stream, are recorded, and never carry a live formula."""

import csv
import io
import re
import zipfile
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

import pytest
from defusedxml import ElementTree
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from complaints import exports
from complaints.models import ExportRecord

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
        cells = []
        for cell in row.iterfind("s:c", SHEET_NS):
            kind = cell.get("t")
            assert cell.find("s:f", SHEET_NS) is None, "no cell may hold a formula"
            if kind == "inlineStr":
                cells.append(sheet_text(cell))
            elif kind == "s":
                cells.append(shared[int(cell.find("s:v", SHEET_NS).text)])
            else:
                cells.append(cell.find("s:v", SHEET_NS).text)
        rows.append(cells)
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
