"""Tickets and their timeline in the console: read, filter, search, export; changes go through the services.

Nothing on a ticket is edited as a raw field here. Supervisors act on a selection with the bulk
actions, each a loop over one service call per ticket (so every change has its TicketEvent), and
download exactly the list they are looking at through complaints.exports.
"""

from collections import defaultdict
from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from complaints import exports, naming, pii, selectors, services, timeline
from complaints.errors import ComplaintError
from complaints.models import Attachment, Category, Message, Resolution, Team, Ticket, TicketEvent
from complaints.models.tickets import MAX_ESCALATION_LEVEL
from complaints.states import Status

from .base import AppendOnlyAdmin, DateRangeFilter, ReadOnlyInline, VisibleTicketsOnly

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


# --- forms of the bulk actions ---------------------------------------------------------------


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), label=_("agent"))

    def __init__(self, *args, team_ids: set[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            User.objects.filter(is_active=True, memberships__team_id__in=team_ids)
            .distinct()
            .order_by(User.USERNAME_FIELD)
        )
        self.fields["assignee"].help_text = _(
            "Only members of the selected tickets' teams are offered; tickets of another team are skipped."
        )


class RerouteForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.filter(is_active=True), label=_("team"))
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class EscalateForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("priority"), choices=Ticket.Priority.choices, coerce=int)
    reason = forms.CharField(
        label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )


class SpamForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        max_length=2000,
        required=False,
        help_text=_("Spam tickets are closed where their status allows it."),
    )


def recorded_filters(request: HttpRequest) -> dict:
    """The changelist's filters as the export record keeps them; a searched e-mail or phone only masked."""
    filters: dict = {key: values if len(values) > 1 else values[0] for key, values in request.GET.lists()}
    term = str(filters.get(SEARCH_VAR, ""))
    if "@" in term:
        filters[SEARCH_VAR] = pii.mask_email(term.strip())
    elif sum(c.isdigit() for c in term) >= 7:
        filters[SEARCH_VAR] = pii.mask_phone(term)
    return filters


class BulkOutcome:
    """What one bulk action did: how many tickets changed, which were skipped and why."""

    def __init__(self) -> None:
        self.changed = 0
        self.skipped: dict[str, list[str]] = defaultdict(list)

    def skip(self, ticket: Ticket, reason: str) -> None:
        self.skipped[str(reason)].append(ticket.reference)


# --- the ticket admin ----------------------------------------------------------------------------


