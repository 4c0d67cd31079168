"""The ticket list's filters external_cases adds to GET /api/v1/tickets/ (through complaints.extensions)."""

from datetime import datetime

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from complaints.models import Ticket

from ..models import ExternalCase, ExternalSource

EARLIEST_YEAR, LATEST_YEAR = 1970, 2100


def _with_source(tickets: QuerySet[Ticket], name: str, source: ExternalSource | None) -> QuerySet[Ticket]:
    if source is None:
        return tickets
    return tickets.filter(pk__in=ExternalCase.objects.filter(source=source).values("ticket_id"))


def _due_before(tickets: QuerySet[Ticket], name: str, moment: datetime) -> QuerySet[Ticket]:
    # Far dates overflow when converted to UTC for the query: a client error, not a crash.
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValidationError(
            {name: [_("Give a date between %(a)s and %(b)s.") % {"a": EARLIEST_YEAR, "b": LATEST_YEAR}]}
        )
    waiting = ExternalCase.objects.filter(state=ExternalCase.State.OPEN, due_at__lt=moment)
    return tickets.filter(pk__in=waiting.values("ticket_id"))


@extend_schema_field(OpenApiTypes.STR)
class SourceSlugFilter(django_filters.ModelChoiceFilter):
    """A source named by its slug: a string in the OpenAPI schema (the ticket has no such field)."""


def source_filter() -> django_filters.Filter:
    return SourceSlugFilter(
        queryset=ExternalSource.objects.all(),
        to_field_name="slug",
        method=_with_source,
        help_text=_("An external source slug (GET /api/v1/external-sources/): tickets with a case from it."),
    )


def due_before_filter() -> django_filters.Filter:
    return django_filters.IsoDateTimeFilter(
        field_name="external_due_before",
        method=_due_before,
        help_text=_(
            "ISO 8601 date-time: tickets with an external case awaiting its report-back due before it."
        ),
    )
