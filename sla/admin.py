"""Supervisor console for calendars and policies; clocks and alerts are read-only here."""

from datetime import timedelta

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .calendars import add_business_time
from .models import BusinessCalendar, CalendarDay, SlaAlert, SlaClock, SlaPolicy, SlaTarget, WorkingInterval


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    extra = 0


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "always_open", "time_zone", "holiday_country"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [WorkingIntervalInline, CalendarDayInline]


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
class SlaPolicyAdmin(admin.ModelAdmin):
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
