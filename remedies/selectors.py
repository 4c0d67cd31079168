"""Every shared read of the remedies app: a ticket's remedies for the API and the desk, the approvals
queue, the badges, the customer's compensation history and what the customer's page says."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from complaints import extensions
from complaints import policy as core_policy
from complaints import selectors as core_selectors
from complaints.models import Ticket

from . import policy
from .models import MONEY_TYPES, Fulfilment, Remedy

PANEL_TEMPLATE = "desk/remedies/_ticket_panel.html"
HISTORY_ROWS = 20


def remedies_prefetch() -> Prefetch:
    """The prefetch the ticket JSON's remedies needs (one query for a whole page of tickets)."""
    return Prefetch(
        "remedies", queryset=Remedy.objects.select_related("fulfilment").order_by("proposed_at", "pk")
    )


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def remedy_json(remedy: Remedy) -> dict[str, Any]:
    fulfilment = getattr(remedy, "fulfilment", None)
    return {
        "id": remedy.pk,
        "ticket": remedy.ticket.reference if "ticket" in remedy._state.fields_cache else None,
        "type": remedy.remedy_type,
        "amount": str(remedy.amount),
        "proposed_amount": str(remedy.proposed_amount),
        "currency": remedy.currency,
        "state": remedy.state,
        "required_level": remedy.required_level,
        "reason": remedy.reason,
        "proposed_at": _iso(remedy.proposed_at),
        "decided_at": _iso(remedy.decided_at),
        "fulfilment": None
        if fulfilment is None
        else {
            "state": fulfilment.state,
            "due_at": _iso(fulfilment.due_at),
            "done_at": _iso(fulfilment.done_at),
            "reference": fulfilment.reference,
            "failure_reason": fulfilment.failure_reason,
        },
    }


def ticket_remedies(ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's remedies as the API shows them (reads the prefetch when the list view made it)."""
    return [remedy_json(remedy) for remedy in ticket.remedies.all()]


def remedies_visible_to(user: AbstractBaseUser) -> QuerySet[Remedy]:
    """Remedies on tickets the user may see; finance and supervisors see them all (to fulfil them)."""
    remedies = Remedy.objects.select_related("ticket", "fulfilment")
    if policy.may_fulfil(user):
        return remedies
    visible = core_selectors.tickets_visible_to(user).order_by().values("pk")
    return remedies.filter(ticket_id__in=visible)


def approvals_queue_for(user: AbstractBaseUser) -> list[Remedy]:
    """The remedies awaiting approval that `user` may decide, oldest first (a fixed number of queries)."""
    if not policy.may_approve_any(user):
        return []
    awaiting = (
        Remedy.objects.filter(state=Remedy.State.AWAITING_APPROVAL)
        .exclude(proposed_by=user)
        .select_related("ticket__category", "ticket__customer", "proposed_by", "team", "rule", "root_cause")
        .order_by("proposed_at", "pk")
    )
    if not core_selectors.is_supervisor(user):
        # By the ticket's current team: after a reroute the new team's lead decides, not the old one.
        awaiting = awaiting.filter(ticket__team_id__in=core_selectors.led_team_ids(user)).exclude(
            required_level__gte=2
        )
    return list(awaiting[:200])


def ticket_badges(tickets: list[Ticket]) -> dict[int, list[dict[str, str]]]:
    """ "Awaiting approval" on the tickets whose remedy waits for sign-off, in one query."""
    ids = [ticket.pk for ticket in tickets if extensions.present(ticket, PRESENCE)]
    if not ids:
        return {}
    held = Remedy.objects.filter(ticket_id__in=ids, state=Remedy.State.AWAITING_APPROVAL).values_list(
        "ticket_id", flat=True
    )
    badge = {
        "css": "awaiting-approval",
        "label": _("Awaiting approval"),
        "title": _("A remedy awaits sign-off"),
    }
    return {ticket_id: [dict(badge)] for ticket_id in held}


# The workspace's shared EXISTS (complaints.extensions.load_presence): this ticket's remedies, and the
# customer's money remedies on other tickets; a ticket with neither shows no panel and costs no read.
PRESENCE = "remedies"
HISTORY_PRESENCE = "remedies.history"


def presence() -> Exists:
    return Exists(Remedy.objects.filter(ticket_id=OuterRef("pk")))


def history_presence() -> Exists:
    return Exists(
        Remedy.objects.filter(
            ticket__customer_id=OuterRef("customer_id"), remedy_type__in=MONEY_TYPES
        ).exclude(ticket_id=OuterRef("pk"))
    )


def compensation_history(ticket: Ticket) -> list[Remedy]:
    """The customer's remedies with money on their other tickets, newest first."""
    if not ticket.customer_id or not extensions.present(ticket, HISTORY_PRESENCE):
        return []
    return list(
        Remedy.objects.filter(ticket__customer_id=ticket.customer_id, remedy_type__in=MONEY_TYPES)
        .exclude(ticket_id=ticket.pk)
        .select_related("ticket", "fulfilment")
        .order_by("-proposed_at", "-pk")[:HISTORY_ROWS]
    )


def ticket_panel(request: Any, ticket: Ticket) -> dict[str, Any] | None:
    """The ticket page's remedies panel: this ticket's remedies, who may decide, the customer's history."""
    user = request.user
    remedies = (
        list(
            Remedy.objects.filter(ticket=ticket)
            .select_related("ticket__category", "fulfilment", "proposed_by", "decided_by")
            .order_by("-proposed_at", "-pk")
        )
        if extensions.present(ticket, PRESENCE)
        else []
    )
    history = compensation_history(ticket)
    if not remedies and not history:
        return None
    for remedy in remedies:
        remedy.may_decide = remedy.state == Remedy.State.AWAITING_APPROVAL and policy.may_decide(user, remedy)
    return {
        "template": PANEL_TEMPLATE,
        "remedies": remedies,
        "history": history,
        "history_total": sum((r.amount for r in history if r.is_approved), start=0),
        "may_act": core_policy.is_staff_agent(user),
    }


def customer_notes(ticket: Ticket) -> list[str]:
    """What the customer's page says of remedies carried out: "Refund of 30.00 CNY: done on …"."""
    done = (
        Fulfilment.objects.filter(remedy__ticket=ticket, state=Fulfilment.State.DONE)
        .select_related("remedy")
        .order_by("done_at", "pk")
    )
    return [
        _("%(type)s of %(amount)s %(currency)s: done on %(date)s")
        % {
            "type": item.remedy.get_remedy_type_display(),
            "amount": item.remedy.amount,
            "currency": item.remedy.currency,
            "date": date_format(timezone.localtime(item.done_at), "DATE_FORMAT"),
        }
        for item in done
    ]


def overdue_fulfilment(now: Any = None) -> QuerySet[Fulfilment]:
    now = now or timezone.now()
    return Fulfilment.objects.filter(Q(state=Fulfilment.State.PENDING) & Q(due_at__lte=now))
