"""`{% load complaints_dates %}`: `{{ ticket.sla_due_at|with_zone }}` → "24 Nov 2026, 14:30 (UTC+08:00)"."""

from datetime import datetime

from django import template

from complaints import dates

register = template.Library()


@register.filter
def with_zone(moment: datetime | None) -> str:
    return dates.with_zone(moment)
