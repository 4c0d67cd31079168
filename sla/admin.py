"""Supervisor console for calendars and policies; clocks and alerts are read-only here."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from complaints import config_cache
from complaints.admin.config_audit import AuditedModelAdmin
from complaints.console.setup import Notice, SetupStep, register_notices, register_setup_step

from .calendars import CalendarSpec, add_business_time, working_intervals, years_without_adjusted_days
from .models import (
    BusinessCalendar,
    CalendarDay,
    SlaAlert,
    SlaClock,
    SlaPolicy,
    SlaTarget,
    Weekday,
    WorkingInterval,
)

# How far ahead the calendar preview looks for working periods, and how many it lists.
PREVIEW_DAYS = 21
PREVIEW_PERIODS = 6
# Example targets the calendar preview computes a due time for.
PREVIEW_TARGETS = (timedelta(hours=2), timedelta(hours=24))


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


class WorkingIntervalFormSet(BaseInlineFormSet):
    """Each interval starts before it ends (00:00 as the end means midnight); intervals of a day never overlap."""

    def clean(self) -> None:
        super().clean()
        by_day: dict[int, list[tuple[int, int, time, time]]] = {}
        errors = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("start") is None or data.get("end") is None:
                continue
            start, end = data["start"], data["end"]
            end_minutes = 24 * 60 if end == time(0) else _minutes(end)
            if end_minutes <= _minutes(start):
                errors.append(
                    ValidationError(
                        _("%(day)s: an interval must end after it starts (%(start)s–%(end)s)."),
                        params={
                            "day": Weekday(data["weekday"]).label,
                            "start": f"{start:%H:%M}",
                            "end": f"{end:%H:%M}",
                        },
                    )
                )
                continue
            by_day.setdefault(data["weekday"], []).append((_minutes(start), end_minutes, start, end))
        for weekday, intervals in sorted(by_day.items()):
            intervals.sort()
            previous = intervals[0]
            for current in intervals[1:]:
                if current[0] < previous[1]:
                    errors.append(
                        ValidationError(
                            _("%(day)s: %(a)s and %(b)s overlap."),
                            params={
                                "day": Weekday(weekday).label,
                                "a": f"{previous[2]:%H:%M}–{previous[3]:%H:%M}",
                                "b": f"{current[2]:%H:%M}–{current[3]:%H:%M}",
                            },
                        )
                    )
                if current[1] > previous[1]:
                    previous = current
        if errors:
            raise ValidationError(errors)


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    formset = WorkingIntervalFormSet
    extra = 0


class CalendarDayForm(forms.ModelForm):
    """The override's kind as a choice between two words, not a checkbox whose meaning must be read."""

    is_working = forms.TypedChoiceField(
        label=_("kind"),
        choices=[(False, _("Holiday (closed)")), (True, _("Working day"))],
        coerce=lambda value: value in (True, "True"),
        initial=False,
    )

    class Meta:
        model = CalendarDay
        fields = ["date", "is_working", "name_zh", "name_en", "note"]
        widgets = {
            "name_zh": forms.TextInput(attrs={"size": 14}),
            "name_en": forms.TextInput(attrs={"size": 22}),
            "note": forms.TextInput(attrs={"size": 18}),
        }


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    form = CalendarDayForm
    extra = 1
    verbose_name = _("day override")
    verbose_name_plural = _("day overrides (holidays and adjusted working days the holiday data lacks)")


def _holiday_gaps(today: date) -> list[tuple[int, str, list[int]]]:
    """(calendar id, name, years) for each calendar whose holiday data lacks a year's adjusted working
    days; kept per process until a calendar or a day override changes (complaints.config_cache)."""

    def load() -> list[tuple[int, str, list[int]]]:
        working_days = Prefetch(
            "days", queryset=CalendarDay.objects.filter(is_working=True, date__year__gte=today.year)
        )
        gaps = []
        for calendar in (
            BusinessCalendar.objects.filter(always_open=False)
            .exclude(holiday_country="")
            .prefetch_related(working_days)
        ):
            years = years_without_adjusted_days(_holiday_spec(calendar), today)
            if years:
                gaps.append((calendar.pk, calendar.name, years))
        return gaps

    return config_cache.cached(f"sla:holiday-gaps:{today.isoformat()}", load)


