"""Tickets in the console: read, filter, search, export; changes go through the services.

Nothing on a ticket is edited as a raw field here. Supervisors act on a selection with the bulk
actions (`ticket_bulk.py`: one service call per ticket, so every change has its TicketEvent), read
the timeline inline (`ticket_timeline.py`), and download exactly the list they are looking at
through complaints.exports.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import exports, naming, pii, selectors
from complaints.models import Category, Ticket
from complaints.models.tickets import MAX_ESCALATION_LEVEL

from .base import DateRangeFilter, VisibleTicketsOnly
from .ticket_bulk import TicketBulkActions
from .ticket_timeline import MessageInline, ResolutionInline, TicketEventInline

User = get_user_model()

# --- filters -------------------------------------------------------------------------------


class AssigneeFilter(admin.RelatedFieldListFilter):
    """Only people who can hold tickets (team members), not every account, by name as the list shows them."""

    def field_choices(self, field, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        members = User.objects.filter(memberships__isnull=False).distinct().order_by(User.USERNAME_FIELD)
        return sorted(((user.pk, naming.user_name(user)) for user in members), key=lambda choice: choice[1])


class CategoryFilter(admin.RelatedFieldListFilter):
    """Categories with their parents in one query (each one's name shows its parent)."""

    def field_choices(self, field, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        categories = Category.objects.select_related("parent")
        return sorted(((category.pk, str(category)) for category in categories), key=lambda choice: choice[1])


class EscalationLevelFilter(admin.AllValuesFieldListFilter):
    """Levels 0 to 3 as fixed choices (Django's parameter name kept): no DISTINCT over every ticket per page."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lookup_choices = range(MAX_ESCALATION_LEVEL + 1)


def recorded_filters(request: HttpRequest) -> dict:
    """The changelist's filters as the export record keeps them; a searched e-mail or phone only masked."""
    filters: dict = {key: values if len(values) > 1 else values[0] for key, values in request.GET.lists()}
    term = str(filters.get(SEARCH_VAR, ""))
    if "@" in term:
        filters[SEARCH_VAR] = pii.mask_email(term.strip())
    elif sum(c.isdigit() for c in term) >= 7:
        filters[SEARCH_VAR] = pii.mask_phone(term)
    return filters


# --- the ticket admin ----------------------------------------------------------------------------


@admin.register(Ticket)
class TicketAdmin(TicketBulkActions, VisibleTicketsOnly, admin.ModelAdmin):
    """Tickets change only through the services; here they are read, filtered, searched, acted on and exported."""

    ticket_path = ""

    # What a supervisor scans a queue by, narrow enough for a 1366 px laptop without scrolling sideways:
    # kind, category and the masked contact share the subject's cell; channel, complexity and the rest
    # stay filters.
    list_display = [
        "reference",
        "subject_cell",
        "status",
        "priority_cell",
        "team",
        "assignee_cell",
        "sla_cell",
        "created_cell",
    ]
    list_filter = [
        "status",
        "priority",
        "kind",
        "channel",
        "team",
        ("assignee", AssigneeFilter),
        ("category", CategoryFilter),
        "sla_state",
        ("escalation_level", EscalationLevelFilter),
        "complexity",
        "is_spam",
        ("created_at", DateRangeFilter),
        ("resolved_at", DateRangeFilter),
    ]
    search_fields = ["reference", "order_number"]
    search_help_text = _("Reference, order number, a customer's exact e-mail or phone, or words.")
    list_select_related = ["customer", "category", "category__parent", "team", "assignee"]
    inlines = [MessageInline, ResolutionInline, TicketEventInline]
    list_per_page = 50
    show_full_result_count = False
    actions = [
        "assign_to_agent",
        "move_to_team",
        "escalate",
        "set_priority",
        "close_resolved",
        "mark_spam",
        "export_selected_csv",
        "export_selected_xlsx",
    ]

    # Read-only: the change page only shows; the services change tickets.
    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["open_in_desk", *(f.name for f in Ticket._meta.fields)]

    # The ticket at a glance, several fields to a row, as a helpdesk's ticket header reads; the
    # bookkeeping fields folded away. Every field of the model appears once.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "open_in_desk",
                    ("reference", "status", "priority", "escalation_level"),
                    ("team", "assignee", "category"),
                    ("kind", "complexity", "channel", "language"),
                    ("customer", "order_number"),
                ]
            },
        ),
        (
            _("What happened"),
            {"fields": ["subject", "description", ("occurred_at", "location"), "desired_outcome"]},
        ),
        (
            _("Service level and dates"),
            {
                "fields": [
                    ("sla_state", "sla_due_at"),
                    ("created_at", "acknowledged_at", "first_response_at"),
                    ("resolved_at", "closed_at", "updated_at"),
                ]
            },
        ),
        (
            _("Links and bookkeeping"),
            {
                "classes": ["collapse"],
                "fields": [
                    ("duplicate_of", "related_to", "routing_rule"),
                    ("created_by", "is_spam", "anonymised_at"),
                    ("id", "version"),
                ],
            },
        ),
    ]

    @admin.display(description=_("desk"))
    def open_in_desk(self, ticket: Ticket) -> str:
        return format_html(
            '<a href="{}" class="open-in-desk">{}</a>',
            reverse("desk:ticket", args=[ticket.reference]),
            _("Open in the desk"),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_act_permission(self, request: HttpRequest) -> bool:
        """The bulk actions: whoever may change tickets through the services."""
        return request.user.has_perm("complaints.change_ticket")

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("complaints.export_tickets")

    @admin.display(description=_("customer"))
    def customer_contact(self, ticket: Ticket) -> str:
        return ticket.customer.masked_contact or ticket.customer.masked_name

    # --- the list's cells (styled in static/console/admin.css) ------------------------------------

    @admin.display(description=_("subject"), ordering="subject")
    def subject_cell(self, ticket: Ticket) -> str:
        """The subject cut to one line (whole in its title), over kind, category and the masked contact."""
        details = " · ".join(
            str(part)
            for part in (ticket.get_kind_display(), ticket.category or "", self.customer_contact(ticket))
            if part
        )
        return format_html(
            '<span class="ticket-subject" title="{}">{}</span><span class="ticket-details" title="{}">{}</span>',
            ticket.subject,
            ticket.subject,
            details,
            details,
        )

    @admin.display(description=_("priority"), ordering="priority")
    def priority_cell(self, ticket: Ticket) -> str:
        """P1–P4 as a badge (the label in its title) and the escalation level when raised."""
        badge = format_html(
            '<span class="priority-badge priority-{}" title="{}">P{}</span>',
            ticket.priority,
            ticket.get_priority_display(),
            ticket.priority,
        )
        if not ticket.escalation_level:
            return badge
        level = gettext("Escalation level %(level)d") % {"level": ticket.escalation_level}
        return format_html(
            '{} <span class="ticket-escalated" title="{}">L{}</span>', badge, level, ticket.escalation_level
        )

    @admin.display(description=_("assignee"), ordering="assignee__username")
    def assignee_cell(self, ticket: Ticket) -> str:
        return naming.user_name(ticket.assignee) or "—"

    @admin.display(description=_("created"), ordering="created_at")
    def created_cell(self, ticket: Ticket) -> str:
        moment = timezone.localtime(ticket.created_at)
        return format_html(
            '<span class="ticket-when">{}</span> <span class="ticket-when">{}</span>',
            date_format(moment, "SHORT_DATE_FORMAT"),
            date_format(moment, "TIME_FORMAT"),
        )

    @admin.display(description=_("SLA"), ordering="sla_due_at")
    def sla_cell(self, ticket: Ticket) -> str:
        """The SLA state as a coloured badge and, while a target runs, when it falls due."""
        badge = format_html(
            '<span class="sla-badge sla-{}">{}</span>', ticket.sla_state, ticket.get_sla_state_display()
        )
        if ticket.sla_due_at is None or ticket.sla_state in (Ticket.SlaState.NONE, Ticket.SlaState.MET):
            return badge
        return format_html(
            '{}<span class="ticket-due"><span class="ticket-when">{}</span> <span class="ticket-when">{}</span></span>',
            badge,
            date_format(timezone.localtime(ticket.sla_due_at), "SHORT_DATE_FORMAT"),
            date_format(timezone.localtime(ticket.sla_due_at), "TIME_FORMAT"),
        )

    # --- search ---------------------------------------------------------------------------

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """The desk's search (selectors.search_tickets): reference, order number, a customer's exact
        e-mail or phone through the blind index, or words in the subject, description and messages."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return selectors.search_tickets(queryset, term), False

    # --- export ---------------------------------------------------------------------------

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "export/<str:file_format>/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra_context = dict(extra_context or {})
        if self.has_export_permission(request):
            query = request.GET.urlencode()
            extra_context["export_links"] = [
                (
                    label,
                    reverse("admin:complaints_ticket_export", args=[file_format])
                    + (f"?{query}" if query else ""),
                )
                for file_format, label in (("csv", "CSV"), ("xlsx", "XLSX"))
            ]
        return super().changelist_view(request, extra_context)

    def export_view(self, request: HttpRequest, file_format: str) -> HttpResponse:
        """Exactly the list the changelist shows with the same query string, every page of it."""
        if not (self.has_view_permission(request) and self.has_export_permission(request)):
            raise PermissionDenied
        if file_format not in exports.FORMATS:
            raise Http404(gettext("No such export format."))
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:complaints_ticket_changelist") + "?e=1")
        return exports.export_tickets(
            user=request.user,
            queryset=changelist.queryset,
            file_format=file_format,
            filters=recorded_filters(request),
        )

    def _export_selected(self, request: HttpRequest, queryset: QuerySet, file_format: str) -> HttpResponse:
        filters = recorded_filters(request)
        if request.POST.get("select_across") == "1":
            filters["selected"] = "all"
        else:
            filters["selected"] = sorted(
                int(pk) for pk in request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
            )
        return exports.export_tickets(
            user=request.user, queryset=queryset, file_format=file_format, filters=filters
        )

    @admin.action(description=_("Export selected tickets as CSV"), permissions=["export"])
    def export_selected_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export_selected(request, queryset, "csv")

    @admin.action(description=_("Export selected tickets as XLSX"), permissions=["export"])
    def export_selected_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export_selected(request, queryset, "xlsx")
