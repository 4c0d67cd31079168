"""Filters for GET /api/v1/tickets/: every value is validated, so a bad one is a 400, never a 500."""

from datetime import datetime
from typing import Any

import django_filters
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from complaints import extensions, selectors
from complaints.models import Category, Team, Ticket
from complaints.models.tickets import Channel, Priority, SlaState
from complaints.states import Status

from .pagination import ORDERING_FIELDS

EARLIEST_YEAR, LATEST_YEAR = 1970, 2100


def _bounded(value: datetime, name: str) -> datetime:
    """Far dates overflow when converted to UTC for the query: a client error, not a crash."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(
            {name: [_("Give a date between %(a)s and %(b)s.") % {"a": EARLIEST_YEAR, "b": LATEST_YEAR}]}
        )
    return value


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, help_text=_("Repeat for several."))
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices, help_text=_("Repeat for several.")
    )
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, help_text=_("Repeat for several."))
    sla_state = django_filters.MultipleChoiceFilter(
        choices=SlaState.choices, help_text=_("Repeat for several.")
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(),
        to_field_name="slug",
        method="filter_category",
        help_text=_("A category slug; a top-level category includes its subcategories."),
    )
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.all(), to_field_name="slug", field_name="team", help_text=_("A team slug.")
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        max_length=150,
        help_text=_("A username, `me`, or `none` for unassigned tickets."),
    )
    created_after = django_filters.IsoDateTimeFilter(
        method="filter_created_after", help_text=_("ISO 8601 date-time, inclusive.")
    )
    created_before = django_filters.IsoDateTimeFilter(
        method="filter_created_before", help_text=_("ISO 8601 date-time, exclusive.")
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text=_("Reference, order number, the customer's exact e-mail or phone, or words of the text."),
    )
    # Validated and documented here; the cursor pagination applies it with the primary key as tie-breaker.
    ordering = django_filters.ChoiceFilter(
        choices=[(f"{sign}{field}", f"{sign}{field}") for field in ORDERING_FIELDS for sign in ("", "-")],
        method="filter_ordering",
        help_text=_("Sort field, `-` for descending; default -created_at."),
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        include_registered_filters(type(self))
        super().__init__(*args, **kwargs)

    def filter_category(
        self, queryset: QuerySet[Ticket], name: str, value: Category | None
    ) -> QuerySet[Ticket]:
        if value is None:
            return queryset
        return queryset.filter(Q(category=value) | Q(category__parent=value))

    def filter_assignee(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        if not value:
            return queryset
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            user: AbstractBaseUser = self.request.user
            return queryset.filter(assignee=user)
        return queryset.filter(assignee__username=value)

    def filter_created_after(
        self, queryset: QuerySet[Ticket], name: str, value: datetime
    ) -> QuerySet[Ticket]:
        return queryset.filter(created_at__gte=_bounded(value, "created_after"))

    def filter_created_before(
        self, queryset: QuerySet[Ticket], name: str, value: datetime
    ) -> QuerySet[Ticket]:
        return queryset.filter(created_at__lt=_bounded(value, "created_before"))

    def filter_ordering(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return queryset

    def filter_search(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return selectors.search_tickets(queryset, value)


def include_registered_filters(filterset: type[django_filters.FilterSet]) -> None:
    """Other apps' list filters (extensions.TICKET_LIST_FILTERS, registered in ready()) join the
    declared ones, for the list and for the OpenAPI schema alike."""
    for name, make_filter in extensions.TICKET_LIST_FILTERS.items():
        if name not in filterset.base_filters:
            filterset.base_filters[name] = make_filter()