def _holiday_spec(calendar: BusinessCalendar) -> CalendarSpec:
    """Just what the holiday check reads: the country and the calendar's working-day overrides."""
    return CalendarSpec(
        time_zone=calendar.time_zone,
        always_open=calendar.always_open,
        holiday_country=calendar.holiday_country,
        holiday_subdivision=calendar.holiday_subdivision,
        extra_working=frozenset(day.date for day in calendar.days.all() if day.is_working),
    )


def _gap_message(name: str, years: list[int]) -> str:
    return gettext(
        "%(calendar)s: the holidays package has no adjusted working days (调休) for %(years)s. The State "
        "Council publishes the schedule each November or December; enter its holidays and working days as "
        "day overrides, or update the holidays package."
    ) % {"calendar": name, "years": ", ".join(str(year) for year in years)}


def missing_holiday_data(calendar: BusinessCalendar, *, today: date | None = None) -> str:
    """The warning for a calendar whose holiday data lacks a year's adjusted working days ("" if none)."""
    years = years_without_adjusted_days(_holiday_spec(calendar), today or timezone.localdate())
    return _gap_message(calendar.name, years) if years else ""


def calendar_notices(user) -> list[Notice]:
    """The admin index's warnings: one per calendar that lacks a coming year's schedule."""
    if not user.has_perm("sla.change_businesscalendar"):
        return []
    return [
        Notice(
            key=f"calendar-{pk}",
            message=_gap_message(name, years),
            href=reverse("admin:sla_businesscalendar_change", args=[pk]) + "#days-group",
            link_text=_("Enter the day overrides"),
        )
        for pk, name, years in _holiday_gaps(timezone.localdate())
    ]


def _working_periods(spec: CalendarSpec, start: datetime) -> list[tuple[str, str]]:
    """The next working periods from `start`, as local text (day, from–until)."""
    tz = spec.tz
    local = start.astimezone(tz)
    periods: list[tuple[str, str]] = []
    day: date = local.date()
    for _offset in range(PREVIEW_DAYS):
        for opens, closes in working_intervals(spec, day):
            until = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
                if closes is None
                else (datetime.combine(day, closes, tzinfo=tz))
            )
            if until <= local:
                continue
            label = "24:00" if closes is None else f"{closes:%H:%M}"
            periods.append((date_format(day, "Y-m-d (D)"), f"{opens:%H:%M}–{label}"))
            if len(periods) >= PREVIEW_PERIODS:
                return periods
        day += timedelta(days=1)
    return periods


