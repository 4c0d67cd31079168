"""The actions of the ticket workspace: each one's form, who sees it, and the service it calls."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints import attachments, policy, selectors, services
from complaints.errors import ComplaintError
from complaints.models import Message, Ticket
from complaints.states import OPEN_STATUSES, Status

from .. import forms, permissions


@dataclass(frozen=True)
class Action:
    """One thing an agent does to a ticket: its form, who sees it and the service it calls."""

    name: str
    label: str
    form_class: type[forms.TicketActionForm]
    perform: Callable[[HttpRequest, Ticket, dict], "str | Done"]
    shown: Callable[[object, Ticket], bool]
    permitted: Callable[[object, Ticket], bool] = lambda user, ticket: True
    compose: bool = False


def _reply(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    files = attachments.check_uploads(data.get("files") or [])
    services.add_message(
        ticket_id=ticket.pk,
        actor=request.user,
        kind=Message.Kind.REPLY,
        body=data["body"],
        version=data["version"],
        files=files,
    )
    return _("Your reply was sent to the customer.")


def _note(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.add_message(
        ticket_id=ticket.pk,
        actor=request.user,
        kind=Message.Kind.NOTE,
        body=data["body"],
        version=data["version"],
    )
    return _("Internal note added.")


def _acknowledge(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.acknowledge(ticket_id=ticket.pk, actor=request.user, version=data["version"])
    return _("The ticket is acknowledged.")


def _take(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.assign(ticket_id=ticket.pk, actor=request.user, assignee=request.user, version=data["version"])
    return _("The ticket is yours now.")


def _assign(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    assignee = data["assignee"]
    services.assign(ticket_id=ticket.pk, actor=request.user, assignee=assignee, version=data["version"])
    if assignee is None:
        return _("The ticket is back in its team's queue.")
    return _("Assigned to %(user)s.") % {"user": assignee.get_username()}


def _reclassify(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.reclassify(
        ticket_id=ticket.pk,
        actor=request.user,
        version=data["version"],
        kind=data["kind"],
        category=data["category"],
        priority=data["priority"],
        complexity=data["complexity"],
        reason=data["reason"],
    )
    return _("Classification saved.")


def _escalate(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    escalated = services.escalate(
        ticket_id=ticket.pk, actor=request.user, version=data["version"], reason=data["reason"]
    )
    return _("Escalated to level %(level)s.") % {"level": escalated.escalation_level}


def _reroute(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.reroute(
        ticket_id=ticket.pk,
        actor=request.user,
        team=data["team"],
        version=data["version"],
        reason=data["reason"],
        requested_by_customer=data["requested_by_customer"],
    )
    return _("Sent to %(team)s.") % {"team": data["team"]}


def _await_customer(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.await_customer(
        ticket_id=ticket.pk, actor=request.user, version=data["version"], reason=data["reason"]
    )
    return _("Waiting for the customer; the SLA clock is paused.")


def _resolve(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    resolution = services.resolve(
        ticket_id=ticket.pk,
        actor=request.user,
        version=data["version"],
        root_cause=data["root_cause"],
        steps_taken=data["steps_taken"],
        remedy=data["remedy"],
        amount=data["amount"] or 0,
    )
    if resolution is None:
        return _("The resolution is held until its remedy is approved; the customer is not told yet.")
    return _("Resolved. The customer is asked to confirm.")


def _reopen(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.reopen(ticket_id=ticket.pk, actor=request.user, version=data["version"], reason=data["reason"])
    return _("Reopened.")


def _merge(request: HttpRequest, ticket: Ticket, data: dict) -> "Done":
    target = (
        selectors.tickets_visible_to(request.user)
        .filter(reference=data["target"])
        .values_list("pk", "reference")
        .first()
    )
    if target is None:
        raise ComplaintError(policy.no_such_ticket(data["target"]).message)
    services.merge(
        source_id=ticket.pk,
        target_id=target[0],
        actor=request.user,
        reason=data["reason"],
        keep_internal=bool(data.get("keep_internal")),
        version=data["version"],
    )
    return Done(_("Merged into %(ref)s.") % {"ref": target[1]}, reverse("desk:ticket", args=[target[1]]))


def _is_open(user, ticket: Ticket) -> bool:
    return ticket.status in OPEN_STATUSES


def _can_message(user) -> bool:
    return user.has_perm("complaints.add_message")


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in [
        Action(
            "reply",
            gettext_lazy("Send reply"),
            forms.ReplyForm,
            _reply,
            shown=lambda user, t: t.status != Status.CLOSED,
            permitted=lambda user, t: _can_message(user),
            compose=True,
        ),
        Action(
            "note",
            gettext_lazy("Add note"),
            forms.NoteForm,
            _note,
            shown=lambda user, t: True,
            permitted=lambda user, t: _can_message(user),
            compose=True,
        ),
        Action(
            "acknowledge",
            gettext_lazy("Acknowledge"),
            forms.AcknowledgeForm,
            _acknowledge,
            shown=lambda user, t: t.status == Status.NEW,
        ),
        Action(
            "take",
            gettext_lazy("Take it"),
            forms.TakeForm,
            _take,
            shown=lambda user, t: _is_open(user, t) and permissions.can_take(user, t),
            permitted=lambda user, t: t.assignee_id in (None, user.pk) or permissions.can_reassign(user, t),
        ),
        Action(
            "assign",
            gettext_lazy("Assign"),
            forms.AssignForm,
            _assign,
            shown=lambda user, t: _is_open(user, t) and permissions.can_reassign(user, t),
            permitted=permissions.can_reassign,
        ),
        Action(
            "reclassify",
            gettext_lazy("Save classification"),
            forms.ReclassifyForm,
            _reclassify,
            shown=_is_open,
        ),
        Action(
            "escalate",
            gettext_lazy("Escalate"),
            forms.EscalateForm,
            _escalate,
            shown=lambda user, t: _is_open(user, t) and t.escalation_level < 3,
        ),
        Action("reroute", gettext_lazy("Re-route"), forms.RerouteForm, _reroute, shown=_is_open),
        Action(
            "await_customer",
            gettext_lazy("Await customer"),
            forms.AwaitCustomerForm,
            _await_customer,
            shown=lambda user, t: t.status in (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS),
        ),
        Action("resolve", gettext_lazy("Resolve"), forms.ResolveForm, _resolve, shown=_is_open),
        Action(
            "reopen",
            gettext_lazy("Reopen"),
            forms.ReopenForm,
            _reopen,
            shown=lambda user, t: t.status in (Status.RESOLVED, Status.CLOSED) and not t.duplicate_of_id,
        ),
        Action("merge", gettext_lazy("Merge"), forms.MergeForm, _merge, shown=_is_open),
    ]
}


@dataclass(frozen=True)
class Done:
    """An action's outcome that takes the agent to another page (the ticket merged into)."""

    message: str
    go_to: str
