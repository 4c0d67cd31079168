"""Configuration of the complaint core: teams, categories, root causes, routing, knowledge base, canned replies."""

from django.contrib import admin

from complaints.models import CannedReply, Category, KBArticle, RootCause, RoutingRule, Team, TeamMembership


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
