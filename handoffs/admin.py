"""Supervisor console: partners are configuration (audited); hand-offs and their mails are read here
and changed through the desk's services."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from complaints.admin.config_audit import AuditedModelAdmin

from .models import Handoff, HandoffMail, Partner


@admin.register(Partner)
class PartnerAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "email", "response_hours", "calendar", "language", "is_active"]
    list_filter = ["kind", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["name", "email"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "email", "escalation_email", "language", "is_active"]}),
        (_("Response time"), {"fields": ["response_hours", "calendar"]}),
    ]


class HandoffMailInline(admin.TabularInline):
    model = HandoffMail
    extra = 0
    can_delete = False
    fields = ["created_at", "direction", "purpose", "address", "flagged", "state", "body"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ["reference", "partner", "ticket", "state", "opened_at", "due_at", "first_reply_at"]
    list_filter = ["state", "partner"]
    search_fields = ["reference", "ticket__reference", "subject"]
    date_hierarchy = "opened_at"
    list_select_related = ["partner", "ticket"]
    inlines = [HandoffMailInline]
    exclude = ["warned_at", "overdue_warned_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in Handoff._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
