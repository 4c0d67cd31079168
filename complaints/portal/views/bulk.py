"""Bulk actions in the queue: one action on the ticked tickets, each done or refused on its own."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import models
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST

from complaints import policy, selectors, services
from complaints.errors import ComplaintError
from complaints.models import Ticket

from .. import forms
from ..permissions import desk_access_required
from .common import go_to


class BulkAction(models.TextChoices):
    TAKE = "take", gettext_lazy("Take them")
    ASSIGN = "assign", gettext_lazy("Assign to")
    ACKNOWLEDGE = "acknowledge", gettext_lazy("Acknowledge")
    IN_PROGRESS = "in_progress", gettext_lazy("Set in progress")
    AWAIT = "awaiting_customer", gettext_lazy("Await customer")
    CLOSE = "closed", pgettext_lazy("bulk action", "Close")
    SPAM = "spam", gettext_lazy("Close as spam")


def bulk_context(request: HttpRequest) -> dict:
    user = request.user
    if selectors.is_supervisor(user):
        assignees = forms.staff_users()
    else:
        assignees = forms.staff_users().filter(memberships__team_id__in=selectors.led_team_ids(user))
    actions = BulkAction.choices
    if not selectors.is_supervisor(user):  # closing by hand is a supervisor's (complaints.policy)
        actions = [
            (value, label) for value, label in actions if value not in (BulkAction.CLOSE, BulkAction.SPAM)
        ]
    return {"actions": actions, "assignees": assignees}


def _bulk_one(request: HttpRequest, action: str, ticket: Ticket, version: int, data: QueryDict) -> None:
    """One ticket of a bulk action, through the same service (and so the same policy) as the workspace."""
    user, reason = request.user, data.get("reason", "").strip()
    if action == BulkAction.TAKE:
        services.assign(ticket_id=ticket.pk, actor=user, assignee=user, version=version)
    elif action == BulkAction.ASSIGN:
        chosen = data.get("assignee", "")
        assignee = forms.staff_users().filter(pk=chosen).first() if chosen.isdigit() else None
        if assignee is None:
            raise ComplaintError(_("Choose whom to assign the tickets to."))
        services.assign(ticket_id=ticket.pk, actor=user, assignee=assignee, version=version)
    elif action == BulkAction.ACKNOWLEDGE:
        services.acknowledge(ticket_id=ticket.pk, actor=user, version=version)
    elif action == BulkAction.SPAM:
        services.mark_spam(ticket_id=ticket.pk, actor=user, version=version, reason=reason)
    elif action in (BulkAction.IN_PROGRESS, BulkAction.AWAIT, BulkAction.CLOSE):
        services.transition(ticket_id=ticket.pk, actor=user, to=action, version=version, reason=reason)
    else:
        raise ComplaintError(_("Choose what to do with the selected tickets."))


@desk_access_required
@permission_required("complaints.change_ticket", raise_exception=True)
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to the tickets ticked in the queue; each is done or refused on its own."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith(
        "/desk/"
    ):
        back = reverse("desk:queue")
    chosen: dict[str, int] = {}
    for value in request.POST.getlist("tickets"):
        reference, _sep, version = value.partition(":")
        if version.isdigit():
            chosen[reference.strip().upper()] = int(version)
    action = request.POST.get("action", "")
    if not chosen:
        messages.error(request, _("Tick the tickets to act on first."))
        return go_to(request, back)
    if action not in BulkAction.values:
        messages.error(request, _("Choose what to do with the selected tickets."))
        return go_to(request, back)
    found = {t.reference: t for t in selectors.tickets_visible_to(request.user).filter(reference__in=chosen)}
    done = 0
    for reference, version in chosen.items():
        ticket = found.get(reference)
        try:
            if ticket is None:
                raise policy.no_such_ticket(reference)
            _bulk_one(request, action, ticket, version, request.POST)
        except ComplaintError as refusal:
            messages.warning(request, f"{reference}: {refusal.message}")
        else:
            done += 1
    if done:
        messages.success(
            request,
            ngettext("%(n)d ticket done: %(action)s.", "%(n)d tickets done: %(action)s.", done)
            % {"n": done, "action": BulkAction(action).label},
        )
    selectors.forget_own_queue_counts(request.user)
    return go_to(request, back)
