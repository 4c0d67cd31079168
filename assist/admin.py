"""Supervisor console: the desk's dictionary and the assistant's switches are configuration (audited);
trained models and suggestions are read here."""

from django.contrib import admin
from django.http import HttpRequest

from complaints.admin.config_audit import AuditedModelAdmin

from .models import AssistModel, AssistSettings, AssistSuggestion, AssistTerm, FaqOpen


@admin.register(AssistTerm)
class AssistTermAdmin(AuditedModelAdmin):
    list_display = ["word", "note", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["word", "note"]


@admin.register(AssistSettings)
class AssistSettingsAdmin(AuditedModelAdmin):
    list_display = ["__str__", "auto_apply_confidence", "minimum_accuracy"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not AssistSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: AssistSettings | None = None) -> bool:
        return False


@admin.register(AssistModel)
class AssistModelAdmin(admin.ModelAdmin):
    list_display = ["pk", "trained_at", "training_size", "accuracy", "is_current"]
    readonly_fields = ["trained_at", "training_size", "accuracy", "scores", "path", "is_current"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AssistModel | None = None) -> bool:
        return False


@admin.register(AssistSuggestion)
class AssistSuggestionAdmin(admin.ModelAdmin):
    list_display = ["ticket", "category", "team", "priority", "applied", "created_at"]
    list_filter = ["applied"]
    list_select_related = ["ticket", "category", "team"]
    readonly_fields = [f.name for f in AssistSuggestion._meta.fields]
    search_fields = ["ticket__reference"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AssistSuggestion | None = None) -> bool:
        return False


@admin.register(FaqOpen)
class FaqOpenAdmin(admin.ModelAdmin):
    """Read-only: which suggested FAQ articles visitors of the complaint form opened, and who wrote anyway."""

    list_display = ["article", "opened_at", "submitted_at"]
    list_filter = [("submitted_at", admin.EmptyFieldListFilter)]
    list_select_related = ["article"]
    readonly_fields = ["article", "opened_at", "submitted_at"]
    exclude = ["visitor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FaqOpen | None = None) -> bool:
        return False
