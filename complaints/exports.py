"""Every download from the console: tickets and reports, as CSV or XLSX, safe to open in a spreadsheet.

`export_response` is the one entry point. It writes one ExportRecord per download (who, what,
which filters, whether full contact data was included; the row count once the last row is out),
streams CSV row by row so a large list is never held in memory, writes XLSX in XlsxWriter's
constant-memory mode to a temporary file, and neutralises spreadsheet formulas in every text cell.
"""

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from itertools import islice

import xlsxwriter
from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import ExportRecord, Ticket

# A cell whose text starts with one of these may be run as a formula by a spreadsheet (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
UTF8_BOM = "\ufeff"
# Rows written per chunk of a streamed CSV: few enough to keep memory flat, enough to keep writes large.
CSV_CHUNK_ROWS = 500
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
FORMATS = {
    ExportRecord.Format.CSV: ("text/csv; charset=utf-8", ".csv"),
    ExportRecord.Format.XLSX: ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe before anything that could start a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def cell_text(value: object, tz: tzinfo) -> str:
    """One cell as the text a person reads: local times, empty for None, formulas neutralised."""
    if value is None:
        return ""
    if is_number(value):
        return str(value)
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, tz)
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def export_response(
    *,
    user: AbstractBaseUser,
    subject: str,
    filters: dict,
    headers: list[str],
    rows: Iterable[Sequence],
    file_format: str,
    included_pii: bool = False,
    filename: str,
) -> HttpResponse:
    """A download of `rows` under `headers`, recorded as an ExportRecord of `user`.

    `subject` names what is exported ("tickets", "report:sla" ...); `filters` are the filters or
    period that chose the rows, as the user set them (stored as JSON); `included_pii` says the rows
    hold full contact data. `rows` is consumed once, lazily for CSV: pass a generator over
    `queryset.iterator(chunk_size=2000)`. Values may be text, numbers, dates and aware datetimes
    (shown in the active time zone). `filename` gets the format's extension if it lacks it.
    Raises ValueError for an unknown `file_format`.
    """
    if file_format not in FORMATS:
        raise ValueError(f"unknown export format: {file_format!r}")
    content_type, extension = FORMATS[file_format]
    if not filename.lower().endswith(extension):
        filename += extension
    record = ExportRecord.objects.create(
        user=user,
        subject=subject[:100],
        file_format=file_format,
        filters=json.loads(json.dumps(filters, cls=DjangoJSONEncoder)),
        included_pii=included_pii,
    )
    headers = [str(header) for header in headers]
    if file_format == ExportRecord.Format.CSV:
        response = StreamingHttpResponse(_csv_stream(record, headers, rows), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        return response
    return FileResponse(
        _xlsx_file(record, headers, rows),
        as_attachment=True,
        filename=filename,
        content_type=content_type,
    )


def _finish(record: ExportRecord, row_count: int) -> None:
    record.row_count = row_count
    ExportRecord.objects.filter(pk=record.pk).update(row_count=row_count)


def _csv_stream(record: ExportRecord, headers: list[str], rows: Iterable[Sequence]) -> Iterator[str]:
    # The response is iterated after the view returned: keep the request's language and time zone.
    language, tz = translation.get_language(), timezone.get_current_timezone()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(header) for header in headers])
    yield UTF8_BOM + buffer.getvalue()
    rows = iter(rows)
    count = 0
    while True:
        buffer.seek(0)
        buffer.truncate()
        with translation.override(language), timezone.override(tz):
            chunk = list(islice(rows, CSV_CHUNK_ROWS))
            writer.writerows([cell_text(value, tz) for value in row] for row in chunk)
        if not chunk:
            break
        count += len(chunk)
        yield buffer.getvalue()
    _finish(record, count)


def _xlsx_file(record: ExportRecord, headers: list[str], rows: Iterable[Sequence]):
    """The workbook in an anonymous temporary file (gone once the response closes it)."""
    tz = timezone.get_current_timezone()
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet(str(record.subject).replace(":", " ")[:31] or "export")
    bold = workbook.add_format({"bold": True})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for column, header in enumerate(headers):
        sheet.write_string(0, column, neutralise(header), bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None:
                continue
            if is_number(value):
                sheet.write_number(count, column, value)
            elif isinstance(value, datetime):
                local = timezone.localtime(value, tz) if timezone.is_aware(value) else value
                sheet.write_datetime(count, column, local.replace(tzinfo=None), moment)
            elif isinstance(value, date):
                sheet.write_datetime(count, column, value, day)
            else:
                sheet.write_string(count, column, neutralise(str(value)))
    workbook.close()
    _finish(record, count)
    target.seek(0)
    return target


# --- tickets -------------------------------------------------------------------------------

TICKET_HEADERS = [
    _("reference"),
    _("created"),
    _("status"),
    _("priority"),
    _("kind"),
    _("category"),
    _("team"),
    _("assignee"),
    _("channel"),
    _("escalation level"),
    _("SLA state"),
    _("next SLA due"),
    _("resolved"),
    _("customer name"),
    _("customer phone"),
    _("customer e-mail"),
    _("subject"),
]


def ticket_rows(queryset: QuerySet[Ticket], *, full_contact: bool) -> Iterator[list]:
    """One row per ticket, in chunks from the database; contact data masked unless `full_contact`."""
    # Labels once per export, in the language active when the first row is asked for:
    # get_FOO_display() per cell costs more than the rest of the row.
    labels = {
        name: {value: str(label) for value, label in choices}
        for name, choices in (
            ("status", Ticket.Status.choices),
            ("priority", Ticket.Priority.choices),
            ("kind", Ticket.Kind.choices),
            ("channel", Ticket.Channel.choices),
            ("sla_state", Ticket.SlaState.choices),
        )
    }
    names: dict[tuple[str, int], str] = {}

    def name_of(kind: str, obj: object, pk: int | None) -> str:
        if pk is None:
            return ""
        if (kind, pk) not in names:
            names[kind, pk] = str(obj)
        return names[kind, pk]

    # The long texts are not exported: leave them in the database.
    tickets = selectors.ticket_list(queryset).defer("description", "desired_outcome")
    for ticket in tickets.iterator(chunk_size=2000):
        customer = ticket.customer
        if full_contact:
            contact = [customer.name, customer.phone, customer.email]
        else:
            contact = [customer.masked_name, customer.masked_phone, customer.masked_email]
        yield [
            ticket.reference,
            ticket.created_at,
            labels["status"].get(ticket.status, ticket.status),
            labels["priority"].get(ticket.priority, ticket.priority),
            labels["kind"].get(ticket.kind, ticket.kind),
            name_of("category", ticket.category, ticket.category_id),
            name_of("team", ticket.team, ticket.team_id),
            ticket.assignee.get_username() if ticket.assignee_id else "",
            labels["channel"].get(ticket.channel, ticket.channel),
            ticket.escalation_level,
            labels["sla_state"].get(ticket.sla_state, ticket.sla_state),
            ticket.sla_due_at,
            ticket.resolved_at,
            *contact,
            ticket.subject,
        ]


def export_tickets(
    *, user: AbstractBaseUser, queryset: QuerySet[Ticket], file_format: str, filters: dict
) -> HttpResponse:
    """The tickets of `queryset` as a download; full contact data only for users allowed to see it."""
    full_contact = user.has_perm("complaints.view_customer_pii")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return export_response(
        user=user,
        subject="tickets",
        filters=filters,
        headers=TICKET_HEADERS,
        rows=ticket_rows(queryset, full_contact=full_contact),
        file_format=file_format,
        included_pii=full_contact,
        filename=f"tickets-{stamp}",
    )
