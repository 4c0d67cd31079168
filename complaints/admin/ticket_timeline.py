"""A ticket's timeline in the console: its events, messages, resolutions and files, read-only."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from complaints import timeline
from complaints.models import Attachment, Message, Resolution, TicketEvent

from .base import AppendOnlyAdmin, ReadOnlyInline, VisibleTicketsOnly

User = get_user_model()

# Skipped tickets named per reason in the message; the rest are counted.
SKIPPED_SHOWN = 20


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["created_at", "kind", "what_changed", "by", "why"]
    readonly_fields = fields
    verbose_name_plural = _("timeline")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("actor")

    # In words, in the reader's language (complaints.timeline), not the stored codes.
    @admin.display(description=_("what changed"))
    def what_changed(self, event: TicketEvent) -> str:
        return timeline.event_change(event) or "—"

    @admin.display(description=_("by"))
    def by(self, event: TicketEvent) -> str:
        return timeline.actor_label(event)

    @admin.display(description=_("why"))
    def why(self, event: TicketEvent) -> str:
        return timeline.event_reason(event) or "—"


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "kind", "author", "channel", "body"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("author")


class ResolutionInline(ReadOnlyInline):
    model = Resolution
    fields = ["created_at", "root_cause", "steps_taken", "remedy", "amount", "currency", "customer_response"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("root_cause")


@admin.register(TicketEvent)
class TicketEventAdmin(VisibleTicketsOnly, AppendOnlyAdmin):
    list_display = ["created_at", "ticket", "kind", "actor", "from_value", "to_value"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["ticket", "actor"]
    search_fields = ["ticket__reference"]
    show_full_result_count = False


@admin.register(Message)
class MessageAdmin(VisibleTicketsOnly, AppendOnlyAdmin):
    list_display = ["created_at", "ticket", "kind", "author", "channel"]
    list_filter = ["kind", "channel"]
    list_select_related = ["ticket", "author"]
    search_fields = ["ticket__reference"]
    show_full_result_count = False


@admin.register(Resolution)
class ResolutionAdmin(VisibleTicketsOnly, AppendOnlyAdmin):
    list_display = ["created_at", "ticket", "root_cause", "remedy", "amount", "currency", "customer_response"]
    list_filter = ["remedy", "customer_response", "root_cause"]
    list_select_related = ["ticket", "root_cause"]
    search_fields = ["ticket__reference"]


@admin.register(Attachment)
class AttachmentAdmin(VisibleTicketsOnly, AppendOnlyAdmin):
    list_display = ["created_at", "ticket", "original_name", "content_type", "size"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__reference", "original_name"]
