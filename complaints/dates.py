"""Moments as people read them: the language's one format (config/formats) and, where it matters
(due times, e-mails), the zone's offset, so a reader elsewhere knows which 14:30 is meant."""

from datetime import datetime

from django.utils import formats, timezone


def zone_label(moment: datetime) -> str:
    """The offset from UTC of the moment in the current time zone: "UTC+08:00"."""
    offset = timezone.localtime(moment).strftime("%z")  # "+0800"
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"


def with_zone(moment: datetime | None) -> str:
    """`moment` in local time, in the current language's format, with its zone: "24 Nov 2026, 14:30 (UTC+08:00)"."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({zone_label(local)})"
