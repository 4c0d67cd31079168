"""Tickets and their timeline in the console: read, filter, search; changes go through the services."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.models import Attachment, Message, Resolution, Ticket, TicketEvent

from .base import AppendOnlyAdmin, ReadOnlyInline


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["created_at", "kind", "actor", "from_value", "to_value", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("timeline")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("actor")


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


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Tickets change only through the services; here they are read, filtered and searched."""

    list_display = [
        "reference",
        "subject",
        "status",
        "priority",
        "kind",
        "category",
        "team",
        "assignee",
        "escalation_level",
        "channel",
        "created_at",
    ]
    list_filter = [
        "status",
        "priority",
        "kind",
        "channel",
        "team",
        "escalation_level",
        "complexity",
        "sla_state",
        "created_at",
    ]
    search_fields = ["reference", "order_number"]
    search_help_text = _("Reference, order number, or a customer's exact e-mail or phone.")
    list_select_related = ["category", "category__parent", "team", "assignee"]
    date_hierarchy = "created_at"
    inlines = [MessageInline, ResolutionInline, TicketEventInline]
    list_per_page = 50
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in Ticket._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and ("@" in term or sum(c.isdigit() for c in term) >= 7):
            results |= queryset.filter(customer__in=selectors.customers_by_contact(term))
        return results, may_have_duplicates


@admin.register(TicketEvent)
class TicketEventAdmin(AppendOnlyAdmin):
    list_display = ["created_at", "ticket", "kind", "actor", "from_value", "to_value"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["ticket", "actor"]
    search_fields = ["ticket__reference"]
    show_full_result_count = False


@admin.register(Message)
class MessageAdmin(AppendOnlyAdmin):
    list_display = ["created_at", "ticket", "kind", "author", "channel"]
    list_filter = ["kind", "channel"]
    list_select_related = ["ticket", "author"]
    search_fields = ["ticket__reference"]
    show_full_result_count = False


@admin.register(Resolution)
class ResolutionAdmin(AppendOnlyAdmin):
    list_display = ["created_at", "ticket", "root_cause", "remedy", "amount", "currency", "customer_response"]
    list_filter = ["remedy", "customer_response", "root_cause"]
    list_select_related = ["ticket", "root_cause"]
    search_fields = ["ticket__reference"]


@admin.register(Attachment)
class AttachmentAdmin(AppendOnlyAdmin):
    list_display = ["created_at", "ticket", "original_name", "content_type", "size"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__reference", "original_name"]
