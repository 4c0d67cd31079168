"""The monthly management review pack (定期召开投诉处理总结会议): one month's figures, as a console page,
a PDF of the same page, and a mail to the Supervisors group on the month's first working day.

Sections of other apps (incidents, external cases, remedies …) come in through register_section,
called from their AppConfig.ready; quality imports none of them. A stats section that an app
already registers in complaints.extensions is shown without it doing anything more (see
STATS_SECTION_VIEWS).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints import extensions, preferences
from complaints import reports as core_reports
from complaints.console.charts import line_chart
from complaints.models import Category, RootCause, Ticket
from complaints.naming import user_name
from complaints.selectors import SUPERVISORS_GROUP
from config.celery import queue_after_commit
from feedback import reports as feedback_reports
from sla import reports as sla_reports
from sla.calendars import CalendarSpec, next_working_moment
from sla.models import BusinessCalendar, SlaTarget

from . import reports
from .models import CorrectiveAction, ReviewPackDelivery

TOP_CAUSES = 5
TREND_MONTHS = 6
TREND_WEEKS = 8
# The calendar whose working days decide when the pack is mailed (the default office-hours one).
OFFICE_CALENDAR_SLUG = "china-office-hours"

# --- the month --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """A calendar month in the site's time zone, as the half-open instants [start, end)."""

    first: date

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.replace(day=1))

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=timezone.get_current_timezone())

    @property
    def end(self) -> datetime:
        return self.next().start

    def next(self) -> "Month":
        return Month(date(self.first.year + self.first.month // 12, self.first.month % 12 + 1, 1))

    def previous(self) -> "Month":
        return Month.of(self.first - timedelta(days=1))

    def back(self, months: int) -> list["Month"]:
        """This month and the `months - 1` before it, oldest first."""
        found = [self]
        while len(found) < months:
            found.insert(0, found[0].previous())
        return found

    @property
    def key(self) -> str:
        return self.first.strftime("%Y-%m")

    @property
    def label(self) -> str:
        return date_format(self.first, "YEAR_MONTH_FORMAT")


def last_complete_month(now: datetime | None = None) -> Month:
    return Month.of(timezone.localdate(now or timezone.now())).previous()


class MonthForm(forms.Form):
    """?month=YYYY-MM; an empty, malformed or future month falls back to the last complete one."""

    month = forms.CharField(
        label=gettext_lazy("Month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}),
    )

    def clean_month(self) -> Month | None:
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        try:
            month = Month.of(datetime.strptime(value, "%Y-%m").date())
        except ValueError:
            raise forms.ValidationError(_("Give the month as year and month, e.g. 2026-11.")) from None
        if month.first > timezone.localdate():
            raise forms.ValidationError(_("That month has not begun yet."))
        return month

    def chosen(self) -> Month:
        if self.is_valid() and self.cleaned_data["month"]:
            return self.cleaned_data["month"]
        return last_complete_month()


# --- sections other apps add ------------------------------------------------------------------

# key -> fn(month) -> {"title": ..., "template": ..., **context} or None (nothing to show that month).
SECTIONS: dict[str, Callable[[Month], dict[str, Any] | None]] = {}


def register_section(key: str, build: Callable[[Month], dict[str, Any] | None]) -> None:
    """Add (or replace) a section of the pack; called from an app's AppConfig.ready."""
    SECTIONS[key] = build


def _external_cases_view(section: dict[str, Any]) -> dict[str, Any]:
    """The external_cases stats section (by source: cases, reported, on time, open) as a table."""
    return {
        "title": _("Regulator and platform cases"),
        "template": "quality/pack/_external_cases.html",
        "rows": section.get("by_source", []),
        "open": section.get("open"),
        "overdue": section.get("overdue"),
    }


# Stats sections registered in complaints.extensions that the pack can show as they are.
STATS_SECTION_VIEWS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "external_cases": _external_cases_view,
}


def _other_sections(month: Month, tickets: Any) -> list[dict[str, Any]]:
    shown = []
    for key, build in SECTIONS.items():
        if (section := build(month)) is not None:
            shown.append({"key": key, **section})
    for key, view in STATS_SECTION_VIEWS.items():
        stats_section = extensions.STATS_SECTIONS.get(key)
        if key not in SECTIONS and stats_section is not None:
            shown.append({"key": key, **view(stats_section(month.start, month.end, tickets))})
    return shown


# --- the figures ------------------------------------------------------------------------------


def _change(now: float | int | None, before: float | int | None) -> float | None:
    if now is None or before is None:
        return None
    return round(float(now) - float(before), 1)


def _with_bars(rows: list[dict[str, Any]], key: str = "count") -> list[dict[str, Any]]:
    top = max((row[key] or 0 for row in rows), default=0) or 1
    return [{**row, "bar": round(100 * (row[key] or 0) / top, 1)} for row in rows]


def _volumes(tickets: Any, month: Month, before: Month) -> dict[str, Any]:
    now = core_reports.opened_in(tickets, month.start, month.end)
    then = core_reports.opened_in(tickets, before.start, before.end)
    previous_channels = {row["channel"]: row["count"] for row in core_reports.counts_by_channel(then)}
    previous_categories = {row["category"]: row["count"] for row in core_reports.counts_by_category(then)}
    channels = [
        {**row, "previous": previous_channels.get(row["channel"], 0)}
        for row in core_reports.counts_by_channel(now)
        if row["count"] or previous_channels.get(row["channel"])
    ]
    now_categories = core_reports.counts_by_category(now)
    category_ids = dict(
        Category.objects.filter(slug__in=[row["category"] for row in now_categories]).values_list(
            "slug", "pk"
        )
    )
    categories = [
        {
            **row,
            "category_id": category_ids.get(row["category"]),
            "name": row["name"] or _("Uncategorised"),
            "previous": previous_categories.get(row["category"], 0),
        }
        for row in now_categories
    ]
    total, previous_total = now.count(), then.count()
    return {
        "total": total,
        "previous": previous_total,
        "change": total - previous_total,
        "by_channel": _with_bars(channels),
        "by_category": _with_bars(categories),
    }


def _sla(tickets: Any, month: Month, before: Month) -> dict[str, Any]:
    rows = sla_reports.compliance(start=month.start, end=month.end, tickets=tickets)
    previous = {
        row["target"]: row["compliance"]
        for row in sla_reports.compliance(start=before.start, end=before.end, tickets=tickets)
    }
    labels = dict(SlaTarget.choices)
    met, missed = sum(row["met"] for row in rows), sum(row["missed"] for row in rows)
    return {
        "rows": [
            {
                **row,
                "label": str(labels.get(row["target"], row["target"])),
                "previous": previous.get(row["target"]),
                "change": _change(row["compliance"], previous.get(row["target"])),
            }
            for row in rows
        ],
        "met": met,
        "missed": missed,
        "compliance": round(100 * met / (met + missed), 1) if met + missed else None,
    }


def _satisfaction(tickets: Any, month: Month) -> dict[str, Any]:
    months = month.back(TREND_MONTHS)
    surveys = feedback_reports.delivered_surveys(months[0].start, month.end, tickets)
    by_month = {row["key"][:7]: row for row in feedback_reports.satisfaction_by("month", surveys)}
    trend = [
        {**by_month.get(m.key, {"csat": None, "answered": 0}), "month": m.key, "label": m.key} for m in months
    ]
    figures = feedback_reports.satisfaction(
        feedback_reports.delivered_surveys(month.start, month.end, tickets)
    )
    before = trend[-2]["csat"] if len(trend) > 1 else None
    return {
        **figures,
        "previous": before,
        "change": _change(figures["csat"], before),
        "trend": trend,
        "chart": line_chart(
            chart_id="pack-csat",
            title=_("CSAT per month"),
            description=_("Share of survey ratings of 4 or 5, per month."),
            series=[(row["label"], row["csat"]) for row in trend if row["csat"] is not None],
        ),
    }


def _root_causes(tickets: Any, month: Month, before: Month) -> list[dict[str, Any]]:
    now = core_reports.remedies(tickets, month.start, month.end)["by_root_cause"]
    then = {
        row["root_cause"]: row["count"]
        for row in core_reports.remedies(tickets, before.start, before.end)["by_root_cause"]
    }
    ids = dict(
        RootCause.objects.filter(slug__in=[row["root_cause"] for row in now]).values_list("slug", "pk")
    )
    rows = [
        {
            **row,
            "root_cause_id": ids.get(row["root_cause"]),
            "name": row["name"] or row["root_cause"] or _("No cause recorded"),
            "previous": then.get(row["root_cause"], 0),
            "change": row["count"] - then.get(row["root_cause"], 0),
        }
        for row in now[:TOP_CAUSES]
    ]
    return _with_bars(rows)


def _repeats(tickets: Any, month: Month, before: Month) -> dict[str, Any]:
    now = core_reports.repeat_rate(tickets, month.start, month.end)
    then = core_reports.repeat_rate(tickets, before.start, before.end)
    percent, previous = round(100 * now["rate"], 1), round(100 * then["rate"], 1)
    return {
        **now,
        "repeats": now["folded"] + now["linked"],
        "percent": percent,
        "previous": previous,
        "change": _change(percent, previous),
    }


def _remedies(tickets: Any, month: Month) -> list[dict[str, Any]]:
    rows = core_reports.remedies(tickets, month.start, month.end)["by_remedy"]
    return [row for row in rows if row["remedy"] != "none"]


def _quality(month: Month) -> dict[str, Any]:
    reviews = reports.scored_reviews(month.start, month.end)
    weeks_start = month.end - timedelta(weeks=TREND_WEEKS)
    by_week = reports.by_week(reports.scored_reviews(weeks_start, month.end))
    return {
        **reports.overall(reviews),
        "by_team": reports.by_team(reviews),
        "by_criterion": reports.by_criterion(reviews),
        "chart": line_chart(
            chart_id="pack-quality",
            title=_("Average quality score per week"),
            description=_("Average score in percent of the reviews scored each week."),
            series=[
                (row["label"], row["average_score"]) for row in by_week if row["average_score"] is not None
            ],
        ),
        "scores_url": reverse("quality_console:scores"),
    }


def _corrective_actions(now: datetime) -> dict[str, Any]:
    today = timezone.localdate(now)
    open_actions = list(
        CorrectiveAction.objects.filter(
            status__in=[CorrectiveAction.Status.OPEN, CorrectiveAction.Status.IN_PROGRESS]
        )
        .select_related("owner", "root_cause", "category", "category__parent")
        .order_by("due_date", "pk")
    )
    counts = CorrectiveAction.objects.aggregate(
        done=Count("pk", filter=Q(status=CorrectiveAction.Status.DONE)),
        effective=Count("pk", filter=Q(rate_after__isnull=False, rate_after__lt=F("rate_before"))),
    )
    return {
        "open": [
            {
                "action": action,
                "owner": user_name(action.owner),
                "subject": str(action.root_cause or action.category or ""),
                "overdue": action.due_date < today,
                "url": reverse("admin:quality_correctiveaction_change", args=[action.pk]),
            }
            for action in open_actions
        ],
        "overdue": sum(1 for action in open_actions if action.due_date < today),
        **counts,
    }


def build_pack(*, month: Month, now: datetime | None = None) -> dict[str, Any]:
    """Every figure of the month's review pack, each beside the month before where that means something."""
    now = now or timezone.now()
    before = month.previous()
    # The whole desk: the management review is about the organisation, not one person's queue.
    tickets = Ticket.objects.filter(is_spam=False)
    return {
        "month": month,
        "previous": before,
        "generated_at": now,
        "volumes": _volumes(tickets, month, before),
        "sla": _sla(tickets, month, before),
        "satisfaction": _satisfaction(tickets, month),
        "root_causes": _root_causes(tickets, month, before),
        "repeats": _repeats(tickets, month, before),
        "remedies": _remedies(tickets, month),
        "quality": _quality(month),
        "corrective_actions": _corrective_actions(now),
        "sections": _other_sections(month, tickets),
    }


# --- the PDF ----------------------------------------------------------------------------------

PDF_STYLESHEETS = ["quality/review_pack.css", "quality/review_pack_print.css"]
# WeasyPrint styles SVG from presentation attributes, never from the page's stylesheet, so the
# console's chart classes get the attributes their CSS rules give them on screen.
PRINT_SVG_ATTRIBUTES = {
    "console-chart-line": 'fill="none" stroke="#417690" stroke-width="2"',
    "console-chart-dot": 'fill="#417690"',
    "console-chart-axis": 'stroke="#cccccc"',
    "console-chart-label": 'font-size="10" fill="#333333"',
    "console-chart-value": 'font-size="10" fill="#333333"',
    "console-row-bar": 'fill="#79aec8"',
}
SVG_CLASS = re.compile(r'class="({})"'.format("|".join(PRINT_SVG_ATTRIBUTES)))


def render_pdf(pack: dict[str, Any]) -> bytes:
    """The pack as a PDF, drawn by WeasyPrint from the same body as the console page."""
    import weasyprint  # a heavy import (Pango through cffi), needed only here

    html = render_to_string("quality/review_pack_pdf.html", {"pack": pack, "pdf": True})
    html = SVG_CLASS.sub(lambda m: f"{m.group(0)} {PRINT_SVG_ATTRIBUTES[m.group(1)]}", html)
    stylesheets = [weasyprint.CSS(filename=finders.find(name)) for name in PDF_STYLESHEETS]
    return weasyprint.HTML(string=html, base_url=settings.SITE_URL).write_pdf(stylesheets=stylesheets)


def pdf_filename(month: Month) -> str:
    return f"review-pack-{month.key}.pdf"


# --- the monthly mail -------------------------------------------------------------------------


def office_calendar() -> CalendarSpec:
    """The office-hours calendar (else the first with working hours; else Mon–Fri, China's holidays)."""
    calendars = BusinessCalendar.objects.filter(always_open=False).prefetch_related("intervals", "days")
    calendar = calendars.filter(slug=OFFICE_CALENDAR_SLUG).first() or calendars.order_by("pk").first()
    if calendar is not None:
        return calendar.spec()
    day = ((time(9), time(18)),)
    return CalendarSpec(
        time_zone=settings.TIME_ZONE, always_open=False, weekly=(day,) * 5 + ((),) * 2, holiday_country="CN"
    )


def first_working_moment(month: Month, spec: CalendarSpec | None = None) -> datetime:
    """When the month's first working day begins on the office calendar (调休 and holidays honoured)."""
    spec = spec or office_calendar()
    return next_working_moment(spec, datetime.combine(month.first, time.min, tzinfo=spec.tz))


def claim_due_delivery(*, now: datetime | None = None) -> ReviewPackDelivery | None:
    """The delivery of last month's pack, claimed once the month's first working day has begun
    (missed by beat: claimed on the next run). None when it is not due yet or was claimed before;
    the unique month decides between two beats."""
    now = now or timezone.now()
    current = Month.of(timezone.localdate(now))
    if now < first_working_moment(current):
        return None
    with transaction.atomic():
        delivery, created = ReviewPackDelivery.objects.get_or_create(month=current.previous().first)
        if not created:
            return None
        queue_after_commit("quality.tasks.mail_review_pack", delivery.pk)
    return delivery


def supervisors() -> list[Any]:
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=SUPERVISORS_GROUP)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def mail_review_pack(*, delivery_id: int) -> int:
    """Mail the claimed month's pack to every supervisor, one mail per language with the PDF in it.
    A failed send gives the claim back, so the next beat run tries again."""
    delivery = ReviewPackDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return 0
    month = Month.of(delivery.month)
    pack_url = f"{settings.SITE_URL}{reverse('quality_console:review_pack')}?month={month.key}"
    mails = []
    for language, recipients in preferences.recipients_by_language(supervisors()):
        with translation.override(language):
            pack = build_pack(month=month)
            context = {"pack": pack, "url": pack_url}
            subject = " ".join(render_to_string("quality/review_pack_mail_subject.txt", context).split())
            mail = EmailMessage(
                subject, render_to_string("quality/review_pack_mail.txt", context), None, recipients
            )
            mail.attach(pdf_filename(month), render_pdf(pack), "application/pdf")
            mails.append(mail)
    try:
        sent = sum(mail.send() and len(mail.to) for mail in mails)
    except OSError:
        delivery.delete()
        raise
    delivery.recipients = sent
    delivery.save(update_fields=["recipients"])
    return sent
