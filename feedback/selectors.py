"""Shared reads of the satisfaction follow-up (the portal and admin use them)."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from .models import ReturnVisit


def open_return_visits_for(user: AbstractBaseUser) -> QuerySet[ReturnVisit]:
    """Return visits assigned to `user` and not yet completed, soonest due first."""
    return (
        ReturnVisit.objects.filter(assignee=user, completed_at__isnull=True)
        .select_related("ticket", "survey__answer")
        .order_by("due_at", "pk")
    )
