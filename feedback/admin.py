from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from complaints.admin.config_audit import AuditedModelAdmin
from complaints.errors import ComplaintError

from . import services
from .forms import CompleteReturnVisitForm
from .models import ReturnVisit, Survey, SurveyAnswer, SurveyPolicy, SurveyReason


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the services only: supervisors look, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SurveyPolicyForm(forms.ModelForm):
    """Settings that contradict each other are refused with what to change."""

    class Meta:
        model = SurveyPolicy
        fields = [
            "name",
            "position",
            "is_active",
            "match_kind",
            "match_category",
            "match_channel",
            "send_survey",
            "delay_minutes",
            "quiet_start",
            "quiet_end",
            "time_zone",
            "reminder_after_days",
            "answer_within_days",
            "edit_within_days",
            "on_resolve_again",
            "low_rating_threshold",
            "return_visit_due_hours",
        ]

    def clean_time_zone(self) -> str:
        zone = self.cleaned_data.get("time_zone", "").strip()
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValidationError(
                    _("%(zone)s is not a known time zone (e.g. Asia/Shanghai)."), params={"zone": zone}
                ) from None
        return zone

    def clean_low_rating_threshold(self) -> int:
        threshold = self.cleaned_data["low_rating_threshold"]
        if threshold > 5:
            raise ValidationError(_("Ratings go from 1 to 5: the threshold must be 0 (never) to 5."))
        return threshold

    def clean(self) -> dict:
        data = super().clean()
        answer_days = data.get("answer_within_days")
        reminder_days = data.get("reminder_after_days")
        if answer_days is not None and answer_days < 1:
            self.add_error("answer_within_days", _("Give the customer at least one day to answer."))
        elif answer_days is not None and reminder_days and reminder_days >= answer_days:
            self.add_error(
                "reminder_after_days",
                ValidationError(
                    _("The reminder must go out before the link expires (after %(days)d days)."),
                    params={"days": answer_days},
                ),
            )
        return data


@admin.register(SurveyPolicy)
class SurveyPolicyAdmin(AuditedModelAdmin):
    form = SurveyPolicyForm
    list_display = (
        "name",
        "position",
        "is_active",
        "match_kind",
        "match_category",
        "match_channel",
        "send_survey",
        "delay_minutes",
        "low_rating_threshold",
    )
    list_editable = ("position", "is_active")
    fieldsets = (
        (None, {"fields": ("name", "position", "is_active")}),
        (_("Applies to"), {"fields": ("match_kind", "match_category", "match_channel")}),
        (
            _("Sending"),
            {
                "fields": (
                    "send_survey",
                    "delay_minutes",
                    ("quiet_start", "quiet_end"),
                    "time_zone",
                    "reminder_after_days",
                    "answer_within_days",
                    "edit_within_days",
                    "on_resolve_again",
                )
            },
        ),
        (_("Outcomes"), {"fields": ("low_rating_threshold", "return_visit_due_hours")}),
    )


@admin.register(SurveyReason)
class SurveyReasonAdmin(AuditedModelAdmin):
    list_display = ("slug", "label_zh", "label_en", "position", "is_active")
    list_editable = ("position", "is_active")


class SurveyAnswerInline(admin.StackedInline):
    model = SurveyAnswer
    can_delete = False
    extra = 0
    fields = ("rating", "solved", "reasons", "comment", "answered_at", "updated_at", "reopened_ticket")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = (
        "ticket",
        "state",
        "channel",
        "send_after",
        "sent_at",
        "reminded_at",
        "answered_at",
        "attempts",
    )
    list_filter = ("state", "channel")
    search_fields = ("ticket__reference",)
    date_hierarchy = "send_after"
    list_select_related = ("ticket",)
    readonly_fields = (
        "ticket",
        "resolution",
        "customer",
        "policy",
        "channel",
        "state",
        "send_after",
        "sent_at",
        "remind_at",
        "reminded_at",
        "expires_at",
        "answered_at",
        "attempts",
        "last_error",
        "cancel_reason",
    )
    fields = readonly_fields
    inlines = [SurveyAnswerInline]


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyAdmin):
    list_display = ("survey", "rating", "solved", "answered_at", "updated_at", "reopened_ticket")
    list_filter = ("rating", "solved")
    search_fields = ("survey__ticket__reference",)
    list_select_related = ("survey__ticket",)
    readonly_fields = (
        "survey",
        "rating",
        "solved",
        "reasons",
        "comment",
        "answered_at",
        "updated_at",
        "edit_until",
    )


class OpenFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("open", _("Open")), ("overdue", _("Overdue")), ("done", _("Completed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        from django.utils import timezone

        if self.value() == "open":
            return queryset.filter(completed_at__isnull=True)
        if self.value() == "overdue":
            return queryset.filter(completed_at__isnull=True, due_at__lt=timezone.now())
        if self.value() == "done":
            return queryset.filter(completed_at__isnull=False)
        return queryset


@admin.register(ReturnVisit)
class ReturnVisitAdmin(admin.ModelAdmin):
    list_display = ("ticket", "reason", "assignee", "due_at", "outcome", "completed_at")
    list_filter = (OpenFilter, "outcome", "team")
    search_fields = ("ticket__reference",)
    list_select_related = ("ticket", "assignee")
    actions = ["complete_return_visits"]
    readonly_fields = (
        "ticket",
        "survey",
        "team",
        "reason",
        "outcome",
        "notes",
        "completed_at",
        "completed_by",
        "created_at",
    )
    fields = ("ticket", "survey", "team", "reason", "assignee", "due_at", *readonly_fields[4:])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # opened by low ratings, through the service

    @admin.action(description=_("Complete the selected return visits"), permissions=["change"])
    def complete_return_visits(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        visits = list(queryset.filter(completed_at__isnull=True).select_related("ticket"))
        if not visits:
            self.message_user(
                request, _("The selected return visits are already completed."), messages.WARNING
            )
            return None
        form = CompleteReturnVisitForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for visit in visits:
                try:
                    services.complete_return_visit(
                        visit_id=visit.pk,
                        actor=request.user,
                        outcome=form.cleaned_data["outcome"],
                        notes=form.cleaned_data["notes"],
                    )
                    done += 1
                except ComplaintError as error:
                    self.message_user(request, f"{visit.ticket.reference}: {error.message}", messages.ERROR)
            if done:
                self.message_user(
                    request,
                    ngettext("%(n)d return visit completed.", "%(n)d return visits completed.", done)
                    % {"n": done},
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "visits": visits,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/feedback/complete_return_visits.html", context)
