"""Reporting on external cases: per source and period, the dashboard's due-soon list, the CSV and XLSX
export in the source's own field order."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import exports
from complaints import selectors as core_selectors
from complaints.naming import user_name

from . import selectors
from .models import ExternalCase, ExternalSource, ReportBack

DUE_SOON_HOURS = 48
DASHBOARD_ROWS = 20


def source_report(*, cases: QuerySet[ExternalCase], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """One row per source with cases received in [start, end): counts, on-time rate, average hours to
    report back and the outcomes. Three queries whatever the number of cases."""
    received = cases.filter(received_at__gte=start, received_at__lt=end)
    rows = {
        row["source_id"]: row
        for row in received.order_by()
        .values("source_id")
        .annotate(
            cases=Count("pk"),
            reported=Count("pk", filter=Q(state=ExternalCase.State.REPORTED)),
            on_time=Count("pk", filter=Q(state=ExternalCase.State.REPORTED, reported_at__lte=F("due_at"))),
            open=Count("pk", filter=Q(state=ExternalCase.State.OPEN)),
            average=Avg(
                ExpressionWrapper(F("reported_at") - F("received_at"), output_field=DurationField()),
                filter=Q(state=ExternalCase.State.REPORTED),
            ),
        )
    }
    outcomes: dict[int, dict[str, int]] = {}
    for row in (
        ReportBack.objects.filter(case__in=received.values("pk"))
        .order_by()
        .values("case__source_id", "outcome")
        .annotate(count=Count("pk"))
    ):
        outcomes.setdefault(row["case__source_id"], {})[row["outcome"]] = row["count"]
    labels = dict(ReportBack.Outcome.choices)
    report = []
    for source in ExternalSource.objects.filter(pk__in=rows.keys()).order_by("position", "pk"):
        row = rows[source.pk]
        average = row["average"]
        if average is not None and not isinstance(average, timedelta):  # SQLite returns microseconds
            average = timedelta(microseconds=float(average))
        report.append(
            {
                "source": source.slug,
                "name": source.name,
                "cases": row["cases"],
                "reported": row["reported"],
                "on_time": row["on_time"],
                "open": row["open"],
                "on_time_rate": round(100 * row["on_time"] / row["reported"], 1) if row["reported"] else None,
                "average_hours_to_report": round(average.total_seconds() / 3600, 1) if average else None,
                "outcomes": {
                    str(labels[key]): count for key, count in sorted(outcomes.get(source.pk, {}).items())
                },
            }
        )
    return report


def stats_section(start: datetime, end: datetime, tickets: QuerySet) -> dict[str, Any]:
    """/api/v1/stats/'s external_cases section over the tickets the caller may see."""
    cases = ExternalCase.objects.filter(ticket__in=tickets.order_by().values("pk"))
    now = timezone.now()
    counts = cases.filter(state=ExternalCase.State.OPEN).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now))
    )
    return {"by_source": source_report(cases=cases, start=start, end=end), **counts}


def dashboard_panel(user: AbstractBaseUser, now: datetime) -> dict[str, Any] | None:
    """The supervisor dashboard's panel: flagged open tickets, and the cases due in the next 48 hours."""
    from complaints.states import OPEN_STATUSES

    from .models import EscalationRisk

    due = list(
        selectors.cases_due_within(user, hours=DUE_SOON_HOURS, now=now).select_related("ticket__assignee")[
            :DASHBOARD_ROWS
        ]
    )
    visible = core_selectors.tickets_visible_to(user).order_by().values("pk")
    flagged = EscalationRisk.objects.filter(ticket__in=visible, ticket__status__in=OPEN_STATUSES).count()
    return {
        "template": "admin/external_cases/_dashboard_panel.html",
        "due": due,
        "due_hours": DUE_SOON_HOURS,
        "flagged": flagged,
        "now": now,
        "report_url": reverse("external_cases:report"),
    }


def export_columns(source: ExternalSource) -> list[tuple[str, str]]:
    """(key, heading) of the export, the source's own fields in its order after the case's facts."""
    facts = [
        ("ticket", _("Ticket")),
        ("number", _("External case number")),
        ("received_at", _("Received")),
        ("due_at", _("Report back by")),
        ("reported_at", _("Reported back")),
        ("on_time", _("On time")),
        ("outcome", _("Outcome")),
    ]
    fields = [(f"field:{field.key}", field.label) for field in source.fields]
    return [*facts, *fields, ("recorded_by", _("Recorded by"))]


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def export_rows(source: ExternalSource, cases: Iterable[ExternalCase]) -> Iterable[list[str]]:
    keys = [key for key, _heading in export_columns(source)]
    for case in cases:
        report = getattr(case, "report_back", None) if case.state == ExternalCase.State.REPORTED else None
        values = {
            "ticket": case.ticket.reference,
            "number": case.number,
            "received_at": _when(case.received_at),
            "due_at": _when(case.due_at),
            "reported_at": _when(case.reported_at),
            "on_time": ""
            if case.reported_at is None
            else (_("yes") if case.reported_at <= case.due_at else _("no")),
            "outcome": report.get_outcome_display() if report else "",
            "recorded_by": user_name(report.recorded_by) if report and report.recorded_by_id else "",
        }
        for field in source.fields:
            values[f"field:{field.key}"] = (report.values.get(field.key, "") if report else "") or ""
        yield [str(values[key]) for key in keys]


def export_response(
    *, user: AbstractBaseUser, source: ExternalSource, start: datetime, end: datetime, file_format: str
) -> HttpResponse:
    """The source's cases received in [start, end) that the user may see, in the source's columns, as a
    CSV (UTF-8 with BOM, so Excel opens the Chinese text) or XLSX download, recorded as an export
    (complaints.exports: formulas neutralised in both)."""
    cases = (
        selectors.cases_visible_to(user)
        .filter(source=source, received_at__gte=start, received_at__lt=end)
        .select_related("report_back__recorded_by")
        .order_by("received_at", "pk")
    )
    return exports.export_response(
        user=user,
        subject=f"external_cases:{source.slug}",
        filters={"source": source.slug, "start": start, "end": end},
        headers=[heading for _key, heading in export_columns(source)],
        rows=export_rows(source, cases),
        file_format=file_format,
        filename=f"external-cases-{source.slug}-{start:%Y%m%d}-{end - timedelta(days=1):%Y%m%d}",
    )
