"""Shared pieces of the console's model admins."""

from datetime import datetime, time

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date

from .. import selectors


class VisibleTicketsOnly:
    """A console list of tickets or of their rows shows a member of a team only what they may see in
    the desk (complaints.selectors.tickets_visible_to): a team lead with console access sees their
    teams' tickets, and another team's row is not found. Supervisors, and console roles outside the
    teams (an auditor given view permissions), see what their model permissions allow."""

    ticket_path = "ticket"  # the path from the listed model to its ticket; "" for Ticket itself

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        queryset = super().get_queryset(request)
        if selectors.is_supervisor(request.user) or not selectors.team_ids_of(request.user):
            return queryset
        visible = selectors.tickets_visible_to(request.user).values("pk")
        return queryset.filter(**{f"{self.ticket_path}__in" if self.ticket_path else "pk__in": visible})


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class AppendOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class DateRangeFilter(admin.DateFieldListFilter):
    """Django's date filter (today, past 7 days, ...) plus a from/before pair of dates.

    It keeps Django's parameter names (`<field>__gte`, `<field>__lt`), so links built for the
    plain date filter (the dashboard's) keep working; an empty date in the form is ignored.
    """

    template = "admin/complaints/ticket/date_range_filter.html"

    def __init__(
        self, field, request: HttpRequest, params: dict, model, model_admin, field_path: str
    ) -> None:
        for name in (f"{field_path}__gte", f"{field_path}__lt"):
            if name not in params:
                continue
            if not any(params[name]):
                del params[name]
                continue
            # A bare date from the form means midnight where the supervisor is, as Django's own links do.
            try:
                day = parse_date(params[name][-1]) if len(params[name][-1]) == 10 else None
            except ValueError:
                day = None  # Django's own validation reports it
            if day is not None and isinstance(field, models.DateTimeField):
                params[name] = [str(timezone.make_aware(datetime.combine(day, time.min)))]
        super().__init__(field, request, params, model, model_admin, field_path)
        own = set(self.expected_parameters())
        # The other filters, search and ordering travel with the form (the page number does not).
        self.preserved = [
            (name, value)
            for name, values in request.GET.lists()
            if name not in own and name not in ("p", "e")
            for value in values
        ]
        self.since_value = self.date_params.get(self.lookup_kwarg_since, "")[:10]
        self.until_value = self.date_params.get(self.lookup_kwarg_until, "")[:10]
