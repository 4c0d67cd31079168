"""Configuration of the complaint core: teams, categories, root causes, routing, knowledge base, canned replies,
retention. Every change is audited (config_audit); routing rules can be tried on a text before they go live."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from complaints import routing
from complaints.models import (
    CannedReply,
    Category,
    KBArticle,
    RetentionPolicy,
    RootCause,
    RoutingRule,
    Team,
    TeamMembership,
)
from complaints.models.tickets import Channel, Complexity, Kind, Priority

from .config_audit import AuditedModelAdmin

ANY = [("", _("any"))]
UNCHANGED = [("", _("leave as it is"))]
# Below this, a closed ticket could lose its texts while a survey or a dispute about it is still open.
MIN_RETENTION_DAYS = 30


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(AuditedModelAdmin):
    list_display = ["slug", "name_zh", "name_en", "function", "assignment_strategy", "is_active"]
    list_filter = ["function", "is_active"]
    search_fields = ["slug", "name_zh", "name_en"]
    inlines = [MembershipInline]


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = ["__str__", "slug", "name_en", "default_team", "position", "is_active"]
    list_filter = ["is_active", "parent"]
    list_select_related = ["parent", "default_team"]
    search_fields = ["slug", "name_zh", "name_en"]


@admin.register(RootCause)
class RootCauseAdmin(AuditedModelAdmin):
    list_display = ["slug", "group", "name_zh", "name_en", "is_active"]
    list_filter = ["group", "is_active"]
    search_fields = ["slug", "name_zh", "name_en"]


class RoutingRuleForm(forms.ModelForm):
    """Channels, kinds and complexities from their choices; a rule must test something and set something."""

    match_channel = forms.ChoiceField(label=_("channel is"), choices=ANY + Channel.choices, required=False)
    set_kind = forms.ChoiceField(label=_("set kind"), choices=UNCHANGED + Kind.choices, required=False)
    set_priority = forms.TypedChoiceField(
        label=_("set priority"),
        choices=UNCHANGED + Priority.choices,
        coerce=int,
        empty_value=None,
        required=False,
    )
    set_complexity = forms.ChoiceField(
        label=_("set complexity"), choices=UNCHANGED + Complexity.choices, required=False
    )

    class Meta:
        model = RoutingRule
        fields = [
            "name",
            "position",
            "is_active",
            "match_channel",
            "match_category",
            "match_keywords",
            "set_kind",
            "set_category",
            "set_team",
            "set_priority",
            "set_complexity",
        ]

    def clean(self) -> dict:
        data = super().clean()
        if not (
            data.get("match_channel") or data.get("match_category") or data.get("match_keywords", "").strip()
        ):
            raise ValidationError(
                _(
                    "Give the rule at least one condition (a channel, a category or some words): "
                    "without one it would catch every new ticket."
                )
            )
        actions = ("set_kind", "set_category", "set_team", "set_priority", "set_complexity")
        if not any(data.get(name) for name in actions):
            raise ValidationError(
                _("The rule changes nothing: choose a team, a category, a kind, a priority or a complexity.")
            )
        return data


class RoutingTestForm(forms.Form):
    text = forms.CharField(
        label=_("text of a complaint"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        max_length=20000,
    )
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices, initial=Channel.WEB)
    category = forms.ModelChoiceField(
        label=_("category"),
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
        required=False,
        empty_label=_("none chosen"),
    )


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedModelAdmin):
    form = RoutingRuleForm
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

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.test_text_view)
        return [path("test/", view, name="complaints_routingrule_test"), *super().get_urls()]

    def test_text_view(self, request: HttpRequest) -> HttpResponse:
        """Paste a text, pick a channel and category: which active rule fires, and what it would set."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = RoutingTestForm(request.POST or None)
        decision = None
        checked: list[tuple[RoutingRule, str | None]] = []
        if request.method == "POST" and form.is_valid():
            text, channel = form.cleaned_data["text"], form.cleaned_data["channel"]
            category = form.cleaned_data["category"]
            decision = routing.classify(channel=channel, category=category, text=text)
            rules = RoutingRule.objects.filter(is_active=True).select_related("match_category", "set_team")
            checked = [
                (rule, routing.rule_matches(rule, channel=channel, category=category, text=text))
                for rule in rules
            ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Try the routing rules on a text"),
            "form": form,
            "decision": decision,
            "checked": checked,
            "priority_label": dict(Priority.choices).get(decision.priority) if decision else None,
        }
        return TemplateResponse(request, "admin/complaints/routingrule/test_text.html", context)


@admin.register(KBArticle)
class KBArticleAdmin(AuditedModelAdmin):
    list_display = ["slug", "title_zh", "title_en", "category", "is_public", "is_published", "updated_at"]
    list_filter = ["is_public", "is_published", "category"]
    list_select_related = ["category"]
    search_fields = ["slug", "title_zh", "title_en", "body_zh", "body_en"]


@admin.register(CannedReply)
class CannedReplyAdmin(AuditedModelAdmin):
    list_display = ["title", "language", "team", "is_active"]
    list_filter = ["language", "team", "is_active"]
    search_fields = ["title", "body"]


class RetentionPolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = ["enabled", "closed_ticket_days"]

    def clean_closed_ticket_days(self) -> int:
        days = self.cleaned_data["closed_ticket_days"]
        if days < MIN_RETENTION_DAYS:
            raise ValidationError(
                _(
                    "Keep closed tickets for at least %(min)d days, so surveys and disputes about them can "
                    "finish first."
                ),
                params={"min": MIN_RETENTION_DAYS},
            )
        return days


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(AuditedModelAdmin):
    """The one retention setting: the list leads straight to it; it can be neither added twice nor deleted."""

    form = RetentionPolicyForm
    fields = ["enabled", "closed_ticket_days", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RetentionPolicy | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)
        policy = RetentionPolicy.current()
        return HttpResponseRedirect(reverse("admin:complaints_retentionpolicy_change", args=[policy.pk]))
