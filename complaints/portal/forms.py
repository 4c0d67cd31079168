"""Forms of the agent portal: the queue filters and one form per ticket action.

Every action form carries the ticket version the agent saw (and the last event they
saw), so a change made meanwhile by someone else is refused instead of overwritten.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from complaints import config_cache, naming
from complaints.models import Category, Resolution, RootCause, Team, Ticket
from complaints.selectors import Queue, QueueSort, is_supervisor

User = get_user_model()

PAGE_SIZES = [25, 50, 100]


class StaffChoiceField(forms.ModelChoiceField):
    """A choice of colleagues, each shown by name as colleagues know them (王芳), not by login."""

    def label_from_instance(self, obj: object) -> str:
        return naming.user_name(obj)


class QuickSelect(forms.Select):
    """A <select> written out in Python, straight from its choices. Django builds a dict per option
    and renders each through a template, which on the workspace (categories, root causes, teams,
    staff) was a third of the page's time."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        selected = set(self.format_value(value))
        parts = [format_html('<select name="{}"{}>', name, flatatt(self.build_attrs(self.attrs, attrs)))]
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(format_html('<optgroup label="{}">', option_value))
                parts += [_option(value, text, selected) for value, text in label]
                parts.append("</optgroup>")
            else:
                parts.append(_option(option_value, label, selected))
        parts.append("</select>")
        return mark_safe("".join(parts))  # every part above went through format_html


