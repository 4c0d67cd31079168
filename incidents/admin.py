"""Supervisor console: surge thresholds are configuration (audited); incidents are read here and
changed through the desk's services (/desk/incidents/)."""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from complaints.admin.config_audit import AuditedModelAdmin

from .models import (
    Incident,
    IncidentEvent,
    IncidentLink,
    IncidentStep,
    IncidentUpdate,
    Playbook,
    PlaybookStep,
    SurgeThreshold,
)


@admin.register(SurgeThreshold)
class SurgeThresholdAdmin(AuditedModelAdmin):
    list_display = ["category", "min_tickets", "window_minutes", "similarity", "is_active"]
    list_editable = ["min_tickets", "window_minutes", "similarity", "is_active"]


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    extra = 1
    fields = ["position", "title_zh", "title_en", "owner_team", "due_minutes"]


@admin.register(Playbook)
class PlaybookAdmin(AuditedModelAdmin):
    list_display = ["__str__", "category", "is_active"]
    list_filter = ["is_active"]
    inlines = [PlaybookStepInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class LinkInline(ReadOnlyInline):
    model = IncidentLink
    fields = ["ticket", "how", "remedy", "amount", "linked_at"]
    readonly_fields = fields
    raw_id_fields = ["ticket"]


class UpdateInline(ReadOnlyInline):
    model = IncidentUpdate
    fields = ["created_at", "body_zh", "body_en", "total"]
    readonly_fields = fields


class StepInline(ReadOnlyInline):
    model = IncidentStep
    fields = ["position", "title_zh", "title_en", "owner_team", "due_at", "done_at", "done_by"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = IncidentEvent
    fields = ["created_at", "kind", "actor", "ticket", "detail"]
    readonly_fields = fields


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "severity", "category", "owner_team", "started_at", "desk_link"]
    list_filter = ["status", "severity", "category"]
    search_fields = ["title_zh", "title_en", "affected_area"]
    readonly_fields = [f.name for f in Incident._meta.fields]
    inlines = [StepInline, LinkInline, UpdateInline, EventInline]

    @admin.display(description=_("desk"))
    def desk_link(self, incident: Incident) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("incidents:detail", args=[incident.pk]), _("Open on the desk")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
