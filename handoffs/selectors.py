"""Every shared read of the handoffs app: a ticket's hand-offs for the API and the desk, badges for the
queue, the hand-offs a user may see, and whether a ticket's resolution clock is held."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from complaints import extensions, policy, selectors
from complaints.models import Ticket

from .models import Handoff, HandoffMail, Partner

PANEL_TEMPLATE = "desk/handoffs/_ticket_panel.html"


def active_partners() -> QuerySet[Partner]:
    return Partner.objects.filter(is_active=True).exclude(email="").select_related("calendar")


def handoffs_prefetch() -> Prefetch:
    """The prefetch the ticket JSON's handoffs need (one query for a whole page of tickets)."""
    return Prefetch(
        "handoffs", queryset=Handoff.objects.select_related("partner").order_by("opened_at", "pk")
    )


def handoff_json(handoff: Handoff) -> dict[str, Any]:
    def iso(moment: Any) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": handoff.pk,
        "reference": handoff.reference,
        "partner": {"id": handoff.partner_id, "name": handoff.partner.name, "kind": handoff.partner.kind},
        "subject": handoff.subject,
        "state": handoff.state,
        "clock_state": handoff.clock_state,
        "pauses_resolution": handoff.pauses_resolution,
        "shares_customer_contact": handoff.shares_customer_contact,
        "opened_at": iso(handoff.opened_at),
        "due_at": iso(handoff.due_at),
        "first_reply_at": iso(handoff.first_reply_at),
        "last_reply_at": iso(handoff.last_reply_at),
        "reminders": handoff.reminders,
        "escalated_at": iso(handoff.escalated_at),
        "closed_at": iso(handoff.closed_at),
    }


def ticket_handoffs(ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's hand-offs as the API shows them (reads the prefetch when the list view made it)."""
    return [handoff_json(handoff) for handoff in ticket.handoffs.all()]


def handoffs_of_ticket(ticket: Ticket) -> QuerySet[Handoff]:
    return (
        Handoff.objects.filter(ticket=ticket)
        .select_related("partner", "opened_by", "closed_by")
        .prefetch_related(Prefetch("mails", queryset=HandoffMail.objects.order_by("created_at", "pk")))
        .order_by("-opened_at", "-pk")
    )


def handoffs_visible_to(user: AbstractBaseUser) -> QuerySet[Handoff]:
    """The hand-offs on tickets the user may see (the report's limit)."""
    visible = selectors.tickets_visible_to(user).order_by().values("pk")
    return Handoff.objects.filter(ticket_id__in=visible).select_related("partner", "ticket")


def holds_resolution(ticket_id: int) -> bool:
    """Whether an open hand-off of the ticket pauses the customer's resolution clock (sla's hold)."""
    return Handoff.objects.filter(
        ticket_id=ticket_id, state=Handoff.State.OPEN, pauses_resolution=True
    ).exists()


def waiting_label(partner: str, since: Any) -> str:
    return _("Waiting on %(partner)s since %(since)s") % {
        "partner": partner,
        "since": date_format(timezone.localtime(since), "SHORT_DATETIME_FORMAT"),
    }


# The workspace's shared EXISTS (complaints.extensions.load_presence): a ticket without any hand-off
# skips the reads of its panel and badge.
PRESENCE = "handoffs"


def presence() -> Exists:
    return Exists(Handoff.objects.filter(ticket_id=OuterRef("pk")))


def ticket_badges(tickets: list[Ticket]) -> dict[int, list[dict[str, str]]]:
    """ "Waiting on partner X since …" for each open hand-off of a page of tickets, in one query."""
    ids = [ticket.pk for ticket in tickets if extensions.present(ticket, PRESENCE)]
    if not ids:
        return {}
    rows = (
        Handoff.objects.filter(ticket_id__in=ids, state=Handoff.State.OPEN)
        .order_by("ticket_id", "opened_at", "pk")
        .values_list("ticket_id", "partner__name", "opened_at", "due_at", "warn_at", "first_reply_at")
    )
    now = timezone.now()
    badges: dict[int, list[dict[str, str]]] = {}
    for ticket_id, partner, opened_at, due_at, warn_at, answered in rows:
        clock = (
            "met"
            if answered
            else ("breached" if due_at <= now else ("at_risk" if warn_at <= now else "on_track"))
        )
        title = (
            _("Answered")
            if answered
            else _("Answer due %(due)s")
            % {"due": date_format(timezone.localtime(due_at), "SHORT_DATETIME_FORMAT")}
        )
        badges.setdefault(ticket_id, []).append(
            {"css": f"handoff sla-{clock}", "label": waiting_label(partner, opened_at), "title": title}
        )
    return badges


def ticket_panel(request: Any, ticket: Ticket) -> dict[str, Any] | None:
    """The ticket page's hand-offs panel: each hand-off with its thread, and the open link."""
    user = request.user
    if not policy.is_staff_agent(user):
        return None
    return {
        "template": PANEL_TEMPLATE,
        "handoffs": list(handoffs_of_ticket(ticket)) if extensions.present(ticket, PRESENCE) else [],
        "may_act": policy.can_see(user, ticket),
        "open_url": reverse("handoffs:open", args=[ticket.reference]),
        "now": timezone.now(),
    }
