from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import (
    Attachment,
    CannedReply,
    Category,
    Customer,
    KBArticle,
    Message,
    Resolution,
    RootCause,
    RoutingRule,
    Team,
    TeamMembership,
    Ticket,
    TicketEvent,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


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


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "masked_phone",
        "masked_email",
        "customer_number",
        "preferred_language",
        "created_at",
    ]
    search_fields = ["customer_number"]
    search_help_text = _("Customer number, or an exact e-mail or phone.")
    list_filter = ["preferred_language", "surveys_opted_out"]
    readonly_fields = ["masked_name", "masked_phone", "masked_email", "created_at"]
    exclude = ["name", "email", "phone"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= queryset.filter(pk__in=selectors.customers_by_contact(search_term))
        return results, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_zh", "name_en", "function", "is_active"]
    list_filter = ["function", "is_active"]
    search_fields = ["slug", "name_zh", "name_en"]
    inlines = [MembershipInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slug", "name_en", "default_team", "position", "is_active"]
    list_filter = ["is_active", "parent"]
    list_select_related = ["parent", "default_team"]
    search_fields = ["slug", "name_zh", "name_en"]


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):
    list_display = ["slug", "group", "name_zh", "name_en", "is_active"]
    list_filter = ["group", "is_active"]
    search_fields = ["slug", "name_zh", "name_en"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "position",
        "is_active",
        "match_channel",
        "match_category",
        "set_team",
        "set_priority",
    ]
    list_editable = ["position", "is_active"]
    list_select_related = ["match_category", "set_team"]
    search_fields = ["name", "match_keywords"]


@admin.register(KBArticle)
class KBArticleAdmin(admin.ModelAdmin):
    list_display = ["slug", "title_zh", "title_en", "category", "is_public", "is_published", "updated_at"]
    list_filter = ["is_public", "is_published", "category"]
    list_select_related = ["category"]
    search_fields = ["slug", "title_zh", "title_en", "body_zh", "body_en"]


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "team", "is_active"]
    list_filter = ["language", "team", "is_active"]
    search_fields = ["title", "body"]


class AppendOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


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
