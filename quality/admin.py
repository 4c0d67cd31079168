"""Console pages of quality: scorecards, reviews, corrective actions with their effect, disclosure settings."""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.naming import user_name

from . import corrective
from .models import (
    CorrectiveAction,
    Criterion,
    QualitySettings,
    Review,
    ReviewPackDelivery,
    ReviewScore,
    SamplingRun,
    Scorecard,
    TransparencySettings,
    TransparencySnapshot,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the services write; the console shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SingleRowAdmin(admin.ModelAdmin):
    """A settings row: one, created on first use, never deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not self.model.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        self.model.current()
        return super().changelist_view(request, extra_context)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 1
    fields = [
        "position",
        "name_zh",
        "name_en",
        "weight",
        "scale",
        "max_points",
        "is_critical",
        "guidance_zh",
        "guidance_en",
    ]


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ["__str__", "team", "pass_mark", "is_active"]
    list_filter = ["is_active", "team"]
    inlines = [CriterionInline]


@admin.register(QualitySettings)
class QualitySettingsAdmin(SingleRowAdmin):
    list_display = [
        "__str__",
        "sample_per_agent",
        "low_rating_at_most",
        "appeal_within_days",
        "effectiveness_weeks",
    ]


class ReviewScoreInline(admin.TabularInline):
    model = ReviewScore
    fields = ["criterion", "points", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = [
        "ticket",
        "week_start",
        "reason",
        "agent_name",
        "team",
        "inspector_name",
        "state",
        "score",
        "passed",
    ]
    list_filter = ["state", "reason", "passed", "critical_failed", "team", "week_start"]
    list_select_related = ["ticket", "agent", "inspector", "team"]
    search_fields = ["ticket__reference"]
    inlines = [ReviewScoreInline]
    readonly_fields = [f.name for f in Review._meta.fields]

    @admin.display(description=gettext_lazy("agent"))
    def agent_name(self, review: Review) -> str:
        return user_name(review.agent) or "—"

    @admin.display(description=gettext_lazy("inspector"))
    def inspector_name(self, review: Review) -> str:
        return user_name(review.inspector) or "—"


@admin.register(SamplingRun)
class SamplingRunAdmin(ReadOnlyAdmin):
    list_display = ["week_start", "sampled", "created_at"]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "root_cause",
        "category",
        "owner_name",
        "due_date",
        "status",
        "overdue",
        "is_public",
    ]
    list_filter = ["status", "is_public", "root_cause", "category"]
    list_select_related = ["root_cause", "category", "category__parent", "owner"]
    search_fields = ["title"]
    raw_id_fields = ["tickets"]
    readonly_fields = [
        "effect",
        "matching_tickets_link",
        "opened_by",
        "created_at",
        "completed_at",
        "overdue_warned_at",
    ]
    fieldsets = [
        (
            gettext_lazy("Problem"),
            {
                "fields": [
                    "title",
                    "root_cause",
                    "category",
                    "problem",
                    "tickets",
                    "ticket_filter",
                    "matching_tickets_link",
                ]
            },
        ),
        (gettext_lazy("Action"), {"fields": ["action", "owner", "due_date", "status"]}),
        (gettext_lazy("Effect"), {"fields": ["effect"]}),
        (
            gettext_lazy("Public disclosure"),
            {"fields": ["is_public", "public_summary_zh", "public_summary_en"]},
        ),
        (None, {"fields": ["opened_by", "created_at", "completed_at", "overdue_warned_at"]}),
    ]

    @admin.display(description=gettext_lazy("owner"))
    def owner_name(self, action: CorrectiveAction) -> str:
        return user_name(action.owner)

    @admin.display(description=gettext_lazy("overdue"), boolean=True)
    def overdue(self, action: CorrectiveAction) -> bool:
        from django.utils import timezone

        return action.status in corrective.OPEN_STATUSES and action.due_date < timezone.localdate()

    @admin.display(description=gettext_lazy("complaints that show it"))
    def matching_tickets_link(self, action: CorrectiveAction) -> str:
        url = reverse("admin:complaints_ticket_changelist")
        if action.ticket_filter:
            return format_html(
                '<a href="{}?{}">{}</a>', url, action.ticket_filter, _("The saved filter in the ticket list")
            )
        if action.category_id:
            query = urlencode({"category__id__exact": action.category_id})
            return format_html('<a href="{}?{}">{}</a>', url, query, _("This category's tickets"))
        if action.root_cause_id:
            query = urlencode({"root_cause__id__exact": action.root_cause_id})
            return format_html(
                '<a href="{}?{}">{}</a>',
                reverse("admin:complaints_resolution_changelist"),
                query,
                _("Resolutions filed under this cause"),
            )
        return "—"

    @admin.display(description=gettext_lazy("effectiveness"))
    def effect(self, action: CorrectiveAction) -> str:
        effect = corrective.effect_of(action) if action.pk else None
        if effect is None:
            return _("Measured once the action is done.")
        rows = [
            (_("%(weeks)s weeks before") % {"weeks": effect.weeks}, effect.before),
            (
                _("%(weeks)s weeks after") % {"weeks": effect.weeks} if effect.final else _("after, so far"),
                effect.after,
            ),
        ]
        lines = format_html_join(
            "",
            "<li>{}: {} ({} / {})</li>",
            ((label, _percent(w.rate), w.matching, w.total) for label, w in rows),
        )
        change = effect.change
        verdict = (
            "" if change is None else (_("fewer complaints") if change < 0 else _("no fewer complaints"))
        )
        return format_html(
            "<p>{}</p><ul>{}</ul><p><strong>{}</strong></p>",
            _("Share of all complaints opened that concern this cause or category:"),
            lines,
            verdict,
        )

    def save_model(self, request: HttpRequest, obj: CorrectiveAction, form, change: bool) -> None:
        corrective.save_action(action=obj, actor=request.user, created=not change)


def _percent(rate) -> str:
    return "—" if rate is None else f"{rate}%"


@admin.register(TransparencySettings)
class TransparencySettingsAdmin(SingleRowAdmin):
    list_display = ["__str__", "minimum_count", "months"]


@admin.register(TransparencySnapshot)
class TransparencySnapshotAdmin(ReadOnlyAdmin):
    list_display = ["computed_at"]


@admin.register(ReviewPackDelivery)
class ReviewPackDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["month", "sent_at", "recipients"]
