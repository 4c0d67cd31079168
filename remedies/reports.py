"""Remedy figures: by type, category, team and period, total amounts, approval times and the share of
fulfilment done on time; /api/v1/stats/'s remedies section and the desk's report page."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum

from .models import Fulfilment, Remedy

CENT = Decimal("0.01")
APPROVED = [Remedy.State.APPROVED, Remedy.State.CHANGED]


def _grouped(remedies: QuerySet, *fields: str) -> list[dict[str, Any]]:
    rows = (
        remedies.values(*fields)
        .annotate(
            count=Count("pk"),
            approved=Count("pk", filter=Q(state__in=APPROVED)),
            refused=Count("pk", filter=Q(state=Remedy.State.REFUSED)),
            amount=Sum("amount", filter=Q(state__in=APPROVED), default=0),
        )
        .order_by(*fields)
    )
    return [{**row, "amount": _money(row["amount"])} for row in rows]


def _money(amount: Decimal | int) -> str:
    return str(Decimal(amount).quantize(CENT))


def remedy_report(*, remedies: QuerySet, start: datetime, end: datetime) -> dict[str, Any]:
    """The remedies proposed in [start, end) among `remedies`."""
    period = remedies.filter(proposed_at__gte=start, proposed_at__lt=end).order_by()
    waited = ExpressionWrapper(F("decided_at") - F("proposed_at"), output_field=DurationField())
    done = Q(fulfilment__state=Fulfilment.State.DONE)
    # One query for the totals, the approval time and the fulfilment (a remedy has at most one item).
    totals = period.aggregate(
        count=Count("pk"),
        awaiting=Count("pk", filter=Q(state=Remedy.State.AWAITING_APPROVAL)),
        approved=Count("pk", filter=Q(state__in=APPROVED)),
        refused=Count("pk", filter=Q(state=Remedy.State.REFUSED)),
        amount=Sum("amount", filter=Q(state__in=APPROVED), default=0),
        approval=Avg(waited, filter=Q(decided_by__isnull=False)),
        done=Count("fulfilment", filter=done),
        on_time=Count("fulfilment", filter=done & Q(fulfilment__done_at__lte=F("fulfilment__due_at"))),
        failed=Count("fulfilment", filter=Q(fulfilment__state=Fulfilment.State.FAILED)),
        pending=Count("fulfilment", filter=Q(fulfilment__state=Fulfilment.State.PENDING)),
    )
    approval = totals.pop("approval")
    done = {key: totals.pop(key) for key in ("done", "on_time", "failed", "pending")}
    return {
        **totals,
        "amount": _money(totals["amount"]),
        "average_approval_hours": round(approval.total_seconds() / 3600, 1) if approval else None,
        "fulfilment": {
            **done,
            "on_time_rate": round(done["on_time"] / done["done"], 3) if done["done"] else None,
        },
        "by_type": _grouped(period, "remedy_type"),
        "by_category": _grouped(period, "ticket__category__slug"),
        "by_team": _grouped(period, "team__slug"),
    }


def stats_section(start: datetime, end: datetime, tickets: QuerySet) -> dict[str, Any]:
    """/api/v1/stats/'s remedies section over the tickets the caller may see."""
    remedies = Remedy.objects.filter(ticket__in=tickets.order_by().values("pk"))
    return remedy_report(remedies=remedies, start=start, end=end)
