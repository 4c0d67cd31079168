"""The console's bulk actions on tickets: each a loop over one service call per ticket.

A refusal skips that ticket, never the others; the message names the skipped tickets per reason.
"""

from collections import defaultdict
from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from complaints import services
from complaints.errors import ComplaintError
from complaints.models import Team, Ticket
from complaints.states import Status

User = get_user_model()

# Skipped tickets named per reason in the message; the rest are counted.
SKIPPED_SHOWN = 20


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


class BulkOutcome:
    """What one bulk action did: how many tickets changed, which were skipped and why."""

    def __init__(self) -> None:
        self.changed = 0
        self.skipped: dict[str, list[str]] = defaultdict(list)

    def skip(self, ticket: Ticket, reason: str) -> None:
        self.skipped[str(reason)].append(ticket.reference)


class TicketBulkActions:
    """The bulk actions of TicketAdmin (a ModelAdmin mixin): assign, move, escalate, set priority, close, spam."""

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
