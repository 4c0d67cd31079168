"""Shared reads of the satisfaction follow-up (the portal and admin use them)."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet

from complaints import extensions

from .models import ReturnVisit


def open_return_visits_for(user: AbstractBaseUser) -> QuerySet[ReturnVisit]:
    """Return visits assigned to `user` and not yet completed, soonest due first."""
    return (
        ReturnVisit.objects.filter(assignee=user, completed_at__isnull=True)
        .select_related("ticket", "survey__answer")
        .order_by("due_at", "pk")
    )


# The workspace's shared EXISTS (complaints.extensions.load_presence): a ticket without a return visit
# shows no panel and costs no read.
PRESENCE = "feedback"


def presence() -> Exists:
    return Exists(ReturnVisit.objects.filter(ticket_id=OuterRef("pk")))


def ticket_panel(request, ticket) -> dict | None:
    """The ticket's return visits in the desk's workspace, with where to record the outcome
    (complaints.extensions ticket panel)."""
    from django.urls import reverse

    if not extensions.present(ticket, PRESENCE):
        return None
    visits = list(ReturnVisit.objects.filter(ticket=ticket).select_related("assignee").order_by("due_at"))
    if not visits:
        return None
    entries = [
        {"visit": visit, "admin_url": reverse("admin:feedback_returnvisit_change", args=[visit.pk])}
        for visit in visits
    ]
    return {"template": "desk/feedback/_return_visits_panel.html", "entries": entries}