@admin.register(Ticket)
class TicketAdmin(VisibleTicketsOnly, admin.ModelAdmin):
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

    # --- bulk actions ----------------------------------------------------------------------

    def _run(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        change: Callable[[Ticket], object],
        done: Callable[[int], str],
    ) -> None:
        """Call `change` for every selected ticket; a refusal skips that ticket, never the others."""
        outcome = BulkOutcome()
        tickets = queryset.select_related(None).order_by("pk").only("pk", "reference", "status", "priority")
        for ticket in tickets:
            try:
                change(ticket)
            except ComplaintError as error:
                outcome.skip(ticket, error.message)
            else:
                outcome.changed += 1
        if outcome.changed:
            self.message_user(request, done(outcome.changed), messages.SUCCESS)
        for reason, references in outcome.skipped.items():
            shown = ", ".join(references[:SKIPPED_SHOWN])
            if len(references) > SKIPPED_SHOWN:
                shown += " " + gettext("and %(n)d more") % {"n": len(references) - SKIPPED_SHOWN}
            self.message_user(
                request,
                ngettext(
                    "%(n)d ticket skipped (%(tickets)s): %(reason)s",
                    "%(n)d tickets skipped (%(tickets)s): %(reason)s",
                    len(references),
                )
                % {"n": len(references), "tickets": shown, "reason": reason},
                messages.WARNING,
            )

    def _ask(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        *,
        action: str,
        title: str,
        form: forms.Form,
    ) -> TemplateResponse:
        """The intermediate page of an action that needs an answer (an agent, a team, a reason)."""
        count = queryset.count()
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "action": action,
            "form": form,
            "tickets": queryset.order_by("pk")[:SKIPPED_SHOWN],
            "count": count,
            "more": max(count - SKIPPED_SHOWN, 0),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "opts": self.opts,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/complaints/ticket/bulk_action.html", context)

    def _answered(self, request: HttpRequest) -> dict | None:
        return request.POST if "apply" in request.POST else None

    @admin.action(description=_("Assign selected tickets to an agent"), permissions=["act"])
    def assign_to_agent(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        team_ids = set(queryset.exclude(team=None).values_list("team_id", flat=True).distinct())
        form = AssignForm(self._answered(request), team_ids=team_ids)
        if not form.is_valid():
            return self._ask(
                request, queryset, action="assign_to_agent", title=gettext("Assign to an agent"), form=form
            )
        agent = form.cleaned_data["assignee"]
        self._run(
            request,
            queryset,
            lambda ticket: services.assign_within_team(
                ticket_id=ticket.pk, actor=request.user, assignee=agent, version=None
            ),
            lambda n: (
                ngettext("%(n)d ticket assigned to %(agent)s.", "%(n)d tickets assigned to %(agent)s.", n)
                % {"n": n, "agent": agent}
            ),
        )
        return None

    @admin.action(description=_("Move selected tickets to another team"), permissions=["act"])
    def move_to_team(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = RerouteForm(self._answered(request))
        if not form.is_valid():
            return self._ask(
                request, queryset, action="move_to_team", title=gettext("Move to another team"), form=form
            )
        team, reason = form.cleaned_data["team"], form.cleaned_data["reason"]
        self._run(
            request,
            queryset,
            lambda ticket: services.reroute(
                ticket_id=ticket.pk, actor=request.user, team=team, version=None, reason=reason
            ),
            lambda n: (
                ngettext("%(n)d ticket moved to %(team)s.", "%(n)d tickets moved to %(team)s.", n)
                % {"n": n, "team": team}
            ),
        )
        return None

    @admin.action(description=_("Escalate selected tickets one level"), permissions=["act"])
    def escalate(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = EscalateForm(self._answered(request))
        if not form.is_valid():
            return self._ask(request, queryset, action="escalate", title=gettext("Escalate"), form=form)
        reason = form.cleaned_data["reason"]
        self._run(
            request,
            queryset,
            lambda ticket: services.escalate(
                ticket_id=ticket.pk, actor=request.user, version=None, reason=reason
            ),
            lambda n: ngettext("%(n)d ticket escalated.", "%(n)d tickets escalated.", n) % {"n": n},
        )
        return None

    @admin.action(description=_("Set the priority of selected tickets"), permissions=["act"])
    def set_priority(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = PriorityForm(self._answered(request))
        if not form.is_valid():
            return self._ask(
                request, queryset, action="set_priority", title=gettext("Set the priority"), form=form
            )
        priority, reason = form.cleaned_data["priority"], form.cleaned_data["reason"]

        def change(ticket: Ticket) -> None:
            if ticket.priority == priority:
                raise ComplaintError(gettext("It already has this priority."))
            services.reclassify(
                ticket_id=ticket.pk, actor=request.user, version=None, priority=priority, reason=reason
            )

        self._run(
            request,
            queryset,
            change,
            lambda n: (
                ngettext("%(n)d ticket set to %(priority)s.", "%(n)d tickets set to %(priority)s.", n)
                % {"n": n, "priority": Ticket.Priority(priority).label}
            ),
        )
        return None

    @admin.action(description=_("Close selected resolved tickets"), permissions=["act"])
    def close_resolved(self, request: HttpRequest, queryset: QuerySet) -> None:
        def change(ticket: Ticket) -> None:
            if ticket.status != Status.RESOLVED:
                raise ComplaintError(
                    gettext("Only resolved tickets are closed here; this one is %(status)s.")
                    % {"status": Status(ticket.status).label}
                )
            services.transition(
                ticket_id=ticket.pk,
                actor=request.user,
                to=Status.CLOSED,
                version=None,
                reason=gettext("Closed by a supervisor."),
            )

        self._run(
            request,
            queryset,
            change,
            lambda n: ngettext("%(n)d ticket closed.", "%(n)d tickets closed.", n) % {"n": n},
        )

    @admin.action(description=_("Mark selected tickets as spam"), permissions=["act"])
    def mark_spam(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = SpamForm(self._answered(request))
        if not form.is_valid():
            return self._ask(request, queryset, action="mark_spam", title=gettext("Mark as spam"), form=form)
        reason = form.cleaned_data["reason"]
        self._run(
            request,
            queryset,
            lambda ticket: services.mark_spam(
                ticket_id=ticket.pk, actor=request.user, version=None, reason=reason
            ),
            lambda n: ngettext("%(n)d ticket marked as spam.", "%(n)d tickets marked as spam.", n) % {"n": n},
        )
        return None


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