def calendar_preview(calendar: BusinessCalendar, *, now: datetime | None = None) -> str:
    """The next working periods and when a ticket opened now would be due for two example targets."""
    now = now or timezone.now()
    spec = calendar.spec()
    if calendar.always_open:
        periods_html = format_html("<p>{}</p>", _("Open around the clock: every minute counts."))
    else:
        periods = _working_periods(spec, now)
        if not periods:
            return format_html(
                '<p class="errornote">{}</p>',
                _(
                    "No working time in the next three weeks: SLA targets on this calendar would never fall due."
                ),
            )
        periods_html = format_html(
            "<p>{}</p><ul>{}</ul>",
            _("Next working periods (%(zone)s):") % {"zone": calendar.time_zone},
            format_html_join("", "<li>{}: {}</li>", periods),
        )
    examples = []
    for duration in PREVIEW_TARGETS:
        try:
            due = add_business_time(spec, now, duration)
        except ValueError:
            continue
        hours = int(duration.total_seconds() // 3600)
        examples.append(
            (
                ngettext("%(hours)d business hour", "%(hours)d business hours", hours) % {"hours": hours},
                date_format(due.astimezone(spec.tz), "Y-m-d H:i"),
            )
        )
    return format_html(
        "{}<p>{}</p><ul>{}</ul>",
        periods_html,
        _("A ticket opened now with a target of"),
        format_html_join("", "<li>{} → <strong>{}</strong></li>", examples),
    )


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedModelAdmin):
    list_display = ["name", "slug", "always_open", "time_zone", "holiday_country"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [WorkingIntervalInline, CalendarDayInline]
    readonly_fields = ["preview"]
    fields = ["name", "slug", "time_zone", "always_open", "holiday_country", "holiday_subdivision", "preview"]

    @admin.display(description=_("preview"))
    def preview(self, calendar: BusinessCalendar) -> str:
        if calendar.pk is None:
            return _("Save the calendar to see its next working periods.")
        return calendar_preview(calendar)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        if request.method == "GET":
            calendar = self.get_object(request, object_id)
            message = missing_holiday_data(calendar) if calendar is not None else ""
            if message:
                messages.warning(request, message)
        return super().change_view(request, object_id, form_url, extra_context)


def _preview(policy: SlaPolicy, *, kind_label: str) -> str:
    now = timezone.now()
    lines = []
    for target in SlaTarget:
        minutes = policy.minutes_for(target)
        if minutes is None:
            continue
        calendar = policy.calendar_for(target)
        due = add_business_time(calendar.spec(), now, timedelta(minutes=minutes))
        lines.append((target.label, date_format(timezone.localtime(due), "Y-m-d H:i"), calendar.name))
    if not lines:
        return _("This policy sets no target.")
    return format_html(
        "<p>{}</p><ul>{}</ul>",
        _("A %(kind)s opened now would be due at:") % {"kind": kind_label},
        format_html_join("", "<li>{}: <strong>{}</strong> ({})</li>", lines),
    )


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedModelAdmin):
    list_display = [
        "name",
        "position",
        "is_active",
        "match_kind",
        "match_complexity",
        "match_priority",
        "match_category",
        "match_channel",
        "calendar",
        "first_response_minutes",
        "resolution_minutes",
    ]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "calendar", "match_kind"]
    autocomplete_fields = ["match_category"]
    readonly_fields = ["preview"]
    fieldsets = [
        (None, {"fields": ["name", "position", "is_active", "preview"]}),
        (
            _("Covers"),
            {
                "fields": [
                    "match_kind",
                    "match_complexity",
                    "match_priority",
                    "match_category",
                    "match_channel",
                ],
                "description": _(
                    "Empty means any. The most specific matching policy wins; ties go by position."
                ),
            },
        ),
        (
            _("Targets"),
            {
                "fields": [
                    "calendar",
                    "first_response_minutes",
                    "first_response_stops_on",
                    "first_response_calendar",
                    "next_response_minutes",
                    "resolution_minutes",
                    "restart_resolution_on_reopen",
                    "warning_thresholds",
                ]
            },
        ),
        (
            _("On breach"),
            {
                "fields": [
                    "notify_assignee",
                    "notify_team_lead",
                    "notify_supervisors",
                    "raise_priority",
                    "raise_escalation",
                    "move_to_team",
                ]
            },
        ),
    ]

    @admin.display(description=_("preview"))
    def preview(self, policy: SlaPolicy) -> str:
        if policy.pk is None:
            return _("Save the policy to see when a ticket opened now would be due.")
        kind = policy.get_match_kind_display().lower() if policy.match_kind else _("ticket")
        return _preview(policy, kind_label=kind)


class SlaAlertInline(admin.TabularInline):
    model = SlaAlert
    fields = ["threshold", "fired_at", "notified_at", "event_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    """Clocks move only with their tickets; here they are looked at."""

    list_display = [
        "ticket",
        "target",
        "cycle",
        "state_badge",
        "started_at",
        "due_at",
        "stopped_at",
        "outcome",
    ]
    list_filter = ["target", "outcome", "calendar", "policy"]
    search_fields = ["ticket__reference"]
    list_select_related = ["ticket", "policy"]
    inlines = [SlaAlertInline]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in SlaClock._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("state"))
    def state_badge(self, clock: SlaClock) -> str:
        return clock.get_state_display()


# The admin index's set-up checklist and notices (complaints.console.setup); registered with the admin.
register_setup_step(
    SetupStep(
        key="sla_policy",
        label=_("Set the SLA policies"),
        help=_("Response and resolution targets on a business calendar; without one no clock runs."),
        url_name="admin:sla_slapolicy_add",
        done=lambda: SlaPolicy.objects.filter(is_active=True).exists(),
        order=50,
    )
)
register_notices("sla_calendars", calendar_notices)
