"""Every shared read of the external_cases app: a ticket's cases for the API and the desk, badges
for the queue, the cases due soon, the cases a user may see."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import extensions, policy, selectors
from complaints.models import Ticket
from complaints.models.bilingual import pick

from .models import EscalationRisk, ExternalCase, ExternalSource

PANEL_TEMPLATE = "desk/external_cases/_ticket_panel.html"


def active_sources() -> QuerySet[ExternalSource]:
    return ExternalSource.objects.filter(is_active=True).select_related("calendar", "team")


def cases_prefetch() -> Prefetch:
    """The prefetch the ticket JSON's external_cases needs (one query for a whole page of tickets)."""
    return Prefetch(
        "external_cases",
        queryset=ExternalCase.objects.select_related("source", "report_back").order_by("due_at", "pk"),
    )


def case_json(case: ExternalCase) -> dict[str, Any]:
    report = getattr(case, "report_back", None) if not case.is_open else None
    return {
        "id": case.pk,
        "source": case.source.slug,
        "source_name": case.source.name,
        "number": case.number,
        "received_at": case.received_at.isoformat(),
        "due_at": case.due_at.isoformat(),
        "state": case.state,
        "clock_state": case.clock_state,
        "regulator_contact": case.regulator_contact,
        "reported_at": case.reported_at.isoformat() if case.reported_at else None,
        "report_back": None
        if report is None
        else {
            "outcome": report.outcome,
            "values": report.values,
            "recorded_at": report.recorded_at.isoformat(),
            "recorded_by": report.recorded_by.get_username() if report.recorded_by_id else None,
        },
    }


def ticket_external_cases(ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's cases as the API shows them (reads the prefetch when the list view made it)."""
    return [case_json(case) for case in ticket.external_cases.all()]


def cases_of_ticket(ticket: Ticket) -> QuerySet[ExternalCase]:
    return (
        ExternalCase.objects.filter(ticket=ticket)
        .select_related("source", "report_back__recorded_by", "registered_by")
        .order_by("due_at", "pk")
    )


def outside_routes(ticket: Ticket) -> list[str]:
    """Where a customer who disputes may turn, in the active language: the route text of every active
    source that offers one, the sources of the ticket's own cases first."""
    own = set(ExternalCase.objects.filter(ticket_id=ticket.pk).values_list("source_id", flat=True))
    sources = sorted(active_sources(), key=lambda source: source.pk not in own)
    return [route for source in sources if (route := source.customer_route.strip())]


def is_forwarding_mailbox(mailbox: Any) -> bool:
    """Whether an active source names `mailbox` as its forwarding address."""
    return ExternalSource.objects.filter(mailbox=mailbox, is_active=True).exists()


def without_open_cases(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets that no open external case holds open (the auto-close sweep's close hold)."""
    held = ExternalCase.objects.filter(state=ExternalCase.State.OPEN).values("ticket_id")
    return tickets.exclude(pk__in=held)


def tickets_with_cases(tickets: QuerySet[Ticket], _at_most: int = 0) -> set[int]:
    """Which of `tickets` a regulator or platform forwarded (quality's mandatory inspection sample)."""
    return set(ExternalCase.objects.filter(ticket__in=tickets).values_list("ticket_id", flat=True))


def cases_visible_to(user: AbstractBaseUser) -> QuerySet[ExternalCase]:
    """The cases on tickets the user may see (the list views' limit; objects are checked one by one)."""
    visible = selectors.tickets_visible_to(user).order_by().values("pk")
    return ExternalCase.objects.filter(ticket_id__in=visible).select_related("source", "ticket")


def cases_due_within(
    user: AbstractBaseUser, *, hours: int = 48, now: datetime | None = None
) -> QuerySet[ExternalCase]:
    """Open cases the user may see whose report-back is due in the next `hours` (or overdue), soonest first."""
    now = now or timezone.now()
    return (
        cases_visible_to(user)
        .filter(state=ExternalCase.State.OPEN, due_at__lte=now + timedelta(hours=hours))
        .order_by("due_at", "pk")
    )


# The workspace's shared EXISTS (complaints.extensions.load_presence): a ticket without any external case or escalation-risk flag
# skips the reads of its panel and badge.
PRESENCE = "external_cases"


def presence() -> Any:
    return Exists(ExternalCase.objects.filter(ticket_id=OuterRef("pk"))) | Exists(
        EscalationRisk.objects.filter(ticket_id=OuterRef("pk"))
    )


def ticket_badges(tickets: list[Ticket]) -> dict[int, list[dict[str, str]]]:
    """The escalation-risk and open-external-case badges of a page of tickets, in one query."""
    ids = [ticket.pk for ticket in tickets if extensions.present(ticket, PRESENCE)]
    if not ids:
        return {}
    rows = (
        Ticket.objects.filter(pk__in=ids)
        .filter(Q(escalation_risk__isnull=False) | Q(external_cases__state=ExternalCase.State.OPEN))
        .order_by("pk", "external_cases__due_at")
        .values_list(
            "pk",
            "escalation_risk__reasons",
            "external_cases__state",
            "external_cases__due_at",
            "external_cases__warned_percent",
            "external_cases__source__name_zh",
            "external_cases__source__name_en",
        )
    )
    badges: dict[int, list[dict[str, str]]] = {}
    flagged: set[int] = set()
    now = timezone.now()
    for pk, reasons, state, due, warned, name_zh, name_en in rows:
        if reasons is not None and pk not in flagged:
            flagged.add(pk)
            labels = [
                str(EscalationRisk.Reason(r).label) for r in reasons if r in EscalationRisk.Reason.values
            ]
            badges.setdefault(pk, []).insert(
                0, {"css": "risk", "label": _("Escalation risk"), "title": "; ".join(labels)}
            )
        if state == ExternalCase.State.OPEN:
            clock = "breached" if due <= now else ("at_risk" if warned else "on_track")
            badges.setdefault(pk, []).append(
                {
                    "css": f"external sla-{clock}",
                    "label": pick(name_zh, name_en),
                    "title": _("Report back by %(due)s")
                    % {"due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
                }
            )
    return badges


def ticket_panel(request: Any, ticket: Ticket) -> dict[str, Any] | None:
    """The ticket page's external-cases panel: the cases with their clocks, and the register link."""
    user = request.user
    held = extensions.present(ticket, PRESENCE)
    cases = list(cases_of_ticket(ticket)) if held else []
    flag = EscalationRisk.objects.filter(ticket=ticket).first() if held else None
    may_act = policy.is_staff_agent(user) and policy.can_see(user, ticket)
    return {
        "template": PANEL_TEMPLATE,
        "cases": cases,
        "risk": flag,
        "may_act": may_act,
        "register_url": reverse("external_cases:register_on_ticket", args=[ticket.reference]),
    }
