from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import reverse

from .models import AgentPresence, Chat, ChatBlock


def embed_snippets(request) -> dict[str, str]:
    """The two ways a site embeds the chat: the script tag (a button opening the chat) or an iframe."""
    base = settings.SITE_URL.rstrip("/")
    page = base + reverse("chat:start")
    return {
        "script": f'<script src="{base}{static("chat/embed.js")}" data-chat="{page}" data-topic="" defer></script>',
        "iframe": f'<iframe src="{page}" title="Live chat" style="width:380px;height:600px;border:0"></iframe>',
    }


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ["created_at", "state", "team", "agent", "ticket", "rating"]
    list_filter = ["state", "team", "rating"]
    list_select_related = ["team", "agent", "ticket"]
    readonly_fields = [f.name for f in Chat._meta.fields]
    change_list_template = "admin/chat/chat/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "embed": embed_snippets(request)}
        return super().changelist_view(request, extra_context)


@admin.register(AgentPresence)
class AgentPresenceAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "capacity", "connections", "updated_at"]
    list_editable = ["capacity"]
    list_filter = ["status"]
    readonly_fields = ["connections", "disconnected_at", "updated_at"]
    raw_id_fields = ["user"]


@admin.register(ChatBlock)
class ChatBlockAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reason", "created_at"]
    raw_id_fields = ["customer"]
    fields = ["customer", "ip", "reason"]