class QuickHiddenInput(forms.HiddenInput):
    """A hidden input written out in Python: the workspace has two in each of its dozen forms."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        value = self.format_value(value)
        return format_html(
            '<input type="hidden" name="{}"{}{}>',
            name,
            format_html(' value="{}"', value) if value is not None else "",
            flatatt(self.build_attrs(self.attrs, attrs)),
        )


def _option(value: object, label: object, selected: set[str]) -> str:
    value = "" if value is None else str(value)
    return format_html(
        '<option value="{}"{}>{}</option>', value, mark_safe(" selected") if value in selected else "", label
    )


class QueueFilterForm(forms.Form):
    """What the queue page is asked to show; every field is optional and invalid values are ignored."""

    queue = forms.ChoiceField(label=_("Queue"), choices=Queue.choices, required=False, widget=QuickSelect)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    # Where a search looks: everything the agent may see ("") unless they pick one of their queues.
    within = forms.ChoiceField(label=_("Search in"), required=False, widget=QuickSelect)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *Ticket.Status.choices], required=False, widget=QuickSelect
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[("", "—"), *Ticket.Priority.choices],
        coerce=int,
        required=False,
        widget=QuickSelect,
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", "—"), *Ticket.Kind.choices], required=False, widget=QuickSelect
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label="—",
        widget=QuickSelect,
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", "—"), *Ticket.Channel.choices], required=False, widget=QuickSelect
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label="—", widget=QuickSelect
    )
    assignee = StaffChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label="—", widget=QuickSelect
    )
    sla_state = forms.ChoiceField(
        label=_("SLA state"),
        choices=[("", "—"), *Ticket.SlaState.choices],
        required=False,
        widget=QuickSelect,
    )
    escalation_level = forms.TypedChoiceField(
        label=_("Escalation level"),
        choices=[("", "—"), *[(n, str(n)) for n in range(4)]],
        coerce=int,
        required=False,
        empty_value=None,
    )
    created_after = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label=_("Sort by"), choices=QueueSort.choices, required=False, widget=QuickSelect
    )
    per_page = forms.TypedChoiceField(
        label=_("Per page"), choices=[(n, str(n)) for n in PAGE_SIZES], coerce=int, required=False
    )

    def __init__(self, *args, queues: list[Queue], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue"].choices = [(q.value, q.label) for q in queues]
        self.fields["within"].choices = [
            ("", _("Everything I may see")),
            *[(q.value, q.label) for q in queues if q not in (Queue.VISIBLE, Queue.ALL)],
        ]
        _offer_configured(self.fields["category"], active_categories())
        _offer_configured(self.fields["team"], active_teams())
        self.fields["assignee"].queryset = staff_users()
        self.fields["assignee"].choices = _staff_choices(self.fields["assignee"])

    def criteria(self) -> dict[str, object]:
        """The filter arguments for selectors.filter_ticket_queue, leaving out what was not valid."""
        names = [
            "status",
            "priority",
            "kind",
            "category",
            "channel",
            "team",
            "assignee",
            "sla_state",
            "escalation_level",
            "created_after",
            "created_before",
        ]
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in names if data.get(name) not in (None, "")}

    def value(self, name: str, default: object) -> object:
        data = getattr(self, "cleaned_data", {})
        return data.get(name) or default


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent")


def active_teams() -> QuerySet[Team]:
    return Team.objects.filter(is_active=True)


def _offer_configured(
    field: forms.ModelChoiceField, queryset: QuerySet, *, leave_out: int | None = None
) -> None:
    """Offer the rows of `queryset` (categories, teams or root causes), less `leave_out`. The options come from
    the per-process configuration cache (complaints.config_cache), renewed when a change commits;
    a chosen value is still checked against the database."""
    field.queryset = queryset.exclude(pk=leave_out) if leave_out is not None else queryset
    rows = config_cache.cached(f"desk.options.{queryset.model._meta.label_lower}", lambda: list(queryset))
    options = [(str(row.pk), str(row)) for row in rows if row.pk != leave_out]
    field.choices = options if field.empty_label is None else [("", field.empty_label), *options]


# How long the staff dropdown's options are shared between page views.
STAFF_CHOICES_SECONDS = 60


def _staff_choices(field: forms.ModelChoiceField) -> list[tuple[str, str]]:
    """The staff filter's options, kept in the cache for a minute: people are not configuration the
    cache above watches, and a query on every queue page adds up. A chosen value is still checked."""
    key = f"desk:filter-choices:assignee:{get_language()}"
    return cache.get_or_set(
        key, lambda: [(str(value), str(label)) for value, label in field.choices], STAFF_CHOICES_SECONDS
    )


def staff_users() -> QuerySet:
    """Active people who work tickets: members of a team."""
    return User.objects.filter(is_active=True, memberships__isnull=False).distinct().order_by("username")


class TicketActionForm(forms.Form):
    """The base of every ticket action: the version the agent saw and the last event they saw."""

    version = forms.IntegerField(widget=QuickHiddenInput, min_value=1)
    seen_event = forms.IntegerField(widget=QuickHiddenInput, required=False, min_value=0)

    def __init__(self, *args, ticket: Ticket, user: object, **kwargs) -> None:
        self.ticket = ticket
        self.user = user
        super().__init__(*args, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        if not data:
            return []
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class ReplyForm(TicketActionForm):
    body = forms.CharField(
        label=_("Reply to the customer"),
        widget=forms.Textarea(attrs={"rows": 6, "data-shortcut": "r"}),
        max_length=20000,
    )
    files = MultipleFileField(label=_("Attachments"), required=False)


class NoteForm(TicketActionForm):
    body = forms.CharField(
        label=_("Internal note (never sent to the customer)"),
        widget=forms.Textarea(attrs={"rows": 4, "data-shortcut": "n"}),
        max_length=20000,
    )


class AcknowledgeForm(TicketActionForm):
    """Confirm receipt to the customer: only the version is needed."""


class TakeForm(TicketActionForm):
    """Take the ticket yourself: only the version is needed."""


class AssignForm(TicketActionForm):
    assignee = StaffChoiceField(
        label=_("Assign to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody (back to the team's queue)"),
    )

    def __init__(self, *args, assignees: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


class ReclassifyForm(TicketActionForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Ticket.Kind.choices, widget=QuickSelect)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label="—",
        widget=QuickSelect,
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Ticket.Priority.choices, coerce=int, widget=QuickSelect
    )
    complexity = forms.ChoiceField(
        label=_("Complexity"), choices=Ticket.Complexity.choices, widget=QuickSelect
    )
    reason = forms.CharField(label=_("Why"), required=False, max_length=500)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _offer_configured(self.fields["category"], active_categories())
        if not self.is_bound:
            self.initial.update(
                kind=self.ticket.kind,
                category=self.ticket.category_id,
                priority=self.ticket.priority,
                complexity=self.ticket.complexity,
            )


class EscalateForm(TicketActionForm):
    reason = forms.CharField(
        label=_("Why escalate"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class RerouteForm(TicketActionForm):
    team = forms.ModelChoiceField(label=_("To team"), queryset=Team.objects.none(), widget=QuickSelect)
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    requested_by_customer = forms.BooleanField(label=_("The customer asked for it"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _offer_configured(self.fields["team"], active_teams(), leave_out=self.ticket.team_id)


class AwaitCustomerForm(TicketActionForm):
    reason = forms.CharField(label=_("What we wait for"), required=False, max_length=500)


class ResolveForm(TicketActionForm):
    root_cause = forms.ModelChoiceField(
        label=_("Root cause"), queryset=RootCause.objects.none(), widget=QuickSelect
    )
    steps_taken = forms.CharField(
        label=_("Steps taken"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )
    remedy = forms.ChoiceField(
        label=_("Remedy"),
        choices=Resolution.Remedy.choices,
        initial=Resolution.Remedy.NONE,
        widget=QuickSelect,
    )
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), min_value=0, decimal_places=2, max_digits=12, required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _offer_configured(self.fields["root_cause"], RootCause.objects.filter(is_active=True))


class ReopenForm(TicketActionForm):
    reason = forms.CharField(label=_("Why reopen"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class MergeForm(TicketActionForm):
    target = forms.CharField(
        label=_("Merge into ticket"),
        max_length=12,
        help_text=_("Search by reference, order number, customer contact or words, then pick the ticket."),
    )
    reason = forms.CharField(label=_("Why"), required=False, max_length=500)
    keep_internal = forms.BooleanField(
        label=_("Keep the merged content internal"),
        required=False,
        help_text=_("Needed when the tickets belong to different customers (supervisors only)."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not is_supervisor(self.user):
            del self.fields["keep_internal"]

    def clean_target(self) -> str:
        return self.cleaned_data["target"].strip().upper()
