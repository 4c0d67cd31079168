"""The default calendars and the service levels of DESIGN.md (editable in admin afterwards)."""

from datetime import time

from django.db import migrations

OFFICE_HOURS = [(time(9, 0), time(12, 0)), (time(13, 30), time(18, 0))]
WORKING_DAY_MINUTES = 3 * 60 + 4 * 60 + 30  # 09:00–12:00 and 13:30–18:00


def seed(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    WorkingInterval = apps.get_model("sla", "WorkingInterval")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")

    always, _ = BusinessCalendar.objects.get_or_create(
        slug="24x7",
        defaults={"name": "24×7", "always_open": True, "holiday_country": "", "time_zone": "Asia/Shanghai"},
    )
    office, created = BusinessCalendar.objects.get_or_create(
        slug="china-office-hours",
        defaults={
            "name": "工作日 Mon–Fri 09:00–12:00, 13:30–18:00 (China)",
            "always_open": False,
            "holiday_country": "CN",
            "time_zone": "Asia/Shanghai",
        },
    )
    if created:
        WorkingInterval.objects.bulk_create(
            WorkingInterval(calendar=office, weekday=day, start=start, end=end)
            for day in range(5)
            for start, end in OFFICE_HOURS
        )
    defaults = [
        {
            "name": "Simple inquiry 简单咨询: 30 min / 1 h",
            "position": 10,
            "match_kind": "inquiry",
            "match_complexity": "simple",
            "calendar": always,
            "first_response_minutes": 30,
            "resolution_minutes": 60,
        },
        {
            "name": "Complex inquiry 复杂咨询: 2 h / 24 h",
            "position": 20,
            "match_kind": "inquiry",
            "match_complexity": "complex",
            "calendar": always,
            "first_response_minutes": 120,
            "resolution_minutes": 24 * 60,
        },
        {
            "name": "Complaint 投诉: acknowledged within 24 h, resolved within 3 working days",
            "position": 30,
            "match_kind": "complaint",
            "calendar": office,
            "first_response_minutes": 24 * 60,
            "first_response_calendar": always,
            "first_response_stops_on": "acknowledgement",
            "resolution_minutes": 3 * WORKING_DAY_MINUTES,
            "notify_supervisors": True,
            "raise_escalation": True,
        },
    ]
    for values in defaults:
        SlaPolicy.objects.get_or_create(name=values.pop("name"), defaults={"warning_thresholds": "50,80", **values})


def unseed(apps, schema_editor):
    apps.get_model("sla", "SlaPolicy").objects.filter(position__in=[10, 20, 30]).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
