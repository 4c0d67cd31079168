"""Supervisor console: sources and risk keywords are configuration (audited); cases, report-backs and
risk flags are read here and changed through the desk's services."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from complaints.admin.config_audit import AuditedModelAdmin

from .models import EscalationRisk, ExternalCase, ExternalSource, ReportBack, RiskKeyword


@admin.register(ExternalSource)
class ExternalSourceAdmin(AuditedModelAdmin):
    list_display = ["name_zh", "name_en", "kind", "deadline", "calendar", "team", "priority", "is_active"]
    list_filter = ["kind", "is_active", "deadline_unit"]
    list_editable = ["is_active"]
    search_fields = ["slug", "name_zh", "name_en"]
    prepopulated_fields = {"slug": ["name_en"]}
    fieldsets = [
        (None, {"fields": ["slug", "kind", "name_zh", "name_en", "is_active", "position"]}),
        (
            _("Deadline"),
            {"fields": ["deadline_amount", "deadline_unit", "calendar", "warning_thresholds"]},
        ),
        (_("Routing"), {"fields": ["team", "priority", "mailbox", "allowed_senders", "number_pattern"]}),
        (_("Report-back"), {"fields": ["report_fields"]}),
        (_("Customers who dispute"), {"fields": ["customer_route_zh", "customer_route_en"]}),
    ]

    @admin.display(description=_("deadline"))
    def deadline(self, source: ExternalSource) -> str:
        return source.deadline_label


class ReportBackInline(admin.StackedInline):
    model = ReportBack
    extra = 0
    can_delete = False
    readonly_fields = ["outcome", "values", "recorded_by", "recorded_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ExternalCase)
class ExternalCaseAdmin(admin.ModelAdmin):
    list_display = ["number", "source", "ticket_link", "received_at", "due_at", "state", "reported_at"]
    list_filter = ["source", "state"]
    search_fields = ["number", "ticket__reference"]
    date_hierarchy = "received_at"
    list_select_related = ["source", "ticket"]
    readonly_fields = [
        "ticket",
        "source",
        "number",
        "received_at",
        "due_at",
        "state",
        "registered_by",
        "created_at",
        "reported_at",
        "warned_at",
        "breached_at",
    ]
    fields = [*readonly_fields, "regulator_contact", "notes"]
    inlines = [ReportBackInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # registered from the desk or the API, where the deadline and routing are applied

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("ticket"), ordering="ticket__reference")
    def ticket_link(self, case: ExternalCase) -> str:
        return format_html('<a href="/desk/tickets/{0}/">{0}</a>', case.ticket.reference)


@admin.register(ReportBack)
class ReportBackAdmin(admin.ModelAdmin):
    list_display = ["case", "outcome", "recorded_by", "recorded_at"]
    list_filter = ["outcome", "case__source"]
    list_select_related = ["case__source", "recorded_by"]
    readonly_fields = ["case", "outcome", "values", "recorded_by", "recorded_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(RiskKeyword)
class RiskKeywordAdmin(AuditedModelAdmin):
    list_display = ["text", "language", "is_active"]
    list_filter = ["language", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["text"]


@admin.register(EscalationRisk)
class EscalationRiskAdmin(admin.ModelAdmin):
    list_display = ["ticket", "reason_list", "keywords", "flagged_at"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__reference"]
    readonly_fields = ["ticket", "reasons", "keywords", "flagged_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("reasons"))
    def reason_list(self, flag: EscalationRisk) -> str:
        return "; ".join(flag.reason_labels)
